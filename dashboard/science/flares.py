"""Infrared flares and dust echoes in a visit light curve: a baseline per band, the excess of each
visit over it, the flare, and the dust's temperature, radius and luminosity per visit.

The method follows timewise's flare search (Necker et al. 2025, A&A 695, A228) as its public code
runs it (AmpelAstro/Ampel-HU-astro: ``T2BayesianBlocks`` for the blocks and the baseline,
``T2DustEchoEval`` for the flare), on the visit flux densities of each band (W1, W2), in order:

1. **Blocks.** astropy's ``bayesian_blocks`` (Scargle et al. 2013) with fitness ``measures`` on the
   detected visits (time, flux density, error) and the prior Ampel passes for WISE,
   ``ncp_prior = 1.32 + 0.577 log10 N`` (N visits; astropy's own default for ``measures`` differs).
   A block's level is the mean of its visits, its error √(Σσ²)/n (Ampel: the mean of the
   ``uncertainties`` array).
2. **Baseline.** The lowest block (the second lowest when the lowest holds a single visit); then,
   block by block from the lowest level up, a block whose level is within ``merge_sigma`` of the
   baseline (|Δ| ≤ k √(σ_b² + σ_block²)) joins it and the baseline is re-made from every visit of
   its blocks (Ampel's ``baye_block_levels_with_changing_baseline``). ``merge_sigma`` = 3, the
   default ``rej_sigma`` of ``T2BayesianBlocks``, the unit that merges; the 5σ of timewise's flare
   configuration is ``T2DustEchoEval``'s ``rej_sigma``, the threshold a flare must reach, which is
   ``flare_sigma`` here: two thresholds of two steps, not two choices for one.
   Or the user sets the window (URL ``base=MJD1,MJD2``): the baseline is the mean of the visits in
   it (at least two).
3. **Excess** per visit and band: flux − baseline, σ = √(σ_visit² + σ_b²), significance = excess/σ.
4. **Flare**: the excess reaches ``flare_sigma`` (5) in both W1 and W2, in excess regions (the
   non-baseline blocks around each band's peak) that overlap in time, with a baseline block
   before them (else "under way in 2010": no baseline before). Start: the first visit of the
   region; end: its last; peak: the W1 visit of largest excess. Rise and fade e-folding times as
   ``T2DustEchoEval`` computes them on flux: (t_peak − t_last baseline) / ln(F_peak / F_baseline)
   and −(t_last − t_peak) / ln(F_last / F_peak).
5. **Dust** per visit whose excess is at least ``dust_sigma`` (3) in both bands: the blackbody
   temperature of the W1/W2 excess with the WISE colour corrections for a blackbody
   (``blackbody.py``), its uncertainty the spread of ``n_resample`` draws of the two fluxes from
   their errors (a recorded seed: the same data give the same bytes). That is the observed-frame
   temperature; with a redshift: T_rest = (1 + z) T_obs, the radius of the sphere that gives the
   flux, R = D_A √(Ω/π), and L = 4π R² σ T_rest⁴ with astropy's Planck18 cosmology; the energy
   radiated is ∫ L dt over the flare's dust visits in the rest frame.

Limits (the docs say them too): host variability and an AGN also make blocks above a baseline;
the baseline is the faintest state seen, not the host's quiescence; visits six months apart
resolve neither a fast rise nor a short flare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from astropy.stats import bayesian_blocks

from dashboard.science.blackbody import SIGMA_SB, Blackbody, temperature_from_ratio
from dashboard.science.blackbody_table import temperatures_from_ratios

BANDS = ("W1", "W2")
C_M_S = 2.99792458e8
PC_M = 3.0856775814913673e16
DAY_S = 86400.0
CITATIONS = ("Necker et al. 2025, A&A 695, A228 (timewise flare search)",
             "Scargle et al. 2013, ApJ 764, 167 (Bayesian blocks)",
             "van Velzen et al. 2016, ApJ 829, 19 (dust echoes of TDEs)",
             "Planck Collaboration 2020, A&A 641, A6 (Planck18 cosmology)")


@dataclass(frozen=True)
class FlareParams:
    """Every choice of the method (module docstring), recorded in the manifest."""

    merge_sigma: float = 3.0
    flare_sigma: float = 5.0
    dust_sigma: float = 3.0
    n_resample: int = 1000
    seed: int = 20250101
    baseline_window: tuple[float, float] | None = None
    redshift: float | None = None
    event_mjd: float | None = None
    colour_corrections: bool = True

    @staticmethod
    def ncp_prior(n: int) -> float:
        """Ampel's prior for WISE visit light curves (``T2BayesianBlocks``)."""
        return 1.32 + 0.577 * math.log10(n)


