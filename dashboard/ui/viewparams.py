"""Every view parameter, declared once: its domain name, URL key, kind, default, what it means and
what depends on it. The page's parser, the exact parser of ``/bundle.zip`` and ``bundle --url``,
the canonical query, the manifest's ``view`` section and the docs' parameter page
(``docs/parameters.md``, tested equal to ``markdown_table()``) all come from ``VIEW_PARAMETERS``.

Rules for a parameter added later (``at_default="absent"``): at its default it is left out of the
canonical query and of the manifest, so every existing link and manifest keeps its meaning and
bytes; a value taken from a service (a redshift from SIMBAD, say) is written into the link when
it is used, so the link still holds the whole view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dashboard.config import Settings
from dashboard.core.tables import ADDED
from dashboard.core.targets import MIN_RADIUS_ARCSEC
from dashboard.science.analysis import AnalysisParams
from dashboard.science.apertures import PHOT_MODES
from dashboard.science.periodogram import ORBIT_DAYS
from dashboard.science.photometry import COLOUR_CORRECTIONS
from dashboard.science.quality import ALL_CUTS
from dashboard.ui.paramkinds import Choice, Custom, Flag, Number, Span, Text, Tokens, mjd_of, number

_DEFAULT = AnalysisParams()
_CATALOG = _DEFAULT.catalog_cuts
_BINNING = _DEFAULT.binning

#: ``written``: in the canonical query even at its default (the parameters of the first links);
#: ``listed``: left out of the query at its default, recorded as null in the manifest;
#: ``absent``: left out of both at its default (every parameter added since: old bytes kept).
AtDefault = Literal["written", "listed", "absent"]

#: Fold periods: WISE's 94.6-min orbit is the shortest period its cadence can sample.
FOLD_DAYS = (round(ORBIT_DAYS, 4), 10000.0)
FOLD_WHY = (f"a fold period is 'best' or days from {FOLD_DAYS[0]:g} (WISE's 94.6-min orbit: no shorter period "
            "can be sampled) to 10000")
#: Event dates: the missions' span (2010-01-07 to 2024-08-01) with a few years either side.
EVENT_MJD = (53000.0, 62000.0)
EVENT_WHY = ("an event date is an MJD or an ISO date (2019-04-09) from MJD 53000 (2004-01-06) to 62000 "
             "(2028-08-18)")


def parse_fold(text: str) -> float | str | None:
    """A fold period: 'best', or days within ``FOLD_DAYS``; None for anything else. The URL and the page's box."""
    text = text.strip().lower()
    return "best" if text == "best" else number(text.removesuffix("d").strip(), *FOLD_DAYS)


def _write_fold(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.9g}"


@dataclass(frozen=True)
class ViewParameter:
    """One view parameter. ``name`` is the ``ViewState`` field; ``key`` the URL's."""

    name: str
    key: str
    kind: Any  # a kind of ``ui.paramkinds``: parse, write, accepted
    default: Any
    description: str
    affects: tuple[str, ...]
    at_default: AtDefault = "absent"

    def written(self, value: Any) -> bool:
        """Whether the canonical query holds this value."""
        return self.at_default == "written" or value != self.default


_VISIT_WHY = "{key} is a visit number 0, 1, 2, … (the visit column of lightcurve_visits.csv)"
_LC = ("light curve", "lightcurve_*.csv")
_SED = ("SED", "sed.csv")
_ALL = ("every panel", "every file")

