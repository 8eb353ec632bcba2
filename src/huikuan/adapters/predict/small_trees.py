"""A LightGBM model of small trees evaluated in NumPy, with its SHAP contributions worked out per tree once.

The payment model's trees have 4 leaves (3 splits). A row's path through such a tree, and its SHAP values
for it, depend only on which way it goes at each of the splits: at most 2³ = 8 cases per tree. So the
path-dependent Shapley values (what LightGBM's ``pred_contrib`` computes, with the node's training counts as
weights) are computed once per tree and case, exactly from their definition over the tree's few features,
and each row picks its case's values: at 146,663 rows LightGBM's TreeSHAP took ~6 s of two cores, this
takes a fraction of a second.

Scores are summed tree by tree in the model's order from 0.0, as LightGBM does, so ``raw`` gives LightGBM's
own numbers bit for bit; a split is decided as LightGBM decides it (``<=`` the threshold; missing values by
the node's missing type and default side). Contributions agree with ``pred_contrib`` to rounding (their
sums are taken in another order). ``tests/unit/test_small_trees.py`` checks both against LightGBM.

``SmallTrees.parse`` returns None for a model it does not handle (categorical splits, linear trees, more
than ``MAX_SPLITS`` splits in a tree): callers then use LightGBM itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_SPLITS = 4  # 2⁴ cases per tree at most (the tables are worked out in Python when the model is read)
_ZERO = 1e-35  # LightGBM's kZeroThreshold


@dataclass(frozen=True)
class _Tree:
    feature: list[int]  # per split
    threshold: npt.NDArray[np.float64]
    default_left: list[bool]
    missing: list[int]  # 0 none, 1 zero, 2 NaN
    left: list[int]  # child: ≥ 0 a split, < 0 the leaf ~child
    right: list[int]
    leaf_value: list[float]
    split_count: list[float]
    leaf_count: list[float]
    value_of_case: npt.NDArray[np.float64]  # the value of the leaf each case of decisions reaches
    features: list[int]  # the distinct features split on
    phi_columns: list[npt.NDArray[np.float64]]  # per feature of ``features``, per case: its SHAP value


def _ints(v: str) -> list[int]:
    return [int(x) for x in v.split()] if v else []


def _floats(v: str) -> list[float]:
    return [float(x) for x in v.split()] if v else []


class SmallTrees:
    """One LightGBM booster (text model) as arrays; None from ``parse`` when the model is not of this kind."""

    def __init__(self, trees: list[_Tree], n_features: int, sigmoid: float | None) -> None:
        self.trees = trees
        self.n_features = n_features
        self.sigmoid = sigmoid  # binary objective: p = 1 / (1 + exp(−sigmoid × raw))

    @classmethod
    def parse(cls, model: str) -> SmallTrees | None:
        meta: dict[str, str] = {}
        blocks: list[dict[str, str]] = []
        for line in model.splitlines():
            if line.startswith("Tree="):
                blocks.append({})
            elif line == "end of trees":
                break
            elif "=" in line:
                key, value = line.split("=", 1)
                (blocks[-1] if blocks else meta)[key] = value
        objective = meta.get("objective", "")
        sigmoid = None
        if objective.startswith("binary"):
            sigmoid = 1.0
            for part in objective.split()[1:]:
                if part.startswith("sigmoid:"):
                    sigmoid = float(part.split(":", 1)[1])
        elif not objective.startswith("regression"):  # regression, regression_l1: the raw score is the output
            return None
        if meta.get("num_tree_per_iteration", "1") != "1" or not blocks:
            return None
        trees = [_tree(b) for b in blocks]
        if any(t is None for t in trees):
            return None
        return cls([t for t in trees if t is not None], int(meta.get("max_feature_idx", "-1")) + 1, sigmoid)

    def _cases(self, tree: _Tree, rows: Rows) -> npt.NDArray[np.uint8]:
        """Each row's case: bit j set when the row goes left at split j."""
        case = rows.left(tree, 0).view(np.uint8).copy()
        for j in range(1, len(tree.feature)):
            case |= rows.left(tree, j).view(np.uint8) << np.uint8(j)
        return case

    def raw(self, x: npt.NDArray[np.float64] | Rows) -> npt.NDArray[np.float64]:
        """The raw score: leaf values added tree after tree from 0.0 (LightGBM's order, so its very bits)."""
        rows = x if isinstance(x, Rows) else Rows(x)
        out = np.zeros(rows.n, dtype=np.float64)
        for tree in self.trees:
            out += tree.value_of_case[self._cases(tree, rows)] if tree.feature else tree.leaf_value[0]
        return out

    def predict(self, x: npt.NDArray[np.float64] | Rows) -> npt.NDArray[np.float64]:
        raw = self.raw(x)
        if self.sigmoid is None:
            return raw
        s = self.sigmoid
        # LightGBM's ConvertOutput, with the C library's exp (math.exp), not NumPy's vector one
        return np.fromiter((1.0 / (1.0 + math.exp(-s * r)) for r in raw.tolist()), np.float64, len(raw))

    def contributions(self, x: npt.NDArray[np.float64] | Rows) -> npt.NDArray[np.float64]:
        """Per row, per feature: the SHAP value (``pred_contrib`` without the bias column)."""
        rows = x if isinstance(x, Rows) else Rows(x)
        acc = np.zeros((self.n_features, rows.n), dtype=np.float64)
        for tree in self.trees:
            if not tree.feature:
                continue
            case = self._cases(tree, rows)
            for k, f in enumerate(tree.features):
                acc[f] += tree.phi_columns[k][case]
        return np.ascontiguousarray(acc.T)


