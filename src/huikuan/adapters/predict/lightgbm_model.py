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
import math
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


# With the survival features present the boosters start from the customer's own estimate (init_score) and
# only correct it: fewer rounds (docs/model.md, measured walk-forward on the IBM file).
BASE_ROUNDS = 60
BASE_FEATURES = {"late": "surv_p_late", "remaining": "surv_remaining", "late_days": "surv_late_days"}


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


def _base_columns(names: Sequence[str]) -> dict[str, int]:
    """Which feature column each booster starts from; empty unless all three are there."""
    if not all(f in names for f in BASE_FEATURES.values()):
        return {}
    return {part: list(names).index(f) for part, f in BASE_FEATURES.items()}


def _start(part: str, x: Any, base: dict[str, int], defaults: dict[str, float]) -> Any:
    """The booster's starting score per row: the survival estimate (a log-odds for ``late``), or the
    training mean where it is absent (``ABSENT`` = −1: no history at all)."""
    import numpy as np

    col = x[:, base[part]]
    absent = x[:, base["late"]] < 0
    if part == "late":
        p = np.clip(col, 1e-3, 1 - 1e-3)
        value = np.log(p / (1 - p))
    else:
        value = col
    return np.where(absent, defaults[part], value)


class LightGbmPredictor:
    name = "lightgbm"

    def fit(self, rows: Sequence[Sequence[float]], late: Sequence[int], remaining: Sequence[float],
            late_days: Sequence[float], feature_names: Sequence[str]) -> str:
        import lightgbm as lgb
        import numpy as np

        x = np.asarray(rows, dtype=np.float64)
        names = list(feature_names)
        threads = 1 if len(rows) < 50_000 else 2
        targets = {"late": np.asarray([float(v) for v in late]), "remaining": np.asarray(remaining, dtype=np.float64),
                   "late_days": np.asarray(late_days, dtype=np.float64)}
        base = _base_columns(names)
        # where the survival estimate is absent (no history in the book yet) the boosters start from the mean
        defaults = {"late": _logit(float(targets["late"].mean())), "remaining": float(np.median(targets["remaining"])),
                    "late_days": float(targets["late_days"].mean())}
        rounds = BASE_ROUNDS if base else ROUNDS

        def train(part: str, objective: str) -> str:
            init = _start(part, x, base, defaults) if base else None
            data = lgb.Dataset(x, targets[part], feature_name=names, init_score=init, free_raw_data=False)
            booster = lgb.train({**PARAMS, "objective": objective, "num_threads": threads}, data, num_boost_round=rounds)
            return str(booster.model_to_string())

        return json.dumps({"late": train("late", "binary"), "remaining": train("remaining", "l1"),
                           "late_days": train("late_days", "l2"), "base": base, "defaults": defaults})

    def predict(self, blob: str, rows: Sequence[Sequence[float]]) -> list[tuple[float, float, float, list[float]]]:
        import numpy as np

        if not rows:
            return []
        p, remaining, days, contrib = self.predict_arrays(blob, np.asarray(rows, dtype=np.float64))
        # tolist() turns the arrays into Python floats in C (the same values float() gives, one by one)
        return list(zip(p.tolist(), remaining.tolist(), days.tolist(), contrib.tolist(), strict=True))

    def predict_arrays(self, blob: str, x: Any) -> tuple[Any, Any, Any, Any]:
        import lightgbm as lgb
        import numpy as np

        parts = json.loads(blob)
        x = np.asarray(x, dtype=np.float64)
        base: dict[str, int] = parts.get("base") or {}
        defaults: dict[str, float] = parts.get("defaults") or {}
        late_m, remaining_m, days_m = (SmallTrees.parse(parts[k]) for k in ("late", "remaining", "late_days"))
        if late_m is not None and remaining_m is not None and days_m is not None:
            # the same scores bit for bit, and the contributions to rounding, without TreeSHAP's cost
            rows = Rows(x)
            raw, remaining = late_m.raw(rows), remaining_m.predict(rows)
            days, contrib = days_m.predict(rows), late_m.contributions(rows)
        else:
            threads = 1 if len(x) < 100_000 else 2
            late = lgb.Booster(model_str=parts["late"])
            raw = np.asarray(late.predict(x, raw_score=True, num_threads=threads))
            contrib = np.asarray(late.predict(x, pred_contrib=True, num_threads=threads))[:, :-1]  # last: bias
            remaining = np.asarray(lgb.Booster(model_str=parts["remaining"]).predict(x, num_threads=threads))
            days = np.asarray(lgb.Booster(model_str=parts["late_days"]).predict(x, num_threads=threads))
        if base:
            start = _start("late", x, base, defaults)
            raw = raw + start
            # the customer's own survival estimate is where the score started: its share of the "why"
            contrib = np.array(contrib, dtype=np.float64)
            contrib[:, base["late"]] += start
            remaining = remaining + _start("remaining", x, base, defaults)
            days = days + _start("late_days", x, base, defaults)
        # LightGBM's own output conversion, with the C library's exp (math.exp), not NumPy's vector one
        p = np.fromiter((1.0 / (1.0 + math.exp(-r)) for r in np.asarray(raw).tolist()), np.float64, len(raw))
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
