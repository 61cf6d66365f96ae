"""WISE colour classes: which published mid-infrared criteria a catalog source meets.

Each criterion is applied to the AllWISE profile-fit Vega magnitudes ``w1mpro``, ``w2mpro``,
``w3mpro`` as its paper defines it, and answers per source:

* ``yes`` / ``no``: every magnitude the measurement allows meets (or fails) it;
* ``undetermined``: a band is a 95 % upper limit on the flux (``ph_qual`` U, or a null error),
  so its magnitude is only a lower bound (the source is at least that faint), or a band has no
  measurement, and the bounds leave the answer open; the reason says which bound decided what;
* ``n/a``: the source is outside the criterion's range of validity (Stern et al. 2012 beyond its
  W2 limit).

The method: each band's magnitude is an interval ``[m, m]`` (a detection), ``[m, +inf)`` (a
limit: fainter than ``m``) or ``(-inf, +inf)`` (no measurement). A criterion made of linear
conditions on the magnitudes is ``yes`` when each condition holds at the worst corner of the box
of intervals, and ``no`` when no point of the box meets all conditions at once (a linear
feasibility problem, solved with scipy's ``linprog``). A W2 limit therefore makes W1−W2 an upper
bound and W2−W3 a lower bound, and a W3 limit makes W2−W3 an upper bound, as the colours are.
Assef et al. (2018) R90 is not linear in W2; it decreases monotonically towards fainter W2 and
brighter W1, so its two extreme corners decide it.

Criteria (every coefficient from the paper named; where it was read from a restatement, the
constant says so and the docs list it under what is still to check):

* Stern et al. 2012, ApJ 753, 30: W1−W2 ≥ 0.8, valid to W2 = 15.05 (the depth at which the
  criterion is reliable; Assef et al. 2013, ApJ 772, 26, restate it as W2 < 15.05).
* Assef et al. 2018, ApJS 234, 23, eq. 4 (R90, 90 % reliability):
  W1−W2 > α exp[β (W2−γ)²] for W2 > γ, else W1−W2 > α; α = 0.650, β = 0.153, γ = 13.86.
* Assef et al. 2018, eq. 5 (C75, 75 % completeness): W1−W2 > 0.71.
* Mateos et al. 2012, MNRAS 426, 3271, the three-band wedge in flux ratios,
  x = log10(f12/f4.6), y = log10(f4.6/f3.4): y < 0.315x + 0.297, y > 0.315x − 0.110,
  y > −3.172x + 0.436; fluxes are flux densities from the magnitudes with the zero points of
  Wright et al. 2010 / Jarrett et al. 2011 (``photometry.BANDS``).
* Jarrett et al. 2011, ApJ 735, 112, eq. 1: 2.2 < W2−W3 < 4.2 and
  0.1 (W2−W3) + 0.38 < W1−W2 < 1.7.

Not here yet: Koenig & Leisawitz 2014 (YSO colours), whose contaminant steps and class
boundaries could not be confirmed in the paper from this workplace (see the docs' science page).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from dashboard.core.measurement import SourceRow
from dashboard.science.photometry import BANDS, SedOptions, sed_rows

Answer = Literal["yes", "no", "undetermined", "n/a"]
COLOUR_BANDS = ("W1", "W2", "W3")

#: Stern et al. 2012: the colour cut, and the faintest W2 at which it holds.
STERN12_W1W2 = 0.8
STERN12_W2_LIMIT = 15.05
#: Assef et al. 2018, eq. 4, R90 (alpha, beta, gamma). Read from two public restatements that
#: agree (the paper's table was not reachable from this workplace): listed in the docs as to check.
ASSEF18_R90 = (0.650, 0.153, 13.86)
#: Assef et al. 2018, eq. 5, C75.
ASSEF18_C75 = 0.71
#: Mateos et al. 2012, the wedge's slopes and intercepts (upper, lower, and the blue edge).
MATEOS12 = {"slope": 0.315, "upper": 0.297, "lower": -0.110, "edge_slope": -3.172, "edge": 0.436}
#: Jarrett et al. 2011, eq. 1.
JARRETT11 = {"w2w3_min": 2.2, "w2w3_max": 4.2, "slope": 0.1, "intercept": 0.38, "w1w2_max": 1.7}

#: Colours are compared at the catalog's precision (magnitudes to 0.001): a value on a line is on it.
PRECISION = 1e-9


@dataclass(frozen=True)
class Magnitudes:
    """A source's W1–W3 magnitudes as intervals (``lo`` brighter end, ``hi`` fainter end) and
    what each band is: ``detection``, ``limit`` (fainter than the value) or ``missing``."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    kind: tuple[str, str, str]
    value: tuple[float, float, float]

    @classmethod
    def of(cls, source: SourceRow) -> Magnitudes:
        """The catalog profile-fit magnitudes of one source row, read as its SED reads them."""
        rows = {r["band"]: r for r in sed_rows(source, SedOptions(phot="profile"))}
        bands = [_interval(rows[band]) for band in COLOUR_BANDS]
        return cls(*(tuple(b[i] for b in bands) for i in range(4)))  # type: ignore[arg-type]

    def colour(self, a: int, b: int) -> tuple[float, float]:
        """The interval of band a minus band b (indices into W1, W2, W3)."""
        return (self.lo[a] - self.hi[b], self.hi[a] - self.lo[b])


