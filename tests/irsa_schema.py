"""IRSA's real column names for the three tables, for the local TAP server's ``TAP_SCHEMA.columns``.

Built from what IRSA itself sent or accepted, never from the app's allow-list:
* the column header rows of the Gator replies in ``data/wise-data/gator`` (minus ``dist``,
  ``angle``, ``clon``, ``clat``, which Gator adds and TAP does not have);
* the columns of the ADQL that timewise ran at IRSA TAP (``timewise/positional_*.txt``);
* the VizieR II/328 AllWISE columns under their IRSA names (mapping in ``INDEX.md``);
* the few columns no recording holds, transcribed from the Explanatory Supplements' column
  tables (AllWISE ES sec. II.1.a; NEOWISE ES sec. II.2.a), listed in ``DOCUMENTED``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "wise-data"
GATOR_ONLY = {"dist", "angle", "clon", "clat"}
VIZIER_TO_IRSA = {"AllWISE": "designation", "RAJ2000": "ra", "DEJ2000": "dec", "ID": "cntr", "ccf": "cc_flags",
                  "ex": "ext_flg", "var": "var_flg", "qph": "ph_qual",
                  **{f"W{b}mag": f"w{b}mpro" for b in "1234"}, **{f"e_W{b}mag": f"w{b}sigmpro" for b in "1234"}}
DOCUMENTED = {
    # AllWISE Explanatory Supplement sec. II.1.a (Source Catalog column descriptions)
    "allwise_p3as_psd": {*(f"w{b}{c}" for b in "1234" for c in ("snr", "rchi2", "sat")), "nb", "na", "moon_lev",
                         # the aperture photometry (same section): standard and elliptical apertures
                         "xscprox", *(f"w{b}{c}" for b in "1234" for c in (
                             "mag", "sigm", "flg", "mcor", "rsemi", "ba", "pa", "gmag", "gerr", "gflg")),
                         # the associated 2MASS PSC source (same section)
                         "tmass_key", "r_2mass", *(f"{b}_{c}_2mass" for b in "jhk" for c in ("m", "msig"))},
    # NEOWISE Explanatory Supplement sec. II.2.a (Single-exposure Source Table column descriptions)
    "neowiser_p1bs_psd": {"w1sat", "w2sat", "sso_flg"},
    # CatWISE2020 at IRSA (Marocco et al. 2021; the columns of IRSA's tutorials and public IRSA TAP
    # queries of catwise_2020), and unWISE (the columns IRSA's tutorials query of unwise_2019)
    "catwise_2020": {"source_name", "source_id", "ra", "dec", "meanobsmjd", "ra_pm", "dec_pm", "pmra", "pmdec",
                     "sigpmra", "sigpmdec", "par_pm", "par_pmsig", "par_stat", "par_sigma", "cc_flags", "ab_flags",
                     "w1cov", "elat", *(f"w{b}{c}" for b in "12" for c in ("mpro", "sigmpro", "snr", "mpro_pm",
                                                                            "sigmpro_pm", "snr_pm"))},
    "unwise_2019": {"ra", "dec", "flux_1", "dflux_1", "flux_2", "dflux_2", "fluxlbs_1"},
}


def _gator_columns(path: Path) -> set[str]:
    for line in path.read_text().splitlines():
        if line.startswith("|"):  # the first header row holds the names
            return {c.strip() for c in line.strip("|").split("|") if c.strip()} - GATOR_ONLY
    return set()


def _adql_columns(path: Path, table: str) -> set[str]:
    return set(re.findall(rf"{table}\.(\w+)", path.read_text()))


@lru_cache(maxsize=1)
def irsa_columns() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {t: set(DOCUMENTED.get(t, ())) for t in
                                ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd")}
    for path in sorted((DATA / "gator").glob("*.tbl")):
        table = path.name.split("__")[0]
        if table in out:
            out[table] |= _gator_columns(path)
    for table in ("allwise_p3as_mep", "neowiser_p1bs_psd"):
        out[table] |= _adql_columns(DATA / "timewise" / f"positional_{table}_mag_fluxes.txt", table)
    header = (DATA / "vizier" / "allwise_II-328__cohen_standards.csv").read_text().splitlines()[0].split(",")
    out["allwise_p3as_psd"] |= {VIZIER_TO_IRSA[c] for c in header if c in VIZIER_TO_IRSA}
    # the Reject Table has the Catalog's format less use_src (AllWISE ES sec. II.1.a)
    out["allwise_p3as_psr"] = out["allwise_p3as_psd"] - {"use_src"}
    for table in ("catwise_2020", "unwise_2019"):
        out[table] = set(DOCUMENTED[table])
    return out