#: In the canonical query's order (the order of the first links: their bytes are kept).
VIEW_PARAMETERS: tuple[ViewParameter, ...] = (
    ViewParameter("target", "target", Text(200), "", "Name, coordinates or AllWISE designation.", _ALL, "written"),
    ViewParameter("radius", "r", Number(MIN_RADIUS_ARCSEC, None, "radius must be {low:g} to {high:g} arcsec"),
                  Settings().default_radius_arcsec, "Cone radius, arcsec.", _ALL, "written"),
    ViewParameter("source", "src", Text(64), "", "The AllWISE designation of the selected source (default: the "
                  "nearest).", ("sources", "SED", "light curve"), "listed"),
    ViewParameter("ph_qual", "ph", Tokens(tuple("ABCUXZ"), letters=True), _CATALOG.ph_qual,
                  "Catalog `ph_qual` letters a source needs in W1 and W2 to be kept.", ("sources", "sources.csv"),
                  "written"),
    ViewParameter("clean_cc", "cc", Flag(), _CATALOG.clean_cc_flags, "Catalog `cc_flags` must be clean (0) in W1, W2.",
                  ("sources", "sources.csv"), "written"),
    ViewParameter("max_ext", "ext", Number(0, 5, "ext_flg limit is 0..5", integer=True), _CATALOG.max_ext_flg,
                  "Largest catalog `ext_flg` kept.", ("sources", "sources.csv"), "written"),
    ViewParameter("min_snr", "snr", Number(0, 1000, "SNR minimum is 0..1000"), _CATALOG.min_snr,
                  "Catalog W1 SNR minimum.", ("sources", "sources.csv"), "written"),
    ViewParameter("epoch_cuts", "cuts", Tokens(ALL_CUTS), _DEFAULT.epoch_cuts.enabled,
                  "Epoch quality cuts enabled (`science/quality.py`; `sat` removes a saturated band-epoch alone).",
                  _LC, "written"),
    ViewParameter("binning", "bin", Flag(), _BINNING.enabled, "Stack exposures into visits (timewise).", _LC,
                  "written"),
    ViewParameter("unit", "unit", Choice(("mag", "flux"), "unit is mag or flux"), "mag",
                  "Light-curve axis: Vega magnitude or flux density (mJy).", ("light curve",), "written"),
    ViewParameter("sed_axis", "sed", Choice(("fnu", "nufnu"), "sed is fnu or nufnu"), "fnu",
                  "SED axis: Fν (Jy) or νFν.", ("SED",), "written"),
    ViewParameter("phot", "phot", Choice(PHOT_MODES, f"phot is {', '.join(PHOT_MODES)}"), _DEFAULT.sed_options.phot,
                  "The SED's photometry per band (`auto` picks the elliptical aperture of a 2MASS XSC galaxy).",
                  _SED, "written"),
    ViewParameter("match_radius", "match", Number(0.1, 10, "match radius is 0.1..10 arcsec"),
                  _DEFAULT.match_radius_arcsec, "Epoch match radius, arcsec.", _LC, "written"),
    ViewParameter("w4_red", "w4red", Flag(), _DEFAULT.sed_options.w4_red_correction,
                  "Apply the W4 red-source factor (Wright et al. 2010).", _SED, "written"),
    ViewParameter("visit_gap", "gap", Number(1.0, 1000.0, "visit gap is 1 to 1000 days"), _BINNING.gap_days,
                  "A new visit starts after a gap longer than this, days.", _LC, "written"),
    ViewParameter("outlier_threshold", "othr", Number(1.0, 100.0, "outlier threshold is 1 to 100"),
                  _BINNING.outlier_threshold, "Outlier threshold of the visit stacking.", _LC, "written"),
    ViewParameter("outlier_quantile", "oq", Number(0.5, 0.99, "outlier quantile is 0.5 to 0.99"),
                  _BINNING.outlier_quantile, "Outlier quantile of the visit stacking.", _LC, "written"),
    ViewParameter("colour_alpha", "alpha", Number(min(COLOUR_CORRECTIONS), max(COLOUR_CORRECTIONS),
                                                  "alpha is an integer {low:g}..{high:g}", integer=True),
                  _DEFAULT.sed_options.alpha, "Power-law index of the SED colour correction, Fν ∝ ν^−α "
                  "(absent: none).", _SED, "listed"),
    ViewParameter("periodogram", "pg", Flag(), False, "Show the periodogram per band.",
                  ("periodogram", "periodogram_*.csv"), "written"),
    ViewParameter("fold_band", "fb", Choice(("W1", "W2"), "fb is W1 or W2"), "W1", "The band folded.",
                  ("periodogram",), "written"),
    ViewParameter("image_band", "img", Choice(("W1", "W2", "W3", "W4"), "img is W1, W2, W3 or W4"), "W1",
                  "The WISE band of the sky-context image.", ("sky context", "sky files"), "written"),
    ViewParameter("added_tables", "add", Tokens(tuple(ADDED)), (), "Tables fetched on request.",
                  ("added tables", "raw files"), "listed"),
    ViewParameter("fold_period", "fold", Custom(parse_fold, _write_fold, FOLD_WHY, "`best`, or days from "
                                                f"{FOLD_DAYS[0]:g} to {FOLD_DAYS[1]:g}"),
                  None, "Fold the light curve at this period (`best`: the periodogram's best of the fold band).",
                  ("light curve",), "listed"),
    ViewParameter("visit", "visit", Number(0, 100000, _VISIT_WHY, integer=True), None,
                  "The visit whose frames are shown.", ("visit frames",), "listed"),
    ViewParameter("reference_visit", "ref", Number(0, 100000, _VISIT_WHY, integer=True), None,
                  "A second visit: the blink's and the difference's reference.", ("visit frames",), "listed"),
    ViewParameter("visit_frames", "frames", Flag(), False, "The bundle adds the visit's frames (needs `visit`).",
                  ("frames.csv",), "listed"),
    ViewParameter("x_range", "xr", Span(40000.0, 80000.0, "MJD range is two numbers a,b with 40000 <= a < b <= "
                                        "80000", ".9g"), None, "Light-curve MJD range shown.", ("light curve",),
                  "listed"),
    ViewParameter("y_range", "yr", Span(-1e6, 1e6, "plot range is two numbers a,b with a < b", ".6g"), None,
                  "Light-curve magnitude or mJy range shown (low, high).", ("light curve",), "listed"),
    ViewParameter("event_mjd", "t0", Custom(lambda t: mjd_of(t, *EVENT_MJD), lambda v: f"{v:.9g}", EVENT_WHY,
                                            "an MJD, or an ISO date written into the link as MJD"),
                  None, "An event date (a transient's discovery, say): marked on the light curve; the origin of "
                  "`tax=t0`.", ("light curve",)),
    ViewParameter("time_axis", "tax", Choice(("mjd", "date", "t0"), "tax is mjd, date or t0 (needs t0)"), "mjd",
                  "The light curve's time axis: MJD, calendar date, or days since `t0`.", ("light curve",)),
    ViewParameter("fit_bands", "fit", Tokens(("BP", "G", "RP", "J", "H", "Ks", "W1", "W2", "W3", "W4")), (),
                  "The SED bands the blackbody is fitted to (absent: every detection; at least three).",
                  ("SED", "manifest sed_shape")),
    ViewParameter("flare_search", "flare", Flag(), False, "Search the visits for an infrared flare and measure the "
                  "dust per visit (timewise's method; the docs' science page).",
                  ("flare & dust", "flare.csv", "dust.csv")),
    ViewParameter("redshift", "z", Number(0.0, 7.0, "z is a redshift from {low:g} to {high:g}"), None,
                  "The target's redshift: the dust's rest-frame temperature, radius and luminosity (Planck18).",
                  ("flare & dust", "dust.csv")),
    ViewParameter("baseline_window", "base", Span(40000.0, 80000.0, "base is two MJDs a,b with 40000 <= a < b <= "
                                                  "80000 (the baseline's window)", ".9g"), None,
                  "The flare search's baseline set by hand: the visits between two MJDs (at least two).",
                  ("flare & dust", "flare.csv", "dust.csv")),
    ViewParameter("group_notes", "notes", Flag(), False, "The bundle adds the group's notes of this view "
                  "(signed-in members only: anyone else's download is refused, 403).", ("group_notes.json",),
                  "absent"),
)