def _interval(row: dict) -> tuple[float, float, str, float]:
    """(lo, hi, kind, value) of one SED row: a detection is a point, a 95 % upper limit on the
    flux is every magnitude fainter than its value, no measurement is any magnitude."""
    mag = row["mag"]
    if not row["measured"] or not math.isfinite(mag):
        return -math.inf, math.inf, "missing", math.nan
    if row["upper_limit"]:
        return mag, math.inf, "limit", mag
    return mag, mag, "detection", mag


@dataclass(frozen=True)
class Linear:
    """One condition ``coef · (m1, m2, m3) + const > 0`` (``>=`` when ``inclusive``)."""

    coef: tuple[float, float, float]
    const: float
    inclusive: bool = False

    def range_over(self, m: Magnitudes) -> tuple[float, float]:
        """The least and the greatest value over the box of magnitudes."""
        low = high = self.const
        for c, lo, hi in zip(self.coef, m.lo, m.hi, strict=True):
            if c == 0:
                continue
            low += c * (lo if c > 0 else hi)
            high += c * (hi if c > 0 else lo)
        return _rounded(low), _rounded(high)

    def holds(self, value: float) -> bool:
        return value >= 0 if self.inclusive else value > 0


def _rounded(value: float) -> float:
    return value if not math.isfinite(value) else round(value / PRECISION) * PRECISION


