"""The three IRSA tables this app reads: names, allow-listed columns, and what each one holds.

Column lists are explicit (``SELECT *`` on ``allwise_p3as_psd`` returns ~300 columns). Every
name here is IRSA's own; ADQL is only ever built from these names (see ``adql.py``).
References: AllWISE Explanatory Supplement (Cutri et al. 2013) sec. II.1.a (source table) and
II.3.c (multi-epoch table); NEOWISE Explanatory Supplement (Cutri et al. 2015) sec. II.2.a.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# dtype per column: "f8" float, "i8" integer, "U" text. Units follow IRSA.
#: The catalog columns queried up to version 0.9 (profile-fit photometry and flags only). Kept:
#: replies cached with this list still serve as the stale fallback (``TableSpec.earlier_columns``).
_PSD_COLUMNS_0_9: dict[str, str] = {
    "designation": "U", "cntr": "i8", "ra": "f8", "dec": "f8",
    **{f"w{b}{c}": "f8" for b in "1234" for c in ("mpro", "sigmpro", "snr", "rchi2", "sat")},
    "ph_qual": "U", "cc_flags": "U", "ext_flg": "i8", "var_flg": "U", "nb": "i8", "na": "i8",
    "moon_lev": "U",
}
#: Photometry for sources the profile fit does not describe (AllWISE Explanatory Supplement sec.
#: II.1.a, the column descriptions; ``science/apertures.py`` reads them): the standard aperture
#: ``w?mag``/``w?sigm``/``w?flg`` with its curve-of-growth correction ``w?mcor``, and, for sources
#: associated with the 2MASS Extended Source Catalog, the elliptical aperture ``w?gmag``/``w?gerr``/
#: ``w?gflg`` of semi-major axis ``w?rsemi`` (arcsec), axis ratio ``w?ba`` and position angle
#: ``w?pa`` (deg E of N), with ``xscprox`` the distance to that XSC source (arcsec).
_APERTURE_COLUMNS: dict[str, str] = {
    "xscprox": "f8",
    **{f"w{b}{c}": kind for b in "1234" for c, kind in (
        ("mag", "f8"), ("sigm", "f8"), ("flg", "i8"), ("mcor", "f8"),
        ("rsemi", "f8"), ("ba", "f8"), ("pa", "f8"), ("gmag", "f8"), ("gerr", "f8"), ("gflg", "i8"))},
}
_PSD_COLUMNS_0_11: dict[str, str] = {**_PSD_COLUMNS_0_9, **_APERTURE_COLUMNS}
#: The 2MASS Point Source Catalog source the AllWISE catalog associates with each source (AllWISE
#: Explanatory Supplement sec. II.1.a): its key, distance (arcsec) and J, H, Ks magnitudes with
#: their errors (a magnitude without an error is a 95 % upper limit); ``science/near_infrared.py``.
_TMASS_COLUMNS: dict[str, str] = {"tmass_key": "i8", "r_2mass": "f8",
                                  **{f"{b}_{c}_2mass": "f8" for b in "jhk" for c in ("m", "msig")}}
_PSD_COLUMNS: dict[str, str] = {**_PSD_COLUMNS_0_11, **_TMASS_COLUMNS}

_MEP_COLUMNS: dict[str, str] = {
    "cntr_mf": "i8", "source_id_mf": "U", "frame_id": "U", "mjd": "f8", "ra": "f8", "dec": "f8",
    **{f"w{b}{c}_ep": "f8" for b in "12" for c in ("mpro", "sigmpro", "flux", "sigflux", "rchi2")},
    "nb": "i8", "na": "i8", "cc_flags": "U", "qi_fact": "f8", "saa_sep": "f8", "moon_masked": "U",
}

_NEOWISE_COLUMNS: dict[str, str] = {
    "mjd": "f8", "ra": "f8", "dec": "f8", "allwise_cntr": "i8",
    **{f"w{b}{c}": "f8" for b in "12" for c in ("mpro", "sigmpro", "flux", "sigflux", "snr", "rchi2", "sat")},
    "nb": "i8", "na": "i8", "cc_flags": "U", "ph_qual": "U", "qual_frame": "i8", "qi_fact": "f8",
    "saa_sep": "f8", "moon_masked": "U", "sso_flg": "i8",
}

#: CatWISE2020 (Marocco et al. 2021, ApJS 253, 8), IRSA's ``catwise_2020``: W1/W2 PSF fits on the
#: unWISE coadds of WISE and NEOWISE 2010-2018. Column names as IRSA serves them (its tutorials and
#: public IRSA TAP queries); ``ra_pm``/``dec_pm`` are the motion fit's position at MJD 57170 and
#: ``pmra``/``pmdec`` its proper motion in arcsec/yr (not Gaia's mas/yr).
_CATWISE_COLUMNS: dict[str, str] = {
    "source_name": "U", "ra": "f8", "dec": "f8", "meanobsmjd": "f8", "ra_pm": "f8", "dec_pm": "f8",
    "pmra": "f8", "pmdec": "f8", "sigpmra": "f8", "sigpmdec": "f8",
    **{f"w{b}{c}": "f8" for b in "12" for c in ("mpro", "sigmpro", "snr")}, "cc_flags": "U", "ab_flags": "U",
}
#: unWISE catalog (Schlafly, Meisner & Green 2019, ApJS 240, 30), IRSA's ``unwise_2019``: crowdsourced
#: PSF photometry on the unWISE coadds; band suffixes _1 (W1) and _2 (W2). Fluxes are Vega
#: nanomaggies (m = 22.5 - 2.5 log10 flux), with no upper-limit flag. Only the columns IRSA's own
#: tutorials query are asked for.
_UNWISE_COLUMNS: dict[str, str] = {"ra": "f8", "dec": "f8",
                                   **{f"{c}_{b}": "f8" for b in "12" for c in ("flux", "dflux")}}

UNITS: dict[str, str] = {"ra": "deg", "dec": "deg", "mjd": "d", "xscprox": "arcsec", "ra_pm": "deg",
                         "dec_pm": "deg", "pmra": "arcsec / yr", "pmdec": "arcsec / yr", "meanobsmjd": "d",
                         "sigpmra": "arcsec / yr", "sigpmdec": "arcsec / yr"}
for _b in "1234":
    for _suffix in ("mpro", "sigmpro", "mpro_ep", "sigmpro_ep", "mag", "sigm", "mcor", "gmag", "gerr"):
        UNITS[f"w{_b}{_suffix}"] = "mag"
    UNITS[f"w{_b}rsemi"] = "arcsec"
    UNITS[f"w{_b}pa"] = "deg"


@dataclass(frozen=True)
class TableSpec:
    """One IRSA table and everything that differs per table; no other module tests table names.

    ``mag_suffix``: the epoch magnitude columns are ``w1mpro`` + suffix (``_ep`` in the
    multi-epoch table). ``multi_epoch``: rows may repeat one detection under two coadd ids
    (``cntr_mf``). ``label``: what the page calls it. Read timeouts are
    settings (``config.TABLE_TIMEOUTS``).
    """

    name: str
    title: str
    #: the survey its rows come from, as a title says it ("AllWISE", "NEOWISE-R")
    survey: str
    columns: dict[str, str]
    doi: str | None
    epochs: bool
    label: str
    #: the ``add`` token that asks for it (tables fetched only on request), else ""
    add: str = ""
    mag_suffix: str = ""
    multi_epoch: bool = False
    #: column lists this table was queried with by earlier versions, newest first: a reply cached
    #: under one of them is no longer fresh data for this version, but still the stale fallback
    #: when IRSA fails (``archive/fetch.py``), with the columns it lacks read as not recorded
    earlier_columns: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def has(self, column: str) -> bool:
        return column in self.columns


PSD = TableSpec(
    name="allwise_p3as_psd",
    title="AllWISE Source Catalog",
    survey="AllWISE",
    columns=_PSD_COLUMNS,
    doi="10.26131/IRSA1",
    epochs=False,
    label="catalog",
    earlier_columns=(tuple(_PSD_COLUMNS_0_9), tuple(_PSD_COLUMNS_0_11)),
)
MEP = TableSpec(
    name="allwise_p3as_mep",
    title="AllWISE Multiepoch Photometry Table",
    survey="AllWISE",
    columns=_MEP_COLUMNS,
    doi=None,
    epochs=True,
    label="AllWISE epochs",
    mag_suffix="_ep",
    multi_epoch=True,
)
NEOWISE = TableSpec(
    name="neowiser_p1bs_psd",
    title="NEOWISE-R Single Exposure (L1b) Source Table",
    survey="NEOWISE-R",
    columns=_NEOWISE_COLUMNS,
    doi="10.26131/IRSA144",
    epochs=True,
    label="NEOWISE epochs",
)

PSR = TableSpec(
    name="allwise_p3as_psr",
    title="AllWISE Reject Table",
    survey="AllWISE",
    # the Catalog's format without use_src (AllWISE ES sec. II.1.a)
    columns=_PSD_COLUMNS,
    doi=None,
    epochs=False,
    label="reject table",
    add="psr",
)
CATWISE = TableSpec(name="catwise_2020", title="CatWISE2020 Catalog", survey="CatWISE2020", columns=_CATWISE_COLUMNS,
                    doi=None, epochs=False, label="CatWISE2020", add="catwise")
UNWISE = TableSpec(name="unwise_2019", title="unWISE Catalog", survey="unWISE", columns=_UNWISE_COLUMNS,
                   doi=None, epochs=False, label="unWISE", add="unwise")

#: The tables the app always queries, in the order it shows them.
TABLES: dict[str, TableSpec] = {t.name: t for t in (PSD, MEP, NEOWISE)}
#: The tables queried only when a view asks for them (URL ``add``), by their token.
ADDED: dict[str, TableSpec] = {t.add: t for t in (PSR, CATWISE, UNWISE)}
#: Every table a query may name: the allow-list of ``spec``.
ALL_TABLES: dict[str, TableSpec] = {**TABLES, **{t.name: t for t in ADDED.values()}}

#: The tables that hold single-exposure epochs.
EPOCH_TABLES: tuple[TableSpec, ...] = tuple(t for t in TABLES.values() if t.epochs)

#: Recorded tables the offline archive may hold under a requested table's role. Only real IRSA
#: table names; a row is always labelled with the table it really came from.
RECORDED_VARIANTS: dict[str, str] = {"neowiser_merge_i1bs_psd": NEOWISE.name,
                                     "wise_allsky_4band_p3as_psd": PSD.name}
#: What each recorded variant is, and the prefix its designations take (AllWISE's is "WISEA",
#: All-Sky's "WISE": AllWISE Explanatory Supplement sec. II.1.a, All-Sky ES sec. II.2.a).
VARIANT_TITLES: dict[str, str] = {"neowiser_merge_i1bs_psd": "NEOWISE-R merged single-exposure table",
                                  "wise_allsky_4band_p3as_psd": "WISE All-Sky Source Catalog"}
DESIGNATION_PREFIX: dict[str, str] = {PSD.name: "WISEA", "wise_allsky_4band_p3as_psd": "WISE"}


def sources_title(table: str) -> str:
    """What the source list is called, naming the table its rows really came from (the offline
    demo of Arp 220 holds WISE All-Sky rows in the catalog's place)."""
    if table == PSD.name:
        return f"AllWISE sources in the cone ({PSD.name})"
    return f"{VARIANT_TITLES.get(table, table)} sources in the cone ({table}, in place of {PSD.name})"


def catalog_table(results: Mapping[str, Any]) -> str:
    """The table the catalog rows of a set of results came from (``results``: by requested table,
    each with a ``provenance``)."""
    catalog = results.get(PSD.name)
    return catalog.provenance.table if catalog is not None else PSD.name


def spec(name: str) -> TableSpec:
    """The spec of an allow-listed table; anything else is refused."""
    try:
        return ALL_TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; allowed: {', '.join(ALL_TABLES)}") from None


def tables_for(add: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The tables one view fetches: the three, then those its ``add`` tokens ask for."""
    return tuple(TABLES) + tuple(ADDED[token].name for token in add)
