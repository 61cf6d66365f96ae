"""The view's tables as VOTables for the VO tools (TOPCAT and Aladin through SAMP, or any reader).

The same rows and columns as the bundle's CSVs (``sources``, ``lightcurve_epochs``,
``lightcurve_visits``), each column with its unit and description (``columns.py``) and, where
one applies, its UCD (IVOA UCD1+ list), so that a tool finds the positions, the time and the
photometry without being told. Written by astropy; STILTS ``votlint`` validates them
(tests/test_samp.py). Booleans are VOTable booleans; a missing value is a null.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import MaskedColumn, Table

from dashboard import __version__
from dashboard.provenance.bundle import source_columns
from dashboard.provenance.columns import COLUMNS
from dashboard.science.analysis import View
from dashboard.science.lightcurve import EPOCH_COLUMNS, VISIT_COLUMNS

#: UCDs (IVOA UCD1+ controlled vocabulary) of the columns a VO tool reads by meaning.
UCDS = {"ra": "pos.eq.ra;meta.main", "dec": "pos.eq.dec;meta.main", "designation": "meta.id;meta.main",
        "cntr": "meta.id", "separation_arcsec": "pos.angDistance", "mjd": "time.epoch", "band": "instr.bandpass",
        "mag": "phot.mag", "mag_err": "stat.error;phot.mag", "flux_jy": "phot.flux.density",
        "flux_err_jy": "stat.error;phot.flux.density", "ph_qual": "meta.code.qual", "cc_flags": "meta.code",
        **{f"w{b}mpro": "phot.mag" for b in "1234"}, **{f"w{b}sigmpro": "stat.error;phot.mag" for b in "1234"}}
#: The tables a view exports, by the name in ``/table/<name>.vot``: (what it holds).
TABLES = {"sources": "AllWISE catalog sources in the cone, nearest first",
          "epochs": "single-exposure epochs, kept and rejected (with the cuts' reasons)",
          "visits": "per-visit medians"}


def view_frame(view: View, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows and columns of one of ``TABLES`` (those of its CSV in the bundle)."""
    if name == "sources":
        return view.sources, source_columns(view.sources)
    if name == "epochs":
        return view.lightcurve.epochs, EPOCH_COLUMNS
    if name == "visits":
        return view.lightcurve.visits, VISIT_COLUMNS
    raise ValueError(f"table is one of {', '.join(TABLES)}, not {name!r}")


def _column(values: pd.Series, name: str) -> MaskedColumn:
    missing = values.isna().to_numpy()
    present = values.dropna()
    flags = values.dtype == object and len(present) and all(isinstance(v, bool | np.bool_) for v in present)
    if pd.api.types.is_bool_dtype(values) or flags:
        data: np.ndarray = np.array([bool(v) if not m else False for v, m in zip(values, missing, strict=True)])
    elif pd.api.types.is_integer_dtype(values) and not missing.any():
        data = values.to_numpy(np.int64)
    elif pd.api.types.is_numeric_dtype(values):
        data = values.to_numpy(np.float64, na_value=np.nan)
    else:
        data = np.array(["" if m else str(v) for v, m in zip(values, missing, strict=True)], dtype=str)
        if data.dtype.itemsize == 0 or len(data) == 0:
            data = data.astype("U1")
    unit, description = COLUMNS.get(name, (None, ""))
    return MaskedColumn(data, name=name, mask=missing, unit=unit, description=description or None)


def view_votable(view: View, name: str, query: str) -> bytes:
    """One table of the view as a VOTable; ``query`` (the view's URL query) is recorded in it."""
    frame, columns = view_frame(view, name)
    present = frame.reindex(columns=columns)
    table = Table([_column(present[c], c) for c in columns])
    votable = from_table(table)
    resource = votable.resources[0]
    resource.infos.append(Info(name="view", value=query))
    resource.infos.append(Info(name="software", value=f"WISE Explorer {__version__}"))
    target = view.target
    resource.infos.append(Info(name="target", value=f"{target.ra:.6f} {target.dec:+.6f}"))
    vo = votable.get_first_table()
    vo.name = f"wise_{name}"
    vo.description = TABLES[name]
    for field in vo.fields:
        if field.datatype in ("char", "unicodeChar"):
            field.arraysize = "*"
        if field.name in UCDS:
            field.ucd = UCDS[field.name]
    buffer = io.BytesIO()
    votable.to_xml(buffer)
    return buffer.getvalue()