def linear_answer(conditions: list[Linear], m: Magnitudes) -> Answer:
    """``yes`` when every condition holds over the whole box, ``no`` when no point of the box
    meets them all, else ``undetermined``."""
    ranges = [c.range_over(m) for c in conditions]
    if all(c.holds(low) for c, (low, _) in zip(conditions, ranges, strict=True)):
        return "yes"
    if any(not c.holds(high) for c, (_, high) in zip(conditions, ranges, strict=True)):
        return "no"
    if all(lo == hi for lo, hi in zip(m.lo, m.hi, strict=True)):
        return "no"  # a point: some condition fails at it
    free = [i for i, (lo, hi) in enumerate(zip(m.lo, m.hi, strict=True)) if lo != hi]
    if len(free) == 1:  # one magnitude free: each condition is a half-line in it; do they overlap?
        return "undetermined" if _half_lines_meet(conditions, m, free[0]) else "no"
    # is there one point of the box meeting all conditions at once? (a feasibility problem)
    bounds = [(None if math.isinf(lo) else lo, None if math.isinf(hi) else hi) for lo, hi in zip(m.lo, m.hi,
                                                                                                 strict=True)]
    a_ub = [[-c for c in cond.coef] for cond in conditions]
    b_ub = [cond.const for cond in conditions]
    feasible = linprog(np.zeros(3), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs").status == 0
    return "undetermined" if feasible else "no"


def _half_lines_meet(conditions: list[Linear], m: Magnitudes, i: int) -> bool:
    """Whether some value of magnitude ``i`` in its interval meets every condition, the other
    magnitudes being points (each condition a·x + b > 0 is then x above or below -b/a)."""
    low, high = m.lo[i], m.hi[i]
    for cond in conditions:
        rest = cond.const + sum(c * m.lo[j] for j, c in enumerate(cond.coef) if j != i and c != 0)
        a = cond.coef[i]
        if a == 0:
            if not cond.holds(_rounded(rest)):
                return False
            continue
        edge = -rest / a
        low, high = (max(low, edge), high) if a > 0 else (low, min(high, edge))
    return low < high


@dataclass(frozen=True)
class Verdict:
    criterion: str
    answer: Answer
    reason: str


@dataclass(frozen=True)
class Criterion:
    """A published colour criterion: its column, its short label, the paper, the bands it reads
    and the function that answers it for a source's magnitudes."""

    column: str
    label: str
    kind: Literal["AGN", "YSO"]
    reference: str
    bands: tuple[str, ...]
    answer: Callable[[Magnitudes], tuple[Answer, str]]


def _colour_text(m: Magnitudes, a: int, b: int) -> str:
    name = f"{COLOUR_BANDS[a]}−{COLOUR_BANDS[b]}"
    low, high = m.colour(a, b)
    if low == high:
        return f"{name} = {low:.3f}"
    if math.isinf(low) and math.isinf(high):
        return f"{name} unknown"
    return f"{name} ≥ {low:.3f}" if math.isinf(high) else f"{name} ≤ {high:.3f}"


def _bounds_text(m: Magnitudes, needed: tuple[int, ...]) -> str:
    parts = []
    for i in needed:
        if m.kind[i] == "limit":
            parts.append(f"{COLOUR_BANDS[i]} is a 95% upper limit on the flux ({COLOUR_BANDS[i]} ≥ {m.value[i]:.3f})")
        elif m.kind[i] == "missing":
            parts.append(f"no {COLOUR_BANDS[i]} measurement")
    return "; ".join(parts)


def _explained(answer: Answer, m: Magnitudes, needed: tuple[int, ...], rule: str, colours: list[tuple[int, int]]
               ) -> tuple[Answer, str]:
    values = ", ".join(_colour_text(m, a, b) for a, b in colours)
    bounds = _bounds_text(m, needed)
    if answer == "undetermined":
        return answer, f"{bounds}: {values} leaves {rule} open"
    verb = "meets" if answer == "yes" else "fails"
    return answer, f"{values} {verb} {rule}" + (f" (decided by the bounds: {bounds})" if bounds else "")


def stern12(m: Magnitudes) -> tuple[Answer, str]:
    if m.lo[1] > STERN12_W2_LIMIT:
        return "n/a", f"W2 {'≥ ' if m.kind[1] == 'limit' else '= '}{m.lo[1]:.3f} is beyond the criterion's " \
                      f"W2 ≤ {STERN12_W2_LIMIT} (Stern et al. 2012)"
    answer = linear_answer([Linear((1, -1, 0), -STERN12_W1W2, inclusive=True)], m)
    if answer != "undetermined" and m.hi[1] > STERN12_W2_LIMIT:
        return "undetermined", (f"{_bounds_text(m, (0, 1))}: W2 may be beyond the criterion's W2 ≤ "
                                f"{STERN12_W2_LIMIT}")
    return _explained(answer, m, (0, 1), f"W1−W2 ≥ {STERN12_W1W2}", [(0, 1)])


def r90_threshold(w2: float) -> float:
    """Assef et al. 2018 eq. 4 (R90): the W1−W2 a source of this W2 must exceed."""
    alpha, beta, gamma = ASSEF18_R90
    return alpha * math.exp(beta * (w2 - gamma) ** 2) if w2 > gamma else alpha


def assef18_r90(m: Magnitudes) -> tuple[Answer, str]:
    # W1−W2 − threshold(W2) grows with W1 and falls with W2 (the threshold never falls towards
    # fainter W2): its least value is at (brightest W1, faintest W2), its greatest at the other corner
    def margin(w1: float, w2: float) -> float:
        if math.isinf(w2) or math.isinf(w1):
            return math.inf if (w1 == math.inf or w2 == -math.inf) else -math.inf
        return _rounded(w1 - w2 - r90_threshold(w2))
    least, greatest = margin(m.lo[0], m.hi[1]), margin(m.hi[0], m.lo[1])
    answer: Answer = "yes" if least > 0 else "no" if greatest <= 0 else "undetermined"
    threshold = r90_threshold(m.value[1]) if math.isfinite(m.value[1]) else math.nan
    return _explained(answer, m, (0, 1), f"R90's W1−W2 > {threshold:.3f} at this W2", [(0, 1)])


def assef18_c75(m: Magnitudes) -> tuple[Answer, str]:
    answer = linear_answer([Linear((1, -1, 0), -ASSEF18_C75)], m)
    return _explained(answer, m, (0, 1), f"C75's W1−W2 > {ASSEF18_C75}", [(0, 1)])


def _mateos_conditions() -> list[Linear]:
    """The wedge as linear conditions on magnitudes: x = 0.4 (W2 − W3) + log10(F3/F2),
    y = 0.4 (W1 − W2) + log10(F2/F1), F the zero points."""
    f1, f2, f3 = (BANDS[b].zero_point_jy for b in COLOUR_BANDS)
    x0, y0 = math.log10(f3 / f2), math.log10(f2 / f1)
    x, y = (0.0, 0.4, -0.4), (0.4, -0.4, 0.0)
    k = MATEOS12

    def combine(a: float, b: float, c: float) -> Linear:  # a*y + b*x + c > 0
        coef = (a * y[0] + b * x[0], a * y[1] + b * x[1], a * y[2] + b * x[2])
        return Linear(coef, a * y0 + b * x0 + c)

    return [combine(-1, k["slope"], k["upper"]), combine(1, -k["slope"], -k["lower"]),
            combine(1, -k["edge_slope"], -k["edge"])]


def mateos12(m: Magnitudes) -> tuple[Answer, str]:
    answer = linear_answer(_mateos_conditions(), m)
    return _explained(answer, m, (0, 1, 2), "the Mateos et al. 2012 wedge", [(0, 1), (1, 2)])


def jarrett11(m: Magnitudes) -> tuple[Answer, str]:
    k = JARRETT11
    conditions = [Linear((0, 1, -1), -k["w2w3_min"]), Linear((0, -1, 1), k["w2w3_max"]),
                  Linear((1, -1 - k["slope"], k["slope"]), -k["intercept"]), Linear((-1, 1, 0), k["w1w2_max"])]
    answer = linear_answer(conditions, m)
    return _explained(answer, m, (0, 1, 2), "the Jarrett et al. 2011 box", [(0, 1), (1, 2)])


CRITERIA: tuple[Criterion, ...] = (
    Criterion("agn_stern12", "Stern12", "AGN", "Stern et al. 2012, ApJ 753, 30", ("W1", "W2"), stern12),
    Criterion("agn_assef18_r90", "R90", "AGN", "Assef et al. 2018, ApJS 234, 23, eq. 4 (R90)", ("W1", "W2"),
              assef18_r90),
    Criterion("agn_assef18_c75", "C75", "AGN", "Assef et al. 2018, ApJS 234, 23, eq. 5 (C75)", ("W1", "W2"),
              assef18_c75),
    Criterion("agn_mateos12", "Mateos12", "AGN", "Mateos et al. 2012, MNRAS 426, 3271", ("W1", "W2", "W3"), mateos12),
    Criterion("agn_jarrett11", "Jarrett11", "AGN", "Jarrett et al. 2011, ApJ 735, 112, eq. 1", ("W1", "W2", "W3"),
              jarrett11),
)


def classify(source: SourceRow) -> list[Verdict]:
    """Every criterion's verdict for one catalog source."""
    m = Magnitudes.of(source)
    return [Verdict(c.column, *c.answer(m)) for c in CRITERIA]


def class_label(verdicts: list[Verdict]) -> str:
    """The source table's short class: "AGN: Stern12, R90", or "—" when no criterion says yes."""
    by_column = {c.column: c for c in CRITERIA}
    agn = [by_column[v.criterion].label for v in verdicts if v.answer == "yes" and by_column[v.criterion].kind == "AGN"]
    return f"AGN: {', '.join(agn)}" if agn else "—"


#: The source table's class column.
CLASS_COLUMN = "colour_class"


def with_colour_classes(sources: pd.DataFrame) -> pd.DataFrame:
    """The source table with one column per criterion (its answer) and ``colour_class``."""
    if sources.empty:
        return sources.assign(**{c.column: pd.Series(dtype=object) for c in CRITERIA},
                              **{CLASS_COLUMN: pd.Series(dtype=object)})
    verdicts = [classify(row) for row in sources.to_dict("records")]
    columns = {c.column: [v[i].answer for v in verdicts] for i, c in enumerate(CRITERIA)}
    return sources.assign(**columns, **{CLASS_COLUMN: [class_label(v) for v in verdicts]})


def manifest_entry(verdicts: list[Verdict] | None) -> dict | None:
    """The manifest's ``colour_verdicts``: the selected source's answer to each criterion with its
    reason (the method and the criteria are the manifest's ``colour_classes``, ``METHOD_ENTRY``)."""
    return None if verdicts is None else {v.criterion: {"answer": v.answer, "reason": v.reason} for v in verdicts}


def _method_entry() -> dict:
    return {
        "method": "catalog profile-fit Vega magnitudes w1mpro, w2mpro, w3mpro as intervals (a 95% upper limit "
                  "on the flux: the magnitude is a lower bound; no measurement: unbounded); yes/no when every "
                  "allowed value decides alike, else undetermined; n/a outside a criterion's range",
        "criteria": [{"column": c.column, "label": c.label, "kind": c.kind, "reference": c.reference,
                      "bands": list(c.bands)} for c in CRITERIA],
        "constants": {"stern12": {"w1_w2": STERN12_W1W2, "w2_limit": STERN12_W2_LIMIT},
                      "assef18_r90": dict(zip(("alpha", "beta", "gamma"), ASSEF18_R90, strict=True)),
                      "assef18_c75": {"w1_w2": ASSEF18_C75}, "mateos12": MATEOS12, "jarrett11": JARRETT11,
                      "zero_points_jy": {b: BANDS[b].zero_point_jy for b in COLOUR_BANDS}},
    }


#: The manifest's ``colour_classes``: the method, the criteria and their constants, one object
#: (a batch's manifests render it once).
METHOD_ENTRY = _method_entry()
