"""From ``Observations`` to what the user reads: the source table, the selected source, its SED
and its light curve, with every cut counted. One function, ``analyze``, used by the page, the
CLI and the bundle (through ``pipeline.view``), so a download is exactly what was on screen."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dashboard.core.errors import ComputationFailed
from dashboard.core.model import Observations, ServerSideFilter, Target
from dashboard.core.tables import CATWISE, DESIGNATION_PREFIX, EPOCH_TABLES, PSD, PSR, UNWISE, catalog_table
from dashboard.core.targets import ecliptic_latitude
from dashboard.science.apertures import is_resolved
from dashboard.science.colour_track import ColourTrack, colour_track
from dashboard.science.colours import CLASS_COLUMN, Verdict, classify
from dashboard.science.colours_table import with_colour_classes
from dashboard.science.deeper import DeeperMatch, catwise_rows, unwise_rows
from dashboard.science.flares import FlareAnalysis, FlareParams
from dashboard.science.flares import analyse as analyse_flare
from dashboard.science.gaia_photometry import GaiaMatch, GaiaPhotometry, gaia_sed
from dashboard.science.infrared_excess import Star, infrared_excess
from dashboard.science.lightcurve import LightCurve, build_lightcurve
from dashboard.science.motion import Motion, MotionUse, moving_counterpart
from dashboard.science.near_infrared import two_mass_rows
from dashboard.science.periodogram import Periodogram, periodogram
from dashboard.science.photometry import SedOptions, sed_rows
from dashboard.science.quality import (
    CatalogCuts,
    CutReport,
    EpochCuts,
    apply_epoch_cuts,
    catalog_band_reasons,
)
from dashboard.science.saturation import SATURATED_FRACTION, saturation_keeps
from dashboard.science.sed_fit import Points, SedShape, sed_shape
from dashboard.science.select import Selection, match_epochs, selected_row, sources_table
from dashboard.science.stacking import Binning


@dataclass(frozen=True)
class AnalysisParams:
    """Every choice that shapes the view; all of it travels in the URL and the manifest."""

    source: str | None = None
    match_radius_arcsec: float = 3.0
    catalog_cuts: CatalogCuts = CatalogCuts()
    epoch_cuts: EpochCuts = EpochCuts()
    binning: Binning = Binning()
    sed_options: SedOptions = SedOptions()
    periodogram: bool = False  # Lomb-Scargle per band (periodogram.py); off by default: it costs ~0.2 s a band
    #: the flare and dust-echo search (flares.py) and its choices; None: not asked for (off by default)
    flare: FlareParams | None = None
    #: the SED bands the blackbody is fitted to (``sed_fit.py``); None: every detection
    fit_bands: tuple[str, ...] | None = None
    #: Gaia DR3 astrometry of the sources in the cone (from the sky context, or the manifest when
    #: replayed): the selected source's counterpart, if it moves, is matched epoch by epoch.
    counterparts: tuple[Motion, ...] = ()
    #: Gaia DR3's photometry of the cone's sources that the archive pairs with AllWISE ones (the
    #: sky context, or the manifest when replayed): the selected source's G, BP, RP in the SED.
    #: None: Gaia was not asked (a batch; the page before the sky context has come).
    gaia: GaiaPhotometry | None = None

    #: The fields a view takes from its sky context: per target, each recorded in a manifest
    #: section of its own ("proper_motion", "gaia_photometry"), never in "params".
    FROM_SKY: ClassVar[tuple[str, ...]] = ("counterparts", "gaia")

    def without_sky(self) -> AnalysisParams:
        return replace(self, counterparts=(), gaia=None)

    def recorded(self) -> dict[str, Any]:
        """The manifest's "params": every choice of the view, without what the sky context gave."""
        return {k: v for k, v in asdict(self).items() if k not in self.FROM_SKY}


