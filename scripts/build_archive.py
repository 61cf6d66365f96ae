"""Build the offline demo archive (``dashboard/archive/data/``) from real IRSA recordings.

Input: the recordings copied into ``tests/data/wise-data/`` (see its INDEX.md). Output: one ECSV
per (target, table) with IRSA column names, and ``archive.json`` with each recording's footprint
(centre and radius), origin file, source and retrieval date. Only allow-listed columns that were
actually recorded are kept; Gator's ``dist``/``angle``/``clon``/``clat`` are dropped because TAP
does not return them. Nothing is invented: a column that was not recorded stays absent.

Run: ``python scripts/build_archive.py`` (the output is committed; a test checks it is current).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.coordinates import SkyCoord
from astropy.io import ascii as astro_ascii
from astropy.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.releases import year_span  # noqa: E402
from dashboard.core.tables import TABLES  # noqa: E402
from dashboard.core.targets import designation_of  # noqa: E402

SOURCE = ROOT / "tests" / "data" / "wise-data"
OUT = ROOT / "dashboard" / "archive" / "data"

TIMEWISE_FILTER = {
    "text": "nb < 2 AND na < 1 AND cc_flags like '00%' AND qi_fact >= 1 AND saa_sep >= 5 "
            "AND moon_masked like '00%' (applied at IRSA by timewise's TAP query, r = 6 arcsec, J2000)",
    "columns": ["nb", "na", "cc_flags", "qi_fact", "saa_sep", "moon_masked"],
}
TIMEWISE_REPO = "JannisNe/timewise (MIT), test sample of Necker et al. 2025"

# name, aliases, Gator recordings {table: file}
GATOR_TARGETS = {
    "AT2019dsg": (["AT 2019dsg", "ZTF19aapreis"], {
        "allwise_p3as_psd": "allwise_p3as_psd__AT2019dsg.tbl",
        "allwise_p3as_mep": "allwise_p3as_mep__AT2019dsg.tbl",
        "neowiser_p1bs_psd": "neowiser_p1bs_psd__AT2019dsg.tbl",
    }),
    "ASASSN-14li": (["ASASSN 14li"], {
        "allwise_p3as_psd": "allwise_p3as_psd__ASASSN-14li.tbl",
        "allwise_p3as_mep": "allwise_p3as_mep__ASASSN-14li.tbl",
        "neowiser_p1bs_psd": "neowiser_p1bs_psd__ASASSN-14li.tbl",
    }),
    "Gaia20fnr": ([], {
        "allwise_p3as_mep": "allwise_p3as_mep__Gaia20fnr.tbl",
        "neowiser_p1bs_psd": "neowiser_p1bs_psd__Gaia20fnr.tbl",
    }),
    "ASASSN-21qj": (["ASASSN 21qj"], {
        "neowiser_merge_i1bs_psd": "neowiser_merge_i1bs_psd__ASASSN-21qj.tbl",
    }),
    # One real row kept from a 326-row reply: W2 is a placeholder (ph_qual 'AX', w2mpro 0, w2sigmpro 10000).
    "ASASSN-15lh": (["ASASSN 15lh"], {
        "neowiser_p1bs_psd": "neowiser_p1bs_psd__ASASSN-15lh_AX_row.tbl",
    }),
    # WISE All-Sky rows (the catalog before AllWISE) in the catalog's place: the one recorded
    # crowded field (319 sources, ext_flg up to 5, halo and spike flags from the galaxy).
    "Arp 220": (["Arp220", "IC 4553", "IC4553"], {
        "wise_allsky_4band_p3as_psd": "allsky_4band_p3as_psd__Arp220_r5arcmin.tbl",
    }),
    "PG 1302-102": (["PG1302-102"], {
        "allwise_p3as_mep": "allwise_p3as_mep__PG1302-102_r5.tbl",
    }),
}
#: Requested table of each recorded variant (the real IRSA table the rows came from).
RECORDED_AS = {"neowiser_merge_i1bs_psd": "neowiser_p1bs_psd", "wise_allsky_4band_p3as_psd": "allwise_p3as_psd"}
#: What a kind of target is, as the demo list says it.
GATOR_KINDS = {"Arp 220": "ultraluminous infrared galaxy, a crowded and flagged field",
               "PG 1302-102": "quasar"}
#: The radius a demo link opens with, where the whole recording is wider than a view needs.
LINK_RADIUS = {"Arp 220": 60.0}
VARIANT_NOTES = {
    "neowiser_merge_i1bs_psd": "Recorded from neowiser_merge_i1bs_psd, a merged variant of the NEOWISE-R "
                               "single-exposure table; labelled with its real table name.",
    "wise_allsky_4band_p3as_psd": "These catalog rows are from the WISE All-Sky Source Catalog "
                                  "(wise_allsky_4band_p3as_psd, 2012), the catalog before AllWISE, with the "
                                  "same column meanings; they stand in the AllWISE catalog's place in this "
                                  "offline demo and are labelled with their real table. ph_qual was not recorded.",
}
DERIVED_DESIGNATION = ("designation derived from the recorded ra/dec by the AllWISE naming rule (position "
                       "truncated; AllWISE Explanatory Supplement sec. II.1.a); it was not recorded.")
TIMEWISE_HOSTS = {5: [], 14: [], 16: []}  # orig_id -> extra aliases
# Northern stars only: the recording's southern rows were matched at a wrong position (INDEX.md).
COHEN_HD = ["HD 73108", "HD 186791", "HD 199101"]

TIMEWISE_RENAME = {
    "W1_mag": "w1mpro", "W1_mag_error": "w1sigmpro", "W2_mag": "w2mpro", "W2_mag_error": "w2sigmpro",
    "W1_flux": "w1flux", "W1_flux_error": "w1sigflux", "W2_flux": "w2flux", "W2_flux_error": "w2sigflux",
}


def read_gator(path: Path) -> tuple[Table, dict[str, str]]:
    """An IPAC table from Gator, and its header keywords (SKYAREA, DATETIME, DataTag)."""
    lines = path.read_text().splitlines()
    # One recording starts with ' \' (a leading space), which astropy's ipac reader rejects.
    lines = [ln.lstrip() if ln.strip() == "\\" else ln for ln in lines]
    table = astro_ascii.read("\n".join(lines), format="ipac")
    header = {}
    for line in lines:
        if m := re.match(r"^\\(\w+)\s*=\s*'?(.*?)'?\s*$", line):
            header.setdefault(m.group(1), m.group(2))
    return table, header


def footprint_from_skyarea(skyarea: str) -> dict[str, float]:
    m = re.search(r"within ([\d.]+) (arcsec|arcmin) of\s+ra=([\d.+-]+) dec=([\d.+-]+)", skyarea)
    if not m:
        raise ValueError(f"cannot read footprint from {skyarea!r}")
    radius = float(m.group(1)) * (60.0 if m.group(2) == "arcmin" else 1.0)
    return {"ra": float(m.group(3)), "dec": float(m.group(4)), "radius_arcsec": radius}


def keep_allowed(table: Table, requested: str) -> Table:
    allowed = TABLES[requested].columns
    keep = [c for c in table.colnames if c in allowed]
    return table[keep]


def write(table: Table, name: str) -> str:
    for col in table.colnames:
        table[col].unit = None
        table[col].description = None
    table.meta = {}
    path = OUT / name
    table.write(path, format="ascii.ecsv", overwrite=True)
    return name


TWO_MASS_COLUMNS = ["tmass_key", *(f"{b}_{c}_2mass" for b in "jhk" for c in ("m", "msig"))]
DERIVED_TWO_MASS = ("copied from the NEOWISE-R recording's rows of the same AllWISE source (their w1-w4mpro_allwise "
                    "equal this row's w1-w4mpro): "
                    "IRSA's neowiser_p1bs_psd carries the AllWISE source's 2MASS association; this catalog "
                    "recording was made without those columns")


def _fill_two_mass(kept: Table, files: dict[str, str]) -> bool:
    """The catalog rows' 2MASS association, where the catalog recording lacks it and the target's
    NEOWISE-R recording carries it for the same AllWISE source; True when filled."""
    source = files.get("neowiser_p1bs_psd")
    if source is None or "j_m_2mass" in kept.colnames:
        return False
    epochs, _ = read_gator(SOURCE / "gator" / source)
    if "j_m_2mass" not in epochs.colnames:
        return False
    # the same AllWISE source: its W1-W4 magnitudes as the NEOWISE-R rows carry them (w?mpro_allwise;
    # the catalog recording has no cntr to match on)
    bands = [f"w{b}mpro" for b in "1234"]
    by_mags = {tuple(round(float(r[f"{m}_allwise"]), 3) for m in bands): r for r in epochs}
    keys = [tuple(round(float(r[m]), 3) for m in bands) for r in kept]
    for column in TWO_MASS_COLUMNS:
        values = [by_mags[k][column] if k in by_mags else np.ma.masked for k in keys]
        kept[column] = np.ma.MaskedArray([0 if v is np.ma.masked else v for v in values],
                                         mask=[v is np.ma.masked for v in values])
    return any(k in by_mags for k in keys)


def gator_entries() -> list[dict]:
    targets = []
    for name, (aliases, files) in GATOR_TARGETS.items():
        tables = {}
        centre = None
        for recorded, filename in files.items():
            requested = RECORDED_AS.get(recorded, recorded)
            raw, header = read_gator(SOURCE / "gator" / filename)
            fp = footprint_from_skyarea(header["SKYAREA"])
            centre = centre or fp
            kept = keep_allowed(raw, requested)
            derived = requested == "allwise_p3as_psd" and "designation" not in kept.colnames
            if derived:
                names = [designation_of(float(r), float(d)) for r, d in zip(kept["ra"], kept["dec"], strict=True)]
                kept.add_column(names, name="designation", index=0)
            filled = requested == "allwise_p3as_psd" and _fill_two_mass(kept, files)
            out = write(kept, f"{name.replace(' ', '')}__{recorded}.ecsv")
            retrieved = int(header.get("RowsRetrieved", len(raw)) or len(raw))
            partial_note = (f"Only {len(raw)} of the {retrieved} rows IRSA returned were recorded; "
                            "IRSA holds more rows in this cone." if retrieved > len(raw) else "")
            tables[requested] = {
                "partial": bool(partial_note),
                "recorded_table": recorded,
                "file": out,
                "rows": len(raw),
                "footprint": fp,
                "origin": {
                    "file": f"gator/{filename}",
                    "service": "IRSA Gator",
                    "data_tag": header.get("DataTag", ""),
                    "retrieved_utc": header.get("DATETIME", "").replace(" ", "T") + "Z",
                    "repository": "recorded from IRSA Gator by others (see tests/data/wise-data/INDEX.md)",
                },
                "server_side_filter": None,
                "note": " ".join(filter(None, [VARIANT_NOTES.get(recorded, ""), partial_note])),
                "derived_columns": ({"designation": DERIVED_DESIGNATION} if derived else {})
                | ({c: DERIVED_TWO_MASS for c in TWO_MASS_COLUMNS} if filled else {}),
            }
        targets.append({"name": name, "aliases": aliases, "ra": centre["ra"], "dec": centre["dec"],
                        "kind": GATOR_KINDS.get(name, "transient (Gator recordings)"), "tables": tables})
    return targets


def timewise_entries() -> list[dict]:
    src = SOURCE / "timewise"
    hosts = pd.read_csv(src / "tde_sample_targets.csv", dtype={"AllWISE_id": str})
    neo = pd.read_csv(src / "neowiser_p1bs_psd__tde_sample.csv", index_col=0)
    mep = pd.read_csv(src / "allwise_p3as_mep__tde_sample.csv", index_col=0, dtype={"cntr_mf": "Int64"})
    targets = []
    for orig_id, aliases in TIMEWISE_HOSTS.items():
        host = hosts[hosts.orig_id == orig_id].iloc[0]
        fp = {"ra": float(host.ra), "dec": float(host.dec), "radius_arcsec": 6.0}
        tables = {}
        for requested, frame, suffix in (("neowiser_p1bs_psd", neo, ""), ("allwise_p3as_mep", mep, "_ep")):
            rows = frame[frame.orig_id == orig_id].drop(columns=["orig_id"])
            # allwise_cntr went through float64 in this recording (digits lost, 164 blanks): dropped.
            rows = rows.drop(columns=[c for c in ("allwise_cntr",) if c in rows])
            rows = rows.rename(columns={k: v + suffix for k, v in TIMEWISE_RENAME.items()})
            table = keep_allowed(Table.from_pandas(rows.reset_index(drop=True)), requested)
            out = write(table, f"{host['name']}__{requested}.ecsv")
            tables[requested] = {
                "recorded_table": requested,
                "file": out,
                "rows": len(table),
                "footprint": fp,
                "origin": {
                    "file": f"timewise/{requested}__tde_sample.csv",
                    "service": "IRSA TAP (via timewise)",
                    "retrieved_utc": "not recorded",
                    "repository": TIMEWISE_REPO,
                },
                "server_side_filter": TIMEWISE_FILTER,
                "note": "Columns renamed back to IRSA's names; allwise_cntr dropped (lost digits in the recording).",
            }
        targets.append({"name": str(host["name"]), "aliases": aliases, "ra": fp["ra"], "dec": fp["dec"],
                        "kind": "TDE host (timewise sample, cut at IRSA)", "tables": tables})
    return targets


def event_dates() -> dict[str, dict]:
    """The event date a demo transient's link marks on its light curve (``t0``), where a recording
    holds one: the optical peak ``tpeak`` (MJD) of the timewise TDE test sample's target list,
    with its source. Transients outside that list have none here (their Transient Name Server
    discovery dates were not recorded with the rows)."""
    hosts = pd.read_csv(SOURCE / "timewise" / "tde_sample_targets.csv", dtype={"AllWISE_id": str})
    return {str(row["name"]): {"mjd": float(row["tpeak"]), "what": "optical peak",
                               "source": "timewise/tde_sample_targets.csv, column tpeak (" + TIMEWISE_REPO + ")"}
            for _, row in hosts.iterrows() if pd.notna(row["tpeak"])}


def cohen_entries() -> list[dict]:
    src = pd.read_csv(SOURCE / "vizier" / "allwise_II-328__cohen_standards.csv", dtype={"ID": "Int64"})
    targets = []
    for hd in COHEN_HD:
        row = src[src["HD #"].str.strip() == hd].iloc[0]
        data = {
            "designation": row["AllWISE"], "cntr": row["ID"], "ra": row["RAJ2000"], "dec": row["DEJ2000"],
            **{f"w{b}mpro": row[f"W{b}mag"] for b in "1234"},
            **{f"w{b}sigmpro": row[f"e_W{b}mag"] for b in "1234"},
            "ph_qual": row["qph"], "cc_flags": row["ccf"], "ext_flg": row["ex"], "var_flg": row["var"],
            # the catalog's 2MASS association, as VizieR II/328 gives it (Jmag = j_m_2mass, d2M = r_2mass)
            "r_2mass": row["d2M"], **{f"{b.lower()}_m_2mass": row[f"{b}mag"] for b in "JHK"},
            **{f"{b.lower()}_msig_2mass": row[f"e_{b}mag"] for b in "JHK"},
        }
        frame = pd.DataFrame([data]).astype({"cntr": "Int64", "ext_flg": "Int64"})
        for column in [f"w{b}sigmpro" for b in "1234"] + [f"{b}_msig_2mass" for b in "jhk"] + ["r_2mass"]:
            frame[column] = frame[column].astype(float)
        table = Table.from_pandas(frame)
        name = hd.replace(" ", "")
        out = write(table, f"{name}__allwise_p3as_psd.ecsv")
        common = str(row["Name"]).strip() if isinstance(row["Name"], str) else ""
        fp = {"ra": float(row["ra"]), "dec": float(row["dec"]), "radius_arcsec": 5.0}
        star = SkyCoord(str(row["R.A."]).strip(), str(row["Decl."]).strip(), unit=("hourangle", "deg"))
        targets.append({
            "name": hd, "aliases": [common] if common else [],
            "ra": round(float(star.ra.deg), 7), "dec": round(float(star.dec.deg), 7),
            "kind": f"Cohen infrared standard star ({str(row['SpectralTypes']).strip()})",
            "tables": {"allwise_p3as_psd": {
                "recorded_table": "allwise_p3as_psd",
                "file": out,
                "rows": 1,
                "footprint": fp,
                "partial": True,
                "origin": {
                    "file": "vizier/allwise_II-328__cohen_standards.csv",
                    "service": "VizieR II/328 (AllWISE, Cutri et al. 2013) cross-match with the Cohen standards",
                    "retrieved_utc": "not recorded",
                    "repository": "VizieR II/328",
                },
                "server_side_filter": None,
                "note": ("A cross-match keeps the best AllWISE match only: other sources within 5 arcsec "
                         "may exist at IRSA. All 220 matches lie within 4.87 arcsec of their star."),
            }},
        })
    return targets


def main(out: Path = OUT) -> None:
    """Write the archive to ``out`` (the package's data folder; tests pass a temporary one)."""
    global OUT
    OUT = out
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.ecsv"):
        old.unlink()
    targets = gator_entries() + timewise_entries() + cohen_entries()
    events = event_dates()
    for target in targets:
        target["shows"] = shows(target)
        target["link_radius_arcsec"] = LINK_RADIUS.get(target["name"])
        target["event"] = events.get(target["name"])
    index = {
        "description": "Real WISE rows recorded from IRSA, shipped for offline use. Credit: NASA/IPAC "
                       "Infrared Science Archive (IRSA); WISE and NEOWISE missions.",
        "targets": targets,
    }
    (OUT / "archive.json").write_text(json.dumps(index, indent=1, sort_keys=True, default=_plain) + "\n")
    print(f"{len(targets)} targets, {sum(len(t['tables']) for t in targets)} recordings -> {OUT}")


def shows(target: dict) -> str:
    """What the target's demo shows, read from its recorded rows (the demo list says it, so a
    label never promises what the rows cannot show)."""
    parts = []
    catalog = target["tables"].get("allwise_p3as_psd")
    if catalog:
        rows = Table.read(OUT / catalog["file"], format="ascii.ecsv")
        flags = [c for c in ("ph_qual", "cc_flags", "ext_flg") if c in rows.colnames]
        reach = catalog["footprint"]["radius_arcsec"]
        reach_text = f"{reach / 60:g}′" if reach >= 60 else f"{reach:g}″"
        what = (f"SED of the nearest of {len(rows)} catalog sources within {reach_text}" if len(rows) > 1
                else "SED") + (
            f" with {', '.join(flags)}" if flags else ", catalog row recorded without flags")
        if catalog["recorded_table"] != "allwise_p3as_psd":
            what += " (WISE All-Sky rows)"
        parts.append(what)
    epochs = [(t, target["tables"][t]) for t in ("allwise_p3as_mep", "neowiser_p1bs_psd") if t in target["tables"]]
    counts = {t: Table.read(OUT / e["file"], format="ascii.ecsv") for t, e in epochs}
    n = sum(len(r) for r in counts.values())
    if n >= 10:
        spans = ", ".join(f"{'AllWISE' if t == 'allwise_p3as_mep' else 'NEOWISE-R'} {years}"
                          for t, r in counts.items() if (years := year_span(np.asarray(r["mjd"], float))))
        parts.append(f"light curve of {n} epochs ({spans})")
    elif n:
        parts.append(f"{n} epoch{'s' if n > 1 else ''} only, not a light curve"
                     + ("; a real row whose W2 is a placeholder (0 mag ± 10000, ph_qual AX)"
                        if target["name"] == "ASASSN-15lh" else ""))
    return "; ".join(parts)


def _plain(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(type(value))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
