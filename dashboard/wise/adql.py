"""ADQL for the cone searches, built only from validated numbers and allow-listed names.

No user text ever reaches a query: the table and its columns come from ``tables.py``, and the
cone is three finite floats checked for range and written with a fixed format. The pattern is
IRSA's documented one: ``CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ra0, dec0, r))=1``.
"""

from __future__ import annotations

import hashlib
import math

from .model import Cone
from .tables import spec


def _checked(value: float, low: float, high: float, what: str) -> float:
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{what} must be a finite number in [{low}, {high}], got {value!r}")
    return number


def cone_query(table: str, cone: Cone) -> str:
    """The ADQL cone search on one allow-listed table, with its explicit column list."""
    table_spec = spec(table)
    ra = _checked(cone.ra, 0.0, 360.0, "ra")
    dec = _checked(cone.dec, -90.0, 90.0, "dec")
    radius_deg = _checked(cone.radius_deg, 1e-9, 1.0, "radius (deg)")
    columns = ", ".join(table_spec.column_names)
    return (
        f"SELECT {columns} FROM {table_spec.name} "
        f"WHERE CONTAINS(POINT('ICRS', ra, dec), "
        f"CIRCLE('ICRS', {ra:.8f}, {dec:+.8f}, {radius_deg:.10f}))=1"
    )


def schema_query(tables: tuple[str, ...]) -> str:
    """The ADQL that lists the columns of allow-listed tables in the service's TAP_SCHEMA."""
    names = ", ".join(f"'{spec(t).name}'" for t in tables)
    return f"SELECT table_name, column_name FROM TAP_SCHEMA.columns WHERE table_name IN ({names})"


def query_key(table: str, adql: str) -> str:
    """The identity of a query: table plus the sha256 of its canonical ADQL text."""
    canonical = " ".join(adql.split())
    return f"{table}:{hashlib.sha256(canonical.encode()).hexdigest()}"
