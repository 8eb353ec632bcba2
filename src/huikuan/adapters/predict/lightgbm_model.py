"""The payment model on LightGBM: a classifier for "paid late", an L1 regressor for the days to settlement
and a regressor for the expected late days (the worklist's ranking and the top-20 % capture).

Small trees (4 leaves), a low learning rate and 40 rows per leaf: the books this learns from hold a few
thousand settled invoices per company, and deeper trees learned noise (docs/model.md). The three boosters
are stored together as one JSON text in LightGBM's own model format, so a stored model never needs pickle.
Explanations are LightGBM's per-feature contributions (SHAP values) to the late score. One thread to fit
below 50,000 rows and to predict below 100,000: on a busy machine OpenMP's spinning threads cost more than
they bring on small data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .small_trees import Rows, SmallTrees

ROUNDS = 250
PARAMS: dict[str, Any] = {
    "learning_rate": 0.03, "num_leaves": 4, "min_data_in_leaf": 40, "bagging_fraction": 0.8, "bagging_freq": 1,
    "feature_fraction": 0.8, "seed": 7, "verbosity": -1, "deterministic": True, "force_row_wise": True,
}


# The consumer default score: some 20,000 labelled cardholders, so larger trees than the payment model's
# (docs/model.md, "Consumer scoring": held-out AUC over several splits).
CONSUMER_ROUNDS = 300
CONSUMER_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 100, "lambda_l2": 5.0,
    "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.7, "seed": 7, "verbosity": -1,
    "deterministic": True, "force_row_wise": True, "num_threads": 1,
}


class LightGbmPredictor:
    name = "lightgbm"

    def fit(self, rows: Sequence[Sequence[float]], late: Sequence[int], remaining: Sequence[float],
            late_days: Sequence[float], feature_names: Sequence[str]) -> str:
        import lightgbm as lgb
        import numpy as np

        x = np.asarray(rows, dtype=np.float64)
        names = list(feature_names)
        threads = 1 if len(rows) < 50_000 else 2

        def train(objective: str, y: Sequence[float]) -> str:
            data = lgb.Dataset(x, np.asarray(y, dtype=np.float64), feature_name=names, free_raw_data=False)
            booster = lgb.train({**PARAMS, "objective": objective, "num_threads": threads}, data,
                                num_boost_round=ROUNDS)
            return str(booster.model_to_string())

        return json.dumps({"late": train("binary", [float(v) for v in late]), "remaining": train("l1", remaining),
                           "late_days": train("l2", late_days)})

    def predict(self, blob: str, rows: Sequence[Sequence[float]]) -> list[tuple[float, float, float, list[float]]]:
        import lightgbm as lgb
        import numpy as np

        if not rows:
            return []
        parts = json.loads(blob)
        x = np.asarray(rows, dtype=np.float64)
        threads = 1 if len(rows) < 100_000 else 2
        late = lgb.Booster(model_str=parts["late"])
        p = np.asarray(late.predict(x, num_threads=threads))
        contrib = np.asarray(late.predict(x, pred_contrib=True, num_threads=threads))[:, :-1]  # last column: bias
        remaining = np.asarray(lgb.Booster(model_str=parts["remaining"]).predict(x, num_threads=threads))
        days = np.asarray(lgb.Booster(model_str=parts["late_days"]).predict(x, num_threads=threads))
        # tolist() turns the arrays into Python floats in C (the same values float() gives, one by one)
        return list(zip(p.tolist(), remaining.tolist(), days.tolist(), contrib.tolist(), strict=True))

    def predict_arrays(self, blob: str, x: Any) -> tuple[Any, Any, Any, Any]:
        import lightgbm as lgb
        import numpy as np

        parts = json.loads(blob)
        x = np.asarray(x, dtype=np.float64)
        late_m, remaining_m, days_m = (SmallTrees.parse(parts[k]) for k in ("late", "remaining", "late_days"))
        if late_m is not None and remaining_m is not None and days_m is not None:
            # the same scores bit for bit, and the contributions to rounding, without TreeSHAP's cost
            rows = Rows(x)
            return late_m.predict(rows), remaining_m.predict(rows), days_m.predict(rows), late_m.contributions(rows)
        threads = 1 if len(x) < 100_000 else 2
        late = lgb.Booster(model_str=parts["late"])
        p = np.asarray(late.predict(x, num_threads=threads))
        contrib = np.asarray(late.predict(x, pred_contrib=True, num_threads=threads))[:, :-1]  # last column: bias
        remaining = np.asarray(lgb.Booster(model_str=parts["remaining"]).predict(x, num_threads=threads))
        days = np.asarray(lgb.Booster(model_str=parts["late_days"]).predict(x, num_threads=threads))
        return p, remaining, days, contrib

    def fit_binary(self, rows: Sequence[Sequence[float]], labels: Sequence[int], feature_names: Sequence[str]) -> str:
        import lightgbm as lgb
        import numpy as np

        data = lgb.Dataset(np.asarray(rows, dtype=np.float64), np.asarray(labels, dtype=np.float64),
                           feature_name=list(feature_names), free_raw_data=False)
        booster = lgb.train(CONSUMER_PARAMS, data, num_boost_round=CONSUMER_ROUNDS)
        return json.dumps({"default": str(booster.model_to_string())})

    def predict_binary(self, blob: str, rows: Sequence[Sequence[float]]) -> list[tuple[float, list[float]]]:
        import lightgbm as lgb
        import numpy as np

        if not rows:
            return []
        booster = lgb.Booster(model_str=json.loads(blob)["default"])
        x = np.asarray(rows, dtype=np.float64)
        p = np.asarray(booster.predict(x, num_threads=1))
        contrib = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1))[:, :-1]
        return [(float(p[i]), [float(v) for v in contrib[i]]) for i in range(len(rows))]