@dataclass
class View:
    target: Target
    observations: Observations
    params: AnalysisParams
    sources: pd.DataFrame
    selection: Selection | None
    sed: pd.DataFrame
    lightcurve: LightCurve
    filters: list[CutReport] = field(default_factory=list)
    match_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    periodograms: dict[str, Periodogram] = field(default_factory=dict)  # by band, when params.periodogram
    periodogram_failure: ComputationFailed | None = None  # the periodogram was asked for and failed

    def periodogram_caution(self, band: str) -> str | None:
        """The red-noise caution of a band's periodogram (``Periodogram.red_noise_caution``), from
        the variability of its visits."""
        found = self.periodograms.get(band)
        stats = self.lightcurve.stats.get(band)
        if found is None:
            return None
        p = stats.p_constant_floor if stats is not None and stats.p_constant_floor is not None else (
            stats.p_constant if stats is not None else None)
        return found.red_noise_caution(p)
    colour_track: ColourTrack | None = None
    motion: MotionUse | None = None  # proper motion applied to the epoch match
    #: the selected source is resolved (``apertures.is_resolved``): its light curve's level is not its total flux
    resolved: bool = False
    #: AllWISE Reject Table rows in the cone (``add=psr``), nearest first: listed, never selected, never in the SED
    rejects: pd.DataFrame | None = None
    #: what each added catalog (CatWISE2020, unWISE) gave the SED, or why nothing
    deeper: list[DeeperMatch] = field(default_factory=list)
    #: the selected source's verdict per colour criterion (``colours.classify``)
    colours: list[Verdict] | None = None
    #: the flare and dust-echo search, when asked for (``params.flare``)
    flare: FlareAnalysis | None = None
    #: what the SED took from Gaia DR3 (``gaia_photometry.py``), or why nothing
    gaia: GaiaMatch | None = None
    _sed_shape: SedShape | None = field(default=None, repr=False, compare=False)

    def best_period(self, band: str) -> tuple[float | None, bool]:
        """The best period of ``band`` for a fold, and whether it is the view's own periodogram's
        (``pg=1``) or one found for the fold alone (neither drawn nor bundled)."""
        found = self.periodograms.get(band)
        if found is not None:
            return found.best_period_d, True
        alone = periodogram(self.lightcurve.epochs, band)
        return (alone.best_period_d if alone is not None else None), False

    def sed_shape(self) -> SedShape:
        """The SED's spectral index (both ranges) and blackbody fit (``sed_fit.py``), made once
        (the figure, the note and the manifest read it)."""
        if self._sed_shape is None:
            star = self.star()
            unsaturated = self.sed[~self.sed["saturated"].to_numpy(bool)] if "saturated" in self.sed else self.sed
            self._sed_shape = replace(sed_shape(self.sed, self.params.fit_bands),
                                      excess=infrared_excess(Points.of(unsaturated), star), star=not star.why_not())
        return self._sed_shape

    def star(self) -> Star:
        """What says whether the selected source is a star: its Gaia counterpart's parallax/error
        and its ``ext_flg`` (``infrared_excess.Star``)."""
        found = self.gaia.source if self.gaia is not None else None
        ext = None
        if self.selection is not None and not self.sources.empty and "ext_flg" in self.sources:
            hit = self.sources.loc[self.sources["key"].to_numpy(object) == self.selection.key, "ext_flg"]
            ext = int(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else None
        return Star(found.parallax_snr() if found is not None else None, ext)


@dataclass
class CatalogPart:
    """The catalog half of a view: what the AllWISE catalog rows (and any added catalog) give,
    whatever the epochs are (a batch makes the epoch half of a whole chunk at once)."""

    sources: pd.DataFrame
    selection: Selection | None
    sed: pd.DataFrame
    resolved: bool
    deeper: list[DeeperMatch]
    filters: list[CutReport]
    #: the selected source's verdict per colour criterion (``colours.classify``)
    colours: list[Verdict] | None = None
    #: what the SED took from Gaia DR3, or why nothing (None: no source selected)
    gaia: GaiaMatch | None = None


def catalog_part(target: Target, observations: Observations, params: AnalysisParams,
                 sources: pd.DataFrame | None = None) -> CatalogPart:
    """The source table, the selected source and its SED, with the catalog cuts' report.
    ``sources``: the source table when already made (``select.sources_of_objects``)."""
    if sources is None:
        sources = sources_table(observations.rows(PSD.name), target)
    if CLASS_COLUMN not in sources:  # (a batch chunk classifies its sources at once)
        sources = with_colour_classes(sources)
    chosen = selected_row(sources, target, params.source,
                          DESIGNATION_PREFIX.get(catalog_table(observations.results), "WISEA"))
    selection, source = chosen if chosen is not None else (None, None)
    rows = _sed_rows(source, params, catalog_table(observations.results)) if source is not None else []
    # resolved: read from the catalog row and the SED's saturation per band (before added catalogs)
    resolved = source is not None and bool(rows) and is_resolved(source, {r["band"]: r["saturated"] for r in rows})
    optical, gaia = gaia_sed(params.gaia, selection.designation) if selection is not None else ([], None)
    sed_table, deeper = _with_deeper(pd.DataFrame(rows + optical), observations, selection, params)
    filters: list[CutReport] = []
    if not sed_table.empty:
        c = params.catalog_cuts
        failed = ~sed_table["passed"].to_numpy(bool) & sed_table["measured"].to_numpy(bool)
        filters.append(CutReport(
            PSD.name, f"catalog cuts (ph_qual in {c.ph_qual}, clean cc_flags={c.clean_cc_flags}, "
                      f"ext_flg <= {c.max_ext_flg}, SNR >= {c.min_snr:g})",
            "ph_qual,cc_flags,ext_flg,w?snr", int(failed.sum()),
            int((sed_table["ph_qual"].to_numpy(object) == "not recorded").sum()), "applied per band to the SED"))
    verdicts = classify(source) if source is not None else None
    return CatalogPart(sources, selection, sed_table, resolved, deeper, filters, verdicts, gaia)


def analyze(target: Target, observations: Observations, params: AnalysisParams) -> View:
    catalog = catalog_part(target, observations, params)
    selection = catalog.selection
    ra, dec = (selection.ra, selection.dec) if selection else (target.ra, target.dec)
    cntr = selection.cntr if selection else None
    moving = moving_counterpart(params.counterparts, selection.designation if selection else None, ra, dec,
                                params.match_radius_arcsec)
    recovered = 0
    epoch_tables: dict[str, pd.DataFrame] = {}
    labels: dict[str, str] = {}
    match_counts: dict[str, dict[str, int]] = {}
    filters: list[CutReport] = []
    for spec in EPOCH_TABLES:
        result = observations.results.get(spec.name)
        if result is None:
            continue
        matched, counts = match_epochs(result.rows, ra, dec, params.match_radius_arcsec, cntr,
                                       multi_epoch=spec.multi_epoch)
        if moving is not None and not result.rows.empty:
            fixed = len(matched)
            at_epoch = moving[0].positions(result.rows["mjd"].to_numpy(float))
            matched, counts = match_epochs(result.rows, *at_epoch, params.match_radius_arcsec, cntr,
                                           multi_epoch=spec.multi_epoch)
            recovered += len(matched) - fixed
        match_counts[spec.name] = counts
        server_side = result.provenance.server_side_filter
        cut, report = apply_epoch_cuts(matched, spec, params.epoch_cuts, server_side)
        filters.extend(epoch_reports(spec.name, report, server_side))
        epoch_tables[spec.name] = cut
        labels[spec.name] = result.provenance.table
    lightcurve = build_lightcurve(epoch_tables, params.binning, labels, params.epoch_cuts.saturated)
    filters.extend(saturation_reports(lightcurve.epochs, labels, params))
    periodograms, failed = _periodograms(lightcurve.epochs) if params.periodogram else ({}, None)
    return assemble(target, observations, params, catalog, lightcurve, filters, match_counts,
                    periodograms=periodograms, periodogram_failure=failed,
                    motion=MotionUse(moving[0], moving[1], recovered) if moving is not None else None)


def epoch_reports(table: str, report: list[CutReport], server_side: ServerSideFilter | None) -> list[CutReport]:
    """An epoch table's entries in a view's filters: the server-side filter (if its rows were cut
    at IRSA), then each cut's report."""
    if server_side is None:
        return report
    return [CutReport(table, server_side.text, "(server-side)", None, 0,
                      "applied at IRSA before download; rows it removed were never received"), *report]


def assemble(target: Target, observations: Observations, params: AnalysisParams, catalog: CatalogPart,
             lightcurve: LightCurve, epoch_filters: list[CutReport], match_counts: dict[str, dict[str, int]], *,
             periodograms: dict[str, Periodogram] | None = None, periodogram_failure: ComputationFailed | None = None,
             motion: MotionUse | None = None) -> View:
    """The view from its catalog half and its light curve (``analyze``, or a batch's chunk)."""
    return View(target=target, observations=observations, params=params, sources=catalog.sources,
                selection=catalog.selection, sed=catalog.sed, lightcurve=lightcurve,
                filters=catalog.filters + epoch_filters, match_counts=match_counts,
                periodograms=periodograms or {}, periodogram_failure=periodogram_failure,
                colour_track=colour_track(lightcurve.colour(), lightcurve.visits), motion=motion,
                resolved=catalog.resolved, deeper=catalog.deeper, colours=catalog.colours, gaia=catalog.gaia,
                flare=analyse_flare(lightcurve.visits, params.binning.enabled, params.flare) if params.flare else None,
                rejects=sources_table(observations.rows(PSR.name), target) if PSR.name in observations.results
                else None)


def saturation_reports(epochs: pd.DataFrame, labels: dict[str, str], params: AnalysisParams) -> list[CutReport]:
    """What the per-band saturation cut did to each epoch table (band-epochs removed);
    ``labels``: each table's name as its epochs carry it (the table the rows came from)."""
    if not params.epoch_cuts.saturated:
        return []
    keeps = saturation_keeps(params.binning.saturation_w1, params.binning.saturation_w2, SATURATED_FRACTION)
    out = []
    saturated = epochs["saturated"].to_numpy(bool) if len(epochs) else np.zeros(0, bool)
    tables = epochs["table"].to_numpy(object)[saturated] if len(epochs) else np.zeros(0, object)  # few: compared
    for table, label in labels.items():  # with the cut on, every saturated band-epoch was cut
        removed = int((tables == label).sum())
        out.append(CutReport(table, keeps, "w1mpro, w2mpro, w?sat", removed, 0, "applied per band"))
    return out


def _periodograms(epochs: pd.DataFrame) -> tuple[dict[str, Periodogram], ComputationFailed | None]:
    """The W1/W2 periodograms, or the failure that stopped them. An optional computation that
    breaks (a library missing at run time, a numerical failure) leaves the rest of the view intact:
    its panel, the CLI and the manifest say why instead."""
    try:
        found = {band: periodogram(epochs, band) for band in ("W1", "W2")}
    except Exception as exc:  # noqa: BLE001 - every failure of an optional panel stays in that panel
        return {}, ComputationFailed("periodogram", f"{type(exc).__name__}: {exc}")
    return {band: p for band, p in found.items() if p is not None}, None


def _with_deeper(sed_table: pd.DataFrame, observations: Observations, selection: Selection | None,
                 params: AnalysisParams) -> tuple[pd.DataFrame, list[DeeperMatch]]:
    """The SED with the CatWISE2020 and unWISE W1/W2 points of the selected source (``deeper.py``),
    one row per band and catalog after the AllWISE rows, and what each catalog matched."""
    if selection is None:
        return sed_table, []
    rows: list[dict[str, object]] = []
    matches = []
    if CATWISE.name in observations.results:
        found, match = catwise_rows(observations.rows(CATWISE.name), selection, params.match_radius_arcsec,
                                    params.counterparts)
        rows += found
        matches.append(match)
    if UNWISE.name in observations.results:
        found, match = unwise_rows(observations.rows(UNWISE.name), selection, params.match_radius_arcsec)
        rows += found
        matches.append(match)
    if not rows:
        return sed_table, matches
    return pd.concat([sed_table, pd.DataFrame(rows)], ignore_index=True), matches


def _sed_rows(source: dict[Any, Any], params: AnalysisParams, catalog: str) -> list[dict[str, Any]]:
    """The selected source's SED rows (``photometry.sed_rows``), each with its catalog cuts' verdict,
    then the J, H, Ks of its 2MASS association (``near_infrared.py``; the WISE cuts do not apply)."""
    rows = sed_rows(source, params.sed_options, catalog)
    for row in rows:
        reasons = catalog_band_reasons(source, row, params.catalog_cuts)
        if not row["measured"]:
            reasons.insert(0, row["note"])
        row["reasons"], row["passed"] = "; ".join(reasons), not reasons
    return rows + two_mass_rows(source)


def binning_note(view: View) -> str:
    """Said before the statistics when visits are fixed windows (near the ecliptic poles); page and CLI."""
    lc = view.lightcurve
    if not lc.binning.enabled or lc.epochs.empty or lc.visit_mode != "window":
        return ""
    beta = ecliptic_latitude(view.target.ra, view.target.dec)
    return (f"Visits are {lc.binning.window_days:g}-day windows: WISE saw this position almost continuously "
            f"(ecliptic latitude {beta:+.1f}°), so a {lc.binning.gap_days:g}-day gap rule would merge months. · ")
