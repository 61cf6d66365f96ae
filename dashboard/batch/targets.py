"""A list of targets in: one target per line, in any form the target box accepts.

Forms: pasted text (one target per line; blank lines and ``#`` comments skipped); CSV or ECSV
with a ``target`` column and optional ``id``, ``radius`` (arcsec) and ``z`` (the redshift the flare
search's dust uses) columns. A CSV is
recognised by a first line naming a ``target`` column (a plain line "314.26, 14.20" is a
target, not a header). Every line is checked first; bad ones are kept with their line number and
reason and the rest proceed. Names are resolved a few at once, at most ``max_names`` per list:
beyond that, the list must give coordinates.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from dashboard.core.model import Target
from dashboard.core.targets import NameResolver, TargetError, parse_radius, parse_target

#: Names resolved at once (Sesame is a shared public service).
RESOLVE_WORKERS = 4
MAX_ID = 64


@dataclass(frozen=True)
class BatchTarget:
    """One accepted line: where it was, what it said, where it points."""

    line: int
    id: str
    target: Target
    radius_arcsec: float
    redshift: float | None = None

    @property
    def input(self) -> str:
        return self.target.input


@dataclass(frozen=True)
class BadLine:
    line: int
    input: str
    reason: str
    id: str = ""  # the list's id for the line (its number when the list gives none)


@dataclass
class TargetList:
    targets: list[BatchTarget] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)


class _Deferred(TargetError):
    """A name, to be resolved in the second pass (a few at once)."""


def _defer(_name: str) -> tuple[float, float]:
    raise _Deferred("name")


@dataclass(frozen=True)
class _Line:
    line: int
    text: str
    id: str
    radius: object
    z: object = None


#: Redshifts a list may give (the URL's ``z``).
Z_RANGE = (0.0, 7.0)


def _redshift(value: object) -> float | None:
    """A list's ``z`` cell: empty, or a redshift within ``Z_RANGE``."""
    if value is None or str(value).strip() in ("", "--"):
        return None
    try:
        z = float(str(value))
    except ValueError:
        z = math.nan
    if not (Z_RANGE[0] <= z <= Z_RANGE[1]):
        raise TargetError(f"z {str(value)[:20]!r} is not a redshift from {Z_RANGE[0]:g} to {Z_RANGE[1]:g}")
    return z


def _lines(text: str) -> list[_Line]:
    rows = text.splitlines()
    first = next((r for r in rows if r.strip() and not r.lstrip().startswith("#")), "")
    if text.lstrip().startswith("# %ECSV"):
        return _ecsv(text)
    header = [c.strip().lower() for c in next(csv.reader([first]), [])]
    if "target" in header:
        return _csv(rows, header)
    return [_Line(n, r.strip(), str(n), None) for n, r in enumerate(rows, 1)
            if r.strip() and not r.lstrip().startswith("#")]


def _csv(rows: list[str], header: list[str]) -> list[_Line]:
    out = []
    start = next(i for i, r in enumerate(rows) if r.strip() and not r.lstrip().startswith("#"))
    for offset, values in enumerate(csv.reader(rows[start + 1:]), start + 2):
        if not any(v.strip() for v in values) or values[0].lstrip().startswith("#"):
            continue
        record = dict(zip(header, (v.strip() for v in values), strict=False))
        out.append(_Line(offset, record.get("target", ""), record.get("id") or str(offset), record.get("radius"),
                         record.get("z")))
    return out


def _ecsv(text: str) -> list[_Line]:
    from astropy.table import Table

    try:
        table = Table.read(text, format="ascii.ecsv")  # a string with newlines is read as the data
    except Exception as exc:
        raise TargetError(f"The ECSV file could not be read ({type(exc).__name__}); it needs a 'target' column.") \
            from None
    if "target" not in table.colnames:
        raise TargetError("The ECSV file has no 'target' column.")
    first = next(i for i, r in enumerate(text.splitlines(), 1) if not r.startswith("#"))  # the header line
    return [_Line(first + i + 1, str(row["target"]), str(row["id"]) if "id" in table.colnames else str(first + i + 1),
                  row["radius"] if "radius" in table.colnames else None, row["z"] if "z" in table.colnames else None)
            for i, row in enumerate(table)]


def count_lines(text: str) -> int:
    """How many target lines ``text`` holds (no parsing, no network): the page's limit is checked on it."""
    return len(_lines(text))


def read_list(text: str, *, default_radius: float, max_radius: float, aliases: Mapping[str, tuple[float, float, str]],
              resolver: NameResolver | None, max_targets: int | None = None, max_names: int = 100) -> TargetList:
    """Every line checked: accepted targets in file order, bad lines with their reasons."""
    out = TargetList()
    lines = _lines(text)
    if max_targets is not None and len(lines) > max_targets:
        raise TargetError(f"The list has {len(lines)} targets; this server takes at most {max_targets} "
                          "(the command line has no limit: python -m dashboard batch FILE).")
    parsed: dict[int, BatchTarget] = {}
    names: list[tuple[_Line, float, str]] = []
    for item in lines:
        ident = item.id.strip()[:MAX_ID] or str(item.line)
        try:
            radius = default_radius if item.radius in (None, "") else parse_radius(item.radius, max_radius)
            parsed[item.line] = BatchTarget(item.line, ident, parse_target(item.text, aliases=aliases,
                                                                            resolver=_defer), radius,
                                            _redshift(item.z))
        except _Deferred:
            names.append((item, radius, ident))
        except TargetError as exc:
            out.bad.append(BadLine(item.line, item.text[:200], str(exc), ident))
    if resolver is None:
        for item, _, ident in names:
            out.bad.append(BadLine(item.line, item.text, "a name, and names cannot be resolved here (no network); "
                                                         "give coordinates or an AllWISE designation", ident))
        names = []
    for item, _, ident in names[max_names:]:
        out.bad.append(BadLine(item.line, item.text, f"more than {max_names} names in one list: give coordinates "
                                                     "for the rest (or split the list)", ident))

    def resolve(entry: tuple[_Line, float, str]) -> BatchTarget | BadLine:
        item, radius, ident = entry
        try:
            return BatchTarget(item.line, ident, parse_target(item.text, aliases=aliases, resolver=resolver), radius,
                               _redshift(item.z))
        except TargetError as exc:
            return BadLine(item.line, item.text, str(exc), ident)

    with ThreadPoolExecutor(RESOLVE_WORKERS) as pool:
        for result in pool.map(resolve, names[:max_names]):
            if isinstance(result, BatchTarget):
                parsed[result.line] = result
            else:
                out.bad.append(result)
    out.targets = [parsed[n] for n in sorted(parsed)]
    out.bad.sort(key=lambda b: b.line)
    return out
