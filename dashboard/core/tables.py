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
_PSD_COLUMNS: dict[str, str] = {**_PSD_COLUMNS_0_9, **_APERTURE_COLUMNS}

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

UNITS: dict[str, str] = {"ra": "deg", "dec": "deg", "mjd": "d", "xscprox": "arcsec"}
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
    earlier_columns=(tuple(_PSD_COLUMNS_0_9),),
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

#: The tables the app queries, in the order it shows them.
TABLES: dict[str, TableSpec] = {t.name: t for t in (PSD, MEP, NEOWISE)}

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
        return TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; allowed: {', '.join(TABLES)}") from None