@dataclass(frozen=True)
class Block:
    start: float  # MJD of its first visit
    end: float  # MJD of its last visit
    level: float  # Jy
    error: float  # Jy
    n_visits: int
    baseline: bool


@dataclass
class Baseline:
    """A band's quiescent level, its error and the visits it rests on."""

    band: str
    level: float
    error: float
    visit_mjd: list[float]
    blocks: list[Block]
    method: str


class BaselineError(ValueError):
    """No baseline can be made (too few visits, or a window holding fewer than two)."""


def _mean(flux: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """The mean and its propagated error √(Σσ²)/n (Ampel's mean of an ``uncertainties`` array)."""
    return float(flux.mean()), float(math.sqrt(float((err ** 2).sum())) / len(flux))


def blocks_of(mjd: np.ndarray, flux: np.ndarray, err: np.ndarray) -> list[Block]:
    """Step 1: the Bayesian blocks of one band's visits, each with its mean level."""
    edges = bayesian_blocks(mjd.copy(), flux.copy(), sigma=err.copy(), fitness="measures",  # (it writes to them)
                            ncp_prior=FlareParams.ncp_prior(len(mjd)))
    blocks = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (mjd >= low) & (mjd <= high) if high == edges[-1] else (mjd >= low) & (mjd < high)
        if inside.any():
            level, error = _mean(flux[inside], err[inside])
            blocks.append(Block(float(mjd[inside][0]), float(mjd[inside][-1]), level, error, int(inside.sum()),
                                False))
    return blocks


def bayesian_baseline(band: str, mjd: np.ndarray, flux: np.ndarray, err: np.ndarray,
                      params: FlareParams) -> Baseline:
    """Step 2: the lowest block, then the blocks consistent with it, merged (module docstring)."""
    if len(mjd) < 3:
        raise BaselineError(f"{band}: {len(mjd)} detected visit(s); the blocks need at least 3")
    blocks = blocks_of(mjd, flux, err)
    by_level = sorted(range(len(blocks)), key=lambda i: blocks[i].level)
    first = by_level[1] if blocks[by_level[0]].n_visits == 1 and len(blocks) > 1 else by_level[0]
    member = {first}

    def level_of(members: set[int]) -> tuple[float, float]:
        inside = np.zeros(len(mjd), bool)
        for i in members:
            inside |= (mjd >= blocks[i].start) & (mjd <= blocks[i].end)
        return _mean(flux[inside], err[inside])

    level, error = level_of(member)
    for i in by_level:
        if i not in member and abs(blocks[i].level - level) <= params.merge_sigma * math.hypot(error, blocks[i].error):
            member.add(i)
            level, error = level_of(member)
    marked = [Block(b.start, b.end, b.level, b.error, b.n_visits, i in member) for i, b in enumerate(blocks)]
    rests_on = [float(t) for t in mjd if any(b.baseline and b.start <= t <= b.end for b in marked)]
    return Baseline(band, level, error, rests_on, marked, "bayesian blocks")


def window_baseline(band: str, mjd: np.ndarray, flux: np.ndarray, err: np.ndarray,
                    params: FlareParams) -> Baseline:
    """Step 2, set by hand: the mean of the visits inside ``params.baseline_window``; the blocks
    within ``merge_sigma`` of it are the baseline's (the excess regions lie between them)."""
    window = params.baseline_window or (0.0, 0.0)
    inside = (mjd >= window[0]) & (mjd <= window[1])
    if inside.sum() < 2:
        raise BaselineError(f"{band}: the baseline window MJD {window[0]:g}–{window[1]:g} holds "
                            f"{int(inside.sum())} detected visit(s); it needs at least two")
    level, error = _mean(flux[inside], err[inside])
    marked = [Block(b.start, b.end, b.level, b.error, b.n_visits,
                    abs(b.level - level) <= params.merge_sigma * math.hypot(error, b.error))
              for b in blocks_of(mjd, flux, err)]
    return Baseline(band, level, error, [float(t) for t in mjd[inside]], marked, "window set by hand")


def detected_visits(visits: pd.DataFrame, band: str) -> pd.DataFrame:
    """A band's detected visits: no upper limits, a finite flux and a positive error."""
    rows = visits[(visits["band"] == band) & ~visits["upper_limit"].astype(bool)]
    return rows[np.isfinite(rows["flux_jy"].to_numpy(float)) & (rows["flux_err_jy"].to_numpy(float) > 0)]


def band_visits(visits: pd.DataFrame, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band's detected visits as arrays, in time order (what the blocks are made of)."""
    rows = detected_visits(visits, band).sort_values("mjd", kind="stable")
    return rows["mjd"].to_numpy(float), rows["flux_jy"].to_numpy(float), rows["flux_err_jy"].to_numpy(float)


def excess_table(visits: pd.DataFrame, baselines: dict[str, Baseline]) -> pd.DataFrame:
    """Step 3: one row per detected visit and band: its excess over the band's baseline."""
    parts = []
    for band, base in baselines.items():
        rows = detected_visits(visits, band)
        excess = rows["flux_jy"].to_numpy(float) - base.level
        error = np.hypot(rows["flux_err_jy"].to_numpy(float), base.error)
        in_baseline = np.isin(rows["mjd"].to_numpy(float), base.visit_mjd)
        parts.append(pd.DataFrame({"visit": rows["visit"].to_numpy(), "band": band, "mjd": rows["mjd"].to_numpy(float),
                                   "flux_jy": rows["flux_jy"].to_numpy(float), "excess_jy": excess,
                                   "excess_err_jy": error, "significance": excess / error,
                                   "baseline": in_baseline}))
    if not parts:
        return pd.DataFrame(columns=["visit", "band", "mjd", "flux_jy", "excess_jy", "excess_err_jy", "significance",
                                     "baseline"])
    return pd.concat(parts, ignore_index=True).sort_values(["mjd", "band"], kind="stable").reset_index(drop=True)


@dataclass
class BandFlare:
    """One band's excess region around its peak."""

    peak_mjd: float
    peak_excess_jy: float
    peak_significance: float
    start_mjd: float
    end_mjd: float
    baseline_before: bool
    last_baseline_mjd: float | None
    rise_days: float | None
    fade_days: float | None


@dataclass
class Flare:
    """Step 4's answer: a flare or not, with the numbers that decided it."""

    found: bool
    reason: str
    bands: dict[str, BandFlare] = field(default_factory=dict)
    highest_significance: dict[str, float] = field(default_factory=dict)
    start_mjd: float | None = None
    peak_mjd: float | None = None
    end_mjd: float | None = None
    delay_days: float | None = None
    light_travel_pc: float | None = None


def _region(base: Baseline, peak_mjd: float) -> tuple[float, float, Block | None]:
    """The excess region around the peak: the run of non-baseline blocks holding it, and the
    baseline block just before it (None: the light curve starts in excess)."""
    blocks = base.blocks
    at = next(i for i, b in enumerate(blocks) if b.start <= peak_mjd <= b.end)
    first = last = at
    while first > 0 and not blocks[first - 1].baseline:
        first -= 1
    while last < len(blocks) - 1 and not blocks[last + 1].baseline:
        last += 1
    before = next((blocks[i] for i in range(first - 1, -1, -1) if blocks[i].baseline), None)
    return blocks[first].start, blocks[last].end, before


def band_flare(rows: pd.DataFrame, base: Baseline) -> BandFlare | None:
    """One band's peak (the visit of largest excess), its region and its e-folding times."""
    if rows.empty:
        return None
    peak = rows.iloc[int(np.argmax(rows["excess_jy"].to_numpy(float)))]
    if peak["baseline"]:  # the largest excess is a baseline visit: nothing above the baseline
        return BandFlare(float(peak["mjd"]), float(peak["excess_jy"]), float(peak["significance"]),
                         float(peak["mjd"]), float(peak["mjd"]), True, None, None, None)
    start, end, before = _region(base, float(peak["mjd"]))
    t_peak, f_peak = float(peak["mjd"]), float(peak["flux_jy"])
    rise = ((t_peak - before.end) / math.log(f_peak / base.level)
            if before is not None and f_peak > base.level > 0 else None)
    after = rows[(rows["mjd"] >= t_peak) & (rows["mjd"] <= end)]
    last = after.iloc[-1]
    fade = (-(float(last["mjd"]) - t_peak) / math.log(float(last["flux_jy"]) / f_peak)
            if len(after) > 1 and 0 < float(last["flux_jy"]) < f_peak else None)
    return BandFlare(t_peak, float(peak["excess_jy"]), float(peak["significance"]), start, end, before is not None,
                     before.end if before is not None else None, rise, fade)


def find_flare(excess: pd.DataFrame, baselines: dict[str, Baseline], params: FlareParams) -> Flare:
    """Step 4: a flare when both bands reach ``flare_sigma`` in overlapping regions after a baseline."""
    bands = {b: band_flare(excess[excess["band"] == b], baselines[b]) for b in BANDS if b in baselines}
    highest = {b: (round(f.peak_significance, 2) if f else float("nan")) for b, f in bands.items()}
    numbers = ", ".join(f"{b} {s:.1f}σ" for b, s in highest.items())
    flare = Flare(False, "", {b: f for b, f in bands.items() if f is not None}, highest)
    if len(flare.bands) < 2:
        flare.reason = "no flare: both W1 and W2 visits are needed"
        return flare
    w1, w2 = flare.bands["W1"], flare.bands["W2"]
    if min(w1.peak_significance, w2.peak_significance) < params.flare_sigma:
        flare.reason = f"no flare: the highest excess reached {numbers}, not {params.flare_sigma:g}σ in both bands"
        return flare
    if w1.start_mjd > w2.end_mjd or w2.start_mjd > w1.end_mjd:
        flare.reason = f"no flare: W1 and W2 peak in excess regions that do not overlap ({numbers})"
        return flare
    if not (w1.baseline_before and w2.baseline_before):
        flare.reason = (f"excess from the first visits ({numbers}): a flare already under way when WISE first "
                        "looked, with no baseline before it")
        return flare
    flare.found, flare.start_mjd = True, min(w1.start_mjd, w2.start_mjd)
    flare.peak_mjd, flare.end_mjd = w1.peak_mjd, max(w1.end_mjd, w2.end_mjd)
    flare.reason = f"flare: {numbers} at the peak, after a baseline in both bands"
    if params.event_mjd is not None:
        flare.delay_days = flare.start_mjd - params.event_mjd
        rest = flare.delay_days / (1 + params.redshift) if params.redshift is not None else flare.delay_days
        flare.light_travel_pc = C_M_S * rest * DAY_S / PC_M
    return flare


DUST_COLUMNS = ["visit", "mjd", "excess_w1_mjy", "excess_w1_err_mjy", "excess_w2_mjy", "excess_w2_err_mjy",
                "t_obs_k", "t_obs_err_k"]
DUST_REST_COLUMNS = ["t_rest_k", "t_rest_err_k", "radius_pc", "radius_err_pc", "log_lum_erg_s", "log_lum_err_erg_s"]


def _pairs(excess: pd.DataFrame, sigma: float) -> pd.DataFrame:
    """The visits with an excess of at least ``sigma`` in both W1 and W2, one row each."""
    both = pd.merge(excess[excess["band"] == "W1"], excess[excess["band"] == "W2"], on="visit",
                    suffixes=("_w1", "_w2"))
    keep = (both["significance_w1"] >= sigma) & (both["significance_w2"] >= sigma)
    return both[keep].reset_index(drop=True)


def _spread(draws: np.ndarray) -> float:
    """Half the 16th–84th percentile range of the finite draws (a 1σ-like spread)."""
    finite = draws[np.isfinite(draws)]
    return float(np.percentile(finite, 84) - np.percentile(finite, 16)) / 2 if len(finite) > 1 else float("nan")


def dust_table(excess: pd.DataFrame, params: FlareParams) -> pd.DataFrame:
    """Step 5: per visit with excess in both bands, the dust's observed-frame temperature and its
    spread over ``n_resample`` draws of the two fluxes (seeded), and with a redshift its rest-frame
    temperature, radius and luminosity (``with_redshift``)."""
    pairs = _pairs(excess, params.dust_sigma)
    columns = DUST_COLUMNS + (DUST_REST_COLUMNS if params.redshift is not None else [])
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    rng = np.random.default_rng(params.seed)
    rows = []
    for pair in pairs.to_dict("records"):
        e1, s1, e2, s2 = (float(pair[k]) for k in ("excess_jy_w1", "excess_err_jy_w1", "excess_jy_w2",
                                                   "excess_err_jy_w2"))
        t = temperature_from_ratio(e1, e2, corrections=params.colour_corrections)
        draws_1 = rng.normal(e1, s1, params.n_resample)
        draws_2 = rng.normal(e2, s2, params.n_resample)
        t_draws = temperatures_from_ratios(draws_1, draws_2, corrections=params.colour_corrections)
        row = {"visit": int(pair["visit"]), "mjd": float(pair["mjd_w1"]), "excess_w1_mjy": e1 * 1e3,
               "excess_w1_err_mjy": s1 * 1e3, "excess_w2_mjy": e2 * 1e3, "excess_w2_err_mjy": s2 * 1e3,
               "t_obs_k": t if t is not None else float("nan"), "t_obs_err_k": _spread(t_draws)}
        if params.redshift is not None:
            row |= with_redshift(t, e2, t_draws, draws_2, params)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def with_redshift(t_obs: float | None, flux_w2: float, t_draws: np.ndarray, flux_draws: np.ndarray,
                  params: FlareParams) -> dict[str, float]:
    """T_rest = (1 + z) T_obs; R from the W2 flux's solid angle at D_A; L = 4π R² σ T_rest⁴ (erg/s)."""
    from astropy.cosmology import Planck18

    z = float(params.redshift)  # type: ignore[arg-type]
    d_a = float(Planck18.angular_diameter_distance(z).to_value("m"))

    def radius_lum(t: float, f: float) -> tuple[float, float]:
        if not (math.isfinite(t) and f > 0):
            return float("nan"), float("nan")
        r = Blackbody.through(f, "W2", t, params.colour_corrections).radius_m(d_a)
        return r / PC_M, math.log10(4 * math.pi * r ** 2 * SIGMA_SB * (t * (1 + z)) ** 4 * 1e7)

    r, log_l = radius_lum(t_obs if t_obs is not None else float("nan"), flux_w2)
    drawn = np.array([radius_lum(t, f) for t, f in zip(t_draws[:200], flux_draws[:200], strict=True)])
    return {"t_rest_k": (t_obs * (1 + z)) if t_obs is not None else float("nan"),
            "t_rest_err_k": _spread(t_draws) * (1 + z), "radius_pc": r, "radius_err_pc": _spread(drawn[:, 0]),
            "log_lum_erg_s": log_l, "log_lum_err_erg_s": _spread(drawn[:, 1])}


@dataclass
class FlareAnalysis:
    """Everything the panel, the bundle and the batch summary read."""

    params: FlareParams
    baselines: dict[str, Baseline]
    excess: pd.DataFrame
    flare: Flare
    dust: pd.DataFrame
    failure: str | None = None

    def energy_erg(self) -> float | None:
        """∫ L dt over the flare's dust visits, rest frame (a redshift needed)."""
        if self.params.redshift is None or not self.flare.found or "log_lum_erg_s" not in self.dust:
            return None
        mjd, log_l = self.dust["mjd"].to_numpy(float), self.dust["log_lum_erg_s"].to_numpy(float)
        keep = (mjd >= float(self.flare.start_mjd or 0)) & (mjd <= float(self.flare.end_mjd or 0)) & np.isfinite(log_l)
        if keep.sum() < 2:
            return None
        return float(np.trapezoid(10 ** log_l[keep], mjd[keep] * DAY_S / (1 + self.params.redshift)))


def analyse(visits: pd.DataFrame, binned: bool, params: FlareParams) -> FlareAnalysis:
    """Steps 1–5 on a view's visits (``LightCurve.visits``)."""
    empty = pd.DataFrame()
    if not binned:
        return FlareAnalysis(params, {}, empty, Flare(False, "no flare search: it runs on visits (bin=1)"),
                             pd.DataFrame(columns=DUST_COLUMNS), "it needs visits: turn binning on (bin=1)")
    baselines: dict[str, Baseline] = {}
    try:
        for band in BANDS:
            mjd, flux, err = band_visits(visits, band)
            baselines[band] = (window_baseline(band, mjd, flux, err, params)
                               if params.baseline_window else bayesian_baseline(band, mjd, flux, err, params))
    except BaselineError as error:
        return FlareAnalysis(params, baselines, empty, Flare(False, f"no flare search: {error}"),
                             pd.DataFrame(columns=DUST_COLUMNS), str(error))
    excess = excess_table(visits, baselines)
    flare = find_flare(excess, baselines, params)
    return FlareAnalysis(params, baselines, excess, flare, dust_table(excess, params))


#: ``flare.csv``'s columns (one row), and the batch summary's flare columns: one definition.
FLARE_COLUMNS = ["flare", "start_mjd", "peak_mjd", "end_mjd", "rise_days", "fade_days", "delay_days",
                 "light_travel_pc", "peak_excess_w1_mjy", "peak_excess_w2_mjy", "peak_significance_w1",
                 "peak_significance_w2", "t_dust_k_at_peak", "t_dust_frame", "energy_erg", "reason"]


def flare_row(found: FlareAnalysis) -> dict[str, object]:
    """The one row of ``flare.csv``: the flare (or not, and why), rise and fade in W1 (the band
    whose peak the flare's peak is), each band's peak excess and significance, and the dust
    temperature at the dust visit nearest the peak (rest frame when the redshift is known)."""
    flare, nan = found.flare, float("nan")
    row: dict[str, object] = {c: nan for c in FLARE_COLUMNS}
    w1 = flare.bands.get("W1")
    row |= {"flare": flare.found, "reason": flare.reason, "t_dust_frame": "",
            "start_mjd": flare.start_mjd, "peak_mjd": flare.peak_mjd, "end_mjd": flare.end_mjd,
            "rise_days": w1.rise_days if (w1 and flare.found) else None,
            "fade_days": w1.fade_days if (w1 and flare.found) else None,
            "delay_days": flare.delay_days, "light_travel_pc": flare.light_travel_pc, "energy_erg": found.energy_erg()}
    for band, b in flare.bands.items():
        row[f"peak_excess_{band.lower()}_mjy"] = b.peak_excess_jy * 1e3
        row[f"peak_significance_{band.lower()}"] = b.peak_significance
    if flare.found and not found.dust.empty:
        offset = np.abs(found.dust["mjd"].to_numpy(float) - float(flare.peak_mjd or 0.0))
        nearest = found.dust.iloc[int(np.argmin(offset))]
        rest = "t_rest_k" in found.dust
        row["t_dust_k_at_peak"] = float(nearest["t_rest_k" if rest else "t_obs_k"])
        row["t_dust_frame"] = "rest" if rest else "observed"
    return {k: (nan if v is None else v) for k, v in row.items()}


def manifest_entry(found: FlareAnalysis) -> dict[str, object]:
    """The manifest's ``flare`` section: the method, every parameter, the baselines, the answer."""
    p = found.params
    return {
        "method": "timewise flare search (Necker et al. 2025) as Ampel-HU-astro's T2BayesianBlocks and "
                  "T2DustEchoEval run it: Bayesian blocks (fitness measures) on the visit flux densities, "
                  "baseline = the lowest block merged with blocks within merge_sigma, excess per visit, a flare "
                  "at flare_sigma in both W1 and W2 after a baseline; dust temperature per visit from the W1/W2 "
                  "excess (blackbody with WISE colour corrections from the Wright et al. 2010 response curves)",
        "ncp_prior": "1.32 + 0.577 log10(N visits) (Ampel T2BayesianBlocks, data_type wise)",
        "merge_sigma": p.merge_sigma, "flare_sigma": p.flare_sigma, "dust_sigma": p.dust_sigma,
        "n_resample": p.n_resample, "seed": p.seed, "colour_corrections": p.colour_corrections,
        "baseline_window": list(p.baseline_window) if p.baseline_window else None,
        "redshift": p.redshift, "event_mjd": p.event_mjd,
        "cosmology": "astropy Planck18 (Planck Collaboration 2020)" if p.redshift is not None else None,
        "baselines": {b: {"level_mjy": base.level * 1e3, "error_mjy": base.error * 1e3, "method": base.method,
                          "visits_mjd": base.visit_mjd} for b, base in found.baselines.items()},
        "failure": found.failure, "answer": found.flare.reason, "citations": list(CITATIONS),
        "limits": "host variability and an AGN also make blocks above a baseline; the baseline is the faintest "
                  "state seen; six-month visits resolve neither a fast rise nor a short flare",
    }
