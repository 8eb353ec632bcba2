"""The payment model's boosters evaluated in NumPy (adapters/predict/small_trees.py) give LightGBM's own
scores bit for bit, and its SHAP contributions (``pred_contrib``) to rounding — with the project's
parameters, and with missing values (NaN) and zeros treated as missing. A model it cannot evaluate (deeper
trees) is refused, so the caller uses LightGBM."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from huikuan.adapters.predict.lightgbm_model import PARAMS, LightGbmPredictor
from huikuan.adapters.predict.small_trees import Rows, SmallTrees


def _data(n: int = 3000, nan: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.normal(0, 10, size=(n, 6))
    x[:, 2] = rng.integers(0, 4, n)  # many exact zeros and ties
    if nan:
        x[rng.random(n) < 0.2, 1] = np.nan
    y = 0.3 * x[:, 0] - 0.2 * np.nan_to_num(x[:, 1]) + np.isin(x[:, 2], (0, 3)) * 3 + rng.normal(0, 2, n)
    return x, y


def _booster(objective: str, extra: dict | None = None, nan: bool = False, rounds: int = 60) -> tuple[lgb.Booster, np.ndarray]:
    x, y = _data(nan=nan)
    label = (y > 0).astype(float) if objective == "binary" else y
    params = {**PARAMS, "objective": objective, "num_threads": 1, **(extra or {})}
    return lgb.train(params, lgb.Dataset(x, label), num_boost_round=rounds), x


@pytest.mark.parametrize(("objective", "extra", "nan"), [
    ("binary", None, False), ("l1", None, False), ("l2", None, False),
    ("binary", None, True),  # NaN: missing type NaN, default side learned
    ("binary", {"zero_as_missing": True}, False),  # zeros: missing type Zero
    ("l2", {"num_leaves": 5}, True),
])
def test_scores_are_lightgbms_and_contributions_agree(objective, extra, nan):
    booster, x = _booster(objective, extra, nan)
    trees = SmallTrees.parse(booster.model_to_string())
    assert trees is not None
    probe = np.vstack([x, _data(500, nan)[0] * 1.5])
    rows = Rows(probe)
    assert np.array_equal(trees.predict(rows), booster.predict(probe))  # bit for bit
    ours = trees.contributions(rows)
    theirs = booster.predict(probe, pred_contrib=True)[:, :-1]
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert np.abs(ours).sum() > 1  # (not all zero)
    top = np.argsort(-np.abs(ours), axis=1, kind="stable")[:, :3]
    assert np.array_equal(top, np.argsort(-np.abs(theirs), axis=1, kind="stable")[:, :3])


def test_deep_trees_are_left_to_lightgbm():
    booster, _ = _booster("l2", {"num_leaves": 31, "min_data_in_leaf": 5})
    assert SmallTrees.parse(booster.model_to_string()) is None


def test_the_predictor_gives_the_same_through_either_path():
    x, y = _data()
    p = LightGbmPredictor()
    blob = p.fit(x.tolist(), (y > 0).astype(int).tolist(), np.abs(y).tolist(), np.maximum(y, 0).tolist(),
                 [f"f{k}" for k in range(x.shape[1])])
    late, remaining, days, contrib = p.predict_arrays(blob, x)
    plain = p.predict(blob, x.tolist())
    assert late.tolist() == [r[0] for r in plain] and remaining.tolist() == [r[1] for r in plain]
    assert days.tolist() == [r[2] for r in plain]
    assert np.allclose(contrib, np.array([r[3] for r in plain]), rtol=1e-9, atol=1e-12)
