"""The two distribution functions the pipeline needs, for integer degrees of freedom, in closed
form (Abramowitz & Stegun 1964, 26.4.4-5 and 26.7.3-4).

Why not scipy: importing ``scipy.special`` costs ~0.12 s, a third of the command line's start-up,
for two numbers per visit. ``tests/test_distributions.py`` checks both against scipy to 1e-10.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def _student_central(t: float, df: int) -> float:
    """A(t | df) = P(|T| <= t) for Student's t with ``df`` degrees of freedom (A&S 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2:  # odd
        if df == 1:
            return 2 * theta / math.pi
        term, total = c, c
        for k in range(3, df - 1, 2):  # cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ...
            term *= (k - 1) / k * c * c
            total += term
        return 2 / math.pi * (theta + s * total)
    term, total = 1.0, 1.0
    for k in range(2, df - 1, 2):  # 1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ...
        term *= (k - 1) / k * c * c
        total += term
    return s * total


@lru_cache(maxsize=4096)
def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (p > 0.5) of Student's t with integer ``df`` >= 1, by bisection."""
    target = 2 * p - 1  # A(t) = P(|T| <= t) = 2 F(t) - 1
    low, high = 0.0, 1.0
    while _student_central(high, df) < target:
        high *= 2
    for _ in range(200):
        mid = 0.5 * (low + high)
        if _student_central(mid, df) < target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-15 * high:
            break
    return 0.5 * (low + high)


def t_quantiles(p: float, df: np.ndarray) -> np.ndarray:
    """``student_t_quantile`` for an array of integer degrees of freedom (each computed once)."""
    sizes, index = np.unique(np.asarray(df, dtype=np.int64), return_inverse=True)
    return np.array([student_t_quantile(p, int(d)) for d in sizes], dtype=float)[index.ravel()]


def chi2_sf(x: float, df: int) -> float:
    """P(chi^2_df >= x), the chi-square survival function for integer ``df`` (A&S 26.4.4-5).

    Summed in logarithms, so large ``df`` and ``x`` neither overflow nor lose the small tail;
    the terms are numpy arrays (a light curve of 400 visits sums 200 of them per band)."""
    if x <= 0:
        return 1.0
    half = x / 2
    if df % 2 == 0:  # exp(-x/2) sum_{i < df/2} (x/2)^i / i!
        i = np.arange(df // 2)
        return min(1.0, _sum_exp(-half + i * math.log(half) - _log_factorials(df // 2)))
    root = math.sqrt(x)
    tail = math.erfc(root / math.sqrt(2))  # 2 Q(sqrt x)
    # 2 phi(sqrt x) sum_{r=1}^{(df-1)/2} x^(r - 1/2) / (1 * 3 * ... * (2r - 1))
    log_phi = -half - 0.5 * math.log(2 * math.pi)
    r = np.arange(1, (df + 1) // 2)
    logs = math.log(2) + log_phi + (r - 0.5) * math.log(x) - _log_odd_factorials(len(r))
    return min(1.0, tail + (_sum_exp(logs) if len(logs) else 0.0))


@lru_cache(maxsize=64)
def _log_factorials(n: int) -> np.ndarray:
    """log(i!) for i = 0 .. n - 1."""
    return np.array([math.lgamma(i + 1) for i in range(n)])


@lru_cache(maxsize=64)
def _log_odd_factorials(n: int) -> np.ndarray:
    """log(1 * 3 * 5 * ... * (2r - 1)) = log((2r)! / (2^r r!)) for r = 1 .. n."""
    return np.array([math.lgamma(2 * r + 1) - r * math.log(2) - math.lgamma(r + 1) for r in range(1, n + 1)])


def _sum_exp(logs: np.ndarray) -> float:
    top = float(logs.max())
    return math.exp(top) * math.fsum(np.exp(logs - top).tolist())
