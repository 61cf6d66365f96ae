"""Statistics of many small groups at once: the speed path of a per-group loop, and that loop.

What it replaces: for each (object, visit, band) group, ``np.median(values)`` and
``np.quantile(values, q, method="interpolated_inverted_cdf")`` (the plain path, ``plain_median``
and ``plain_quantile`` below, what the stacking means), and ``np.unique(key, return_inverse=True)``
for the groups' dense ids.

What it gains: no Python loop over groups. Every group gets a dense integer id; sorting on
(group, value) puts each group's values in order, so a median or a quantile is index arithmetic
on the group's start and count. Groups are small (a visit holds ~12 exposures), so the sort is of a
table of one row per group, each row sorted on its own (``sort_within_groups``), not one sort of
every value. A batch chunk of 10^5 visits stacks in tens of milliseconds where the loop takes
seconds (``benchmarks/batch.py``). Tested equal to the plain path on the real epochs of the
timewise TDE sample (``tests/test_stacking.py``).
"""

from __future__ import annotations

import numpy as np


def plain_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """``np.median`` of each group's values, one group at a time (NaN for an empty group)."""
    return np.array([np.median(values[group == g]) if np.any(group == g) else np.nan for g in range(n_groups)])


def plain_quantile(group: np.ndarray, values: np.ndarray, q: float, n_groups: int) -> np.ndarray:
    """``np.quantile(..., method="interpolated_inverted_cdf")`` of each group, one at a time."""
    return np.array([np.quantile(values[group == g], q, method="interpolated_inverted_cdf")
                     if np.any(group == g) else np.nan for g in range(n_groups)])


def sort_within_groups(group: np.ndarray, values: np.ndarray, *, stable: bool = False) -> np.ndarray:
    """The order that sorts by (group, value); with ``stable`` exactly ``np.lexsort((values, group))``
    (equal values keep their order, where later sums depend on it), faster (module docstring)."""
    table = _group_table(group, values)
    if table is None:  # one group far larger than the rest: one integer key, unique, sorts both
        rank = np.empty(len(values), dtype=np.int64)
        rank[np.argsort(values, kind="stable" if stable else None)] = np.arange(len(values))
        return np.argsort(np.asarray(group, np.int64) * len(values) + rank)
    rows, index, filled = table
    assert index is not None
    return np.take_along_axis(index, np.argsort(rows, axis=1, kind="stable"), axis=1)[filled]


def _group_table(group: np.ndarray, values: np.ndarray, *, with_index: bool = True) -> tuple[
        np.ndarray, np.ndarray | None, np.ndarray] | None:
    """Values as a table of one row per group id, in their order, NaN-padded (NaN sorts last, as in
    ``np.argsort``): (rows, each cell's index into ``values`` if ``with_index``, which cells hold a
    value); None where the table would hold more than ~4x the values (then one sort is cheaper)."""
    n = len(values)
    group = np.asarray(group, np.int64)
    n_groups = int(group.max()) + 1 if n else 0
    count = np.bincount(group, minlength=n_groups)
    width = int(count.max()) if n else 0
    if n == 0 or n_groups * width > 4 * n + 1024:
        return None
    # a stable sort by group keeps each group's values in their order (radix sort for < 2^16 ids)
    by_group = np.argsort(group.astype(np.uint16) if n_groups <= 1 << 16 else group, kind="stable")
    g = group[by_group]
    column = np.arange(n) - (np.cumsum(count) - count)[g]
    rows = np.full((n_groups, width), np.nan)
    rows[g, column] = np.asarray(values, float)[by_group]
    index = None
    if with_index:
        index = np.zeros((n_groups, width), np.int64)
        index[g, column] = by_group
    return rows, index, np.arange(width) < count[:, None]


def dense_ids(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` of non-negative integer keys: by marking each key in
    a table of the key range (no sort) where that range is small against the keys' number."""
    key = np.asarray(key, np.int64)
    if len(key) == 0 or int(key.max()) > 4 * len(key) + 1024:
        return np.unique(key, return_inverse=True)
    present = np.zeros(int(key.max()) + 1, bool)
    present[key] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[key]


def _sorted_groups(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the per-group order statistics start from: the values sorted within their groups,
    each group's count and first index, an all-NaN result and which groups have values."""
    table = _group_table(group, values, with_index=False)
    if table is None:
        v = values[sort_within_groups(group, values)]
    else:
        rows, _, filled = table
        rows.sort(axis=1)
        v = rows[filled]
    count = np.bincount(group, minlength=n_groups)
    return v, count, np.cumsum(count) - count, np.full(n_groups, np.nan), count > 0


def group_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` per group id (0..n_groups-1); NaN for an empty group."""
    v, count, start, out, has = _sorted_groups(group, values, n_groups)
    lo = start[has] + (count[has] - 1) // 2
    hi = start[has] + count[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


def group_quantile(group: np.ndarray, values: np.ndarray, q: float, n_groups: int) -> np.ndarray:
    """``np.quantile(..., method="interpolated_inverted_cdf")`` per group id."""
    v, count, start, out, has = _sorted_groups(group, values, n_groups)
    n = count[has]
    virtual = n * q - 1.0  # Hyndman & Fan method 4: alpha = 0, beta = 1
    below = np.floor(virtual)
    gamma = virtual - below
    prev = np.clip(below, 0, n - 1).astype(np.int64)
    nxt = np.clip(below + 1, 0, n - 1).astype(np.int64)
    a, b = v[start[has] + prev], v[start[has] + nxt]
    out[has] = a + gamma * (b - a)
    return out