BY_KEY = {p.key: p for p in VIEW_PARAMETERS}
BY_NAME = {p.name: p for p in VIEW_PARAMETERS}
#: The numeric bounds the page's number boxes show: one definition with the URL's.
BOUNDS: dict[str, tuple[float, float, str]] = {
    p.key: (p.kind.low, p.kind.high, p.kind.why) for p in VIEW_PARAMETERS
    if isinstance(p.kind, Number | Span) and p.kind.high is not None
} | {"fold": (*FOLD_DAYS, FOLD_WHY)}


def markdown_table() -> str:
    """The docs' parameter page (``docs/parameters.md``), made from the table."""
    lines = [
        "# View parameters", "",
        "The page's URL holds the whole view; `/bundle.zip` and `python -m dashboard bundle --url` take the "
        "same query string (exactly: a value that is not accepted is refused, where the page falls back to "
        "the default with a notice). This page is generated from `dashboard/ui/viewparams.py`.", "",
        "| key | name | accepted | default | meaning | what depends on it | in the link at its default |",
        "|---|---|---|---|---|---|---|",
    ]
    at_default = {"written": "yes", "listed": "no (manifest: null)", "absent": "no"}
    for p in VIEW_PARAMETERS:
        default = "none" if p.default in (None, "", ()) else f"`{p.kind.write(p.default)}`"
        lines.append(f"| `{p.key}` | {p.name} | {p.kind.accepted()} | {default} | {p.description} | "
                     f"{', '.join(p.affects)} | {at_default[p.at_default]} |")
    return "\n".join(lines) + "\n"
