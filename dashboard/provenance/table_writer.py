"""The bundle's tables written fast: the speed path of pandas' ``to_csv`` and astropy's ECSV writer.

What it replaces: ``columns.plain_csv_and_ecsv``, which writes a table's CSV with pandas'
``to_csv`` (``%.10g`` floats) and its ECSV twin with astropy's writer (the units and meanings of
``columns.COLUMNS``).

What it gains: each value is formatted once for both files, and the ECSV's YAML header is
astropy's own, written once per set of columns and kinds and then reused; its rows are written
here with the CSV's number format. astropy's writer took ~30 ms a file, and a batch bundle
writes ~10^4 of these files (``benchmarks/batch.py``).

Tested equal to the plain path (``tests/test_provenance.py``): the CSV byte for byte (hostile
text, one column, in parts and whole), the ECSV as the same table read back by astropy (the
plain ECSV writes a float's shortest repr, this one its ``%.10g`` text: the same number).
Missing text is written as ``""`` in the ECSV (read back masked, as astropy writes it), missing
numbers as ``nan``; the CSV leaves both empty, as pandas does. The CSV rows go through the
``csv`` module with pandas' dialect (what ``to_csv`` itself calls), so its quoting is pandas'.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.provenance.columns import described_table, ecsv_text


def csv_and_ecsv(frame: pd.DataFrame, columns: list[str], *, description: str) -> tuple[bytes, bytes]:
    """``frame``'s ``columns`` as CSV (the bytes of pandas' ``to_csv`` with ``%.10g`` floats) and as
    ECSV with each column's unit and description (and ``mjd``'s time scale in the table's meta):
    ``columns.plain_csv_and_ecsv``'s tables, faster (module docstring). Columns no one has
    described are written without a unit."""
    return csv_and_ecsv_parts(frame, columns, description=description, bounds=[0, len(frame)])[0]


def csv_and_ecsv_parts(frame: pd.DataFrame, columns: list[str], *, description: str,
                       bounds: Sequence[int]) -> list[tuple[bytes, bytes]]:
    """``csv_and_ecsv`` of rows ``bounds[i]:bounds[i + 1]`` of ``frame``, each part its own pair of
    files: the same bytes as ``csv_and_ecsv`` of that part alone (its columns have the frame's
    types), every value formatted once for all (a batch chunk's targets: the columns of a small
    frame cost more to read than to write)."""
    # each column read once, a missing one as NaN (as ``reindex`` makes it)
    n = len(frame)
    values = {name: frame[name] if name in frame.columns else pd.Series(np.full(n, np.nan)) for name in columns}
    kinds = tuple((name, _kind(values[name].dtype)) for name in columns)
    names = io.StringIO()
    csv.writer(names, lineterminator="\n").writerow(columns)
    head_csv, head_ecsv = names.getvalue(), _header(description, kinds)
    both = [_tokens(values[name], kind) for name, kind in kinds] if n else []
    # CSV tokens come quoted as the csv module quotes them (``_text_tokens``): a row is a join
    csv_lines = [",".join(row) + "\n" for row in zip(*(c for c, _ in both), strict=True)] if n else []
    if len(columns) == 1:  # the csv module quotes a row's only field when it is empty
        csv_lines = [line if line != "\n" else '""\n' for line in csv_lines]
    ecsv_lines = [" ".join(row) + "\n" for row in zip(*(e for _, e in both), strict=True)] if n else []
    return [((head_csv + "".join(csv_lines[start:stop])).encode(),
             (head_ecsv + "".join(ecsv_lines[start:stop])).encode())
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def _kind(dtype: Any) -> str:
    """How a column of ``dtype`` is written: bool, int64, float64 or string."""
    if isinstance(dtype, np.dtype):  # numpy's own (most columns): by its kind letter
        return _NUMPY_KINDS.get(dtype.kind, "string")
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int64"
    if pd.api.types.is_float_dtype(dtype):
        return "float64"
    return "string"


_NUMPY_KINDS = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}


def _tokens(values: pd.Series, kind: str) -> tuple[list[str], list[str]]:
    """One column's values as the CSV writes them (quoted where the csv module quotes) and as the
    ECSV writes them. Text is quoted once per distinct value (an epoch table repeats its few
    bands, tables and reasons)."""
    if kind == "float64":
        numbers = values.to_numpy(float)
        ecsv_text = [f"{v:.10g}" for v in numbers.tolist()]  # NaN gives "nan", as the ECSV wants
        missing = np.flatnonzero(np.isnan(numbers)).tolist()
        if not missing:
            return ecsv_text, ecsv_text
        csv_text = ecsv_text.copy()
        for i in missing:
            csv_text[i] = ""
        return csv_text, ecsv_text
    if kind == "bool" and values.dtype == bool:
        texts = np.where(values.to_numpy(bool), "True", "False").tolist()
        return texts, texts
    if kind == "int64" and isinstance(values.dtype, np.dtype):  # numpy's own: nothing missing
        texts = list(map(str, values.to_numpy().tolist()))
        return texts, texts
    if kind in ("int64", "bool"):  # nullable: a missing value is "" in both (astropy's masked ECSV value)
        texts = ["" if v is pd.NA else str(v) for v in values.tolist()]
        return texts, [t or '""' for t in texts]
    if isinstance(values.dtype, pd.StringDtype) and len(values) > 64:  # text or missing only: by distinct value
        # (a factorize costs ~50 µs whatever the length: a small table's few values go one by one)
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        pairs = [_text_tokens(v) for v in distinct.tolist()] + [("", '""')]  # code -1: missing
        csv_of = np.array([c for c, _ in pairs], dtype=object)
        ecsv_of = np.array([e for _, e in pairs], dtype=object)
        return csv_of[codes].tolist(), ecsv_of[codes].tolist()
    csv_out, out = [], []
    quoted: dict[str, tuple[str, str]] = {}
    for v in values.tolist():
        text = v if type(v) is str else "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
        tokens = quoted.get(text)
        if tokens is None:
            tokens = quoted[text] = _text_tokens(text)
        csv_out.append(tokens[0])
        out.append(tokens[1])
    return csv_out, out


def _text_tokens(text: str) -> tuple[str, str]:
    """A text value as a CSV field (the csv module's quoting) and as an ECSV field."""
    field = io.StringIO()
    csv.writer(field, lineterminator="\n").writerow([text, ""])  # a field among others, as in a row
    ecsv = text if text and not _NEEDS_QUOTES(text) else '"' + text.replace('"', '""').replace("\n", " ") + '"'
    return field.getvalue()[:-2], ecsv


_NEEDS_QUOTES = re.compile(r'[ "\t\n#]').search
_DTYPES: dict[str, Any] = {"string": "U1", "bool": bool, "int64": np.int64, "float64": np.float64}


@functools.lru_cache(maxsize=512)
def _header(description: str, kinds: tuple[tuple[str, str], ...]) -> str:
    """astropy's ECSV header (and the column-name line) for these columns."""
    return ecsv_text(described_table({name: np.array([], dtype=_DTYPES[kind]) for name, kind in kinds}, description))