class Rows:
    """A feature matrix by column, with each split's decisions kept: the three boosters of one model split
    on the same few hundred (feature, threshold) pairs again and again."""

    def __init__(self, x: npt.NDArray[np.float64]) -> None:
        self.n = len(x)
        self.columns = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
        self.has_nan = bool(np.isnan(self.columns).any())
        self.cache: dict[tuple[int, float, bool, int], npt.NDArray[np.bool_]] = {}

    def left(self, tree: _Tree, j: int) -> npt.NDArray[np.bool_]:
        """LightGBM's NumericalDecision for split j of ``tree``: True where the row goes left."""
        key = (tree.feature[j], float(tree.threshold[j]), tree.default_left[j], tree.missing[j])
        got = self.cache.get(key)
        if got is None:
            v = self.columns[key[0]]
            nan = np.isnan(v) if self.has_nan else None
            if nan is not None and key[3] != 2:
                v = np.where(nan, 0.0, v)
            got = v <= key[1]
            if key[3] == 1:
                got = np.where((v > -_ZERO) & (v < _ZERO), key[2], got)
            elif key[3] == 2 and nan is not None:
                got = np.where(nan, key[2], got)
            self.cache[key] = got
        return got


def _tree(fields: dict[str, str]) -> _Tree | None:
    if int(fields.get("num_cat", "0")) or fields.get("is_linear", "0") not in ("0", ""):
        return None
    n_leaves = int(fields["num_leaves"])
    leaf_value = _floats(fields["leaf_value"])
    if n_leaves == 1:
        return _Tree([], np.zeros(0), [], [], [], [], leaf_value, [], [1.0], np.asarray(leaf_value[:1]), [], [])
    feature = _ints(fields["split_feature"])
    decision = _ints(fields["decision_type"])
    if len(feature) > MAX_SPLITS or any(d & 1 for d in decision):  # categorical
        return None
    left, right = _ints(fields["left_child"]), _ints(fields["right_child"])
    split_count = _floats(fields["internal_count"])
    leaf_count = _floats(fields["leaf_count"])
    features = sorted(set(feature))
    n = len(feature)

    def count(child: int) -> float:
        return split_count[child] if child >= 0 else leaf_count[~child]

    def leaf(case: int) -> int:
        node = 0
        while node >= 0:
            node = left[node] if case >> node & 1 else right[node]
        return ~node

    def expected(node: int, case: int, known: frozenset[int]) -> float:
        """E[f | the features in ``known`` as in the row], the others averaged by training counts."""
        if node < 0:
            return leaf_value[~node]
        if feature[node] in known:
            return expected(left[node] if case >> node & 1 else right[node], case, known)
        lo, hi = left[node], right[node]
        return (count(lo) * expected(lo, case, known) + count(hi) * expected(hi, case, known)) / count(node)

    m = len(features)
    weight = [math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)]
    phi = np.zeros((1 << n, m), dtype=np.float64)
    for case in range(1 << n):
        value = {}
        for mask in range(1 << m):
            known = frozenset(features[k] for k in range(m) if mask >> k & 1)
            value[mask] = expected(0, case, known)
        for k in range(m):
            total = 0.0
            for mask in range(1 << m):
                if not mask >> k & 1:
                    total += weight[bin(mask).count("1")] * (value[mask | 1 << k] - value[mask])
            phi[case, k] = total
    return _Tree(feature, np.asarray(_floats(fields["threshold"]), dtype=np.float64),
                 [bool(d & 2) for d in decision], [(d >> 2) & 3 for d in decision], left, right, leaf_value,
                 split_count, leaf_count, np.array([leaf_value[leaf(c)] for c in range(1 << n)], dtype=np.float64),
                 features, [np.ascontiguousarray(phi[:, k]) for k in range(m)])
