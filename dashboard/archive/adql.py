"""ADQL for the cone searches, built only from validated numbers and allow-listed names.

No user text ever reaches a query: the table and its columns come from ``tables.py``, and the
cone is three finite floats checked for range and written with a fixed format. The pattern is
IRSA's documented one: ``CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ra0, dec0, r))=1``.
"""

from __future__ import annotations

import hashlib
import math

from dashboard.core.model import Cone
from dashboard.core.tables import spec


def _checked(value: float, low: float, high: float, what: str) -> float:
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{what} must be a finite number in [{low}, {high}], got {value!r}")
    return number


def cone_query(table: str, cone: Cone, columns_of: tuple[str, ...] | None = None) -> str:
    """The ADQL cone search on one allow-listed table, with its explicit column list
    (``columns_of``: one of the table's ``earlier_columns``, to find what an earlier version cached)."""
    table_spec = spec(table)
    ra, dec, radius_deg = _cone_numbers(cone)
    if columns_of is not None and columns_of not in table_spec.earlier_columns:
        raise ValueError(f"not a column list {table_spec.name} was ever queried with")
    columns = ", ".join(columns_of or table_spec.column_names)
    return (
        f"SELECT {columns} FROM {table_spec.name} "
        f"WHERE CONTAINS(POINT('ICRS', ra, dec), "
        f"CIRCLE('ICRS', {ra:.8f}, {dec:+.8f}, {radius_deg:.10f}))=1"
    )


def earlier_cone_queries(table: str, cone: Cone) -> list[str]:
    """The cone's ADQL as earlier versions wrote it (newest first): their cached replies are the
    stale fallback of this one."""
    return [cone_query(table, cone, columns) for columns in spec(table).earlier_columns]


def schema_query(tables: tuple[str, ...]) -> str:
    """The ADQL that lists the columns of allow-listed tables in the service's TAP_SCHEMA."""
    names = ", ".join(f"'{spec(t).name}'" for t in tables)
    return f"SELECT table_name, column_name FROM TAP_SCHEMA.columns WHERE table_name IN ({names})"


def query_key(table: str, adql: str) -> str:
    """The identity of a query: table plus the sha256 of its canonical ADQL text."""
    canonical = " ".join(adql.split())
    return f"{table}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _cone_numbers(cone: Cone) -> tuple[float, float, float]:
    return (_checked(cone.ra, 0.0, 360.0, "ra"), _checked(cone.dec, -90.0, 90.0, "dec"),
            _checked(cone.radius_deg, 1e-9, 1.0, "radius (deg)"))


#: The sky context's queries (``dashboard/sky``), written like the WISE ones: fixed text, three
#: checked numbers. SIMBAD's ``basic`` table (Wenger et al. 2000); Gaia DR3's ``gaia_source`` with
#: the archive's precomputed AllWISE cross-match (``allwise_best_neighbour``) joined on ``source_id``.
#: SIMBAD's ``basic`` table: identifier, type, position, and the object's redshift with its
#: reference, type (z or v) and quality grade (``rvz_redshift``, ``rvz_bibcode``, ``rvz_type``,
#: ``rvz_qual``: a flare's rest frame, ``sky/identify.simbad_redshift``).
SIMBAD_COLUMNS = ("main_id", "otype", "ra", "dec", "rvz_redshift", "rvz_bibcode", "rvz_type", "rvz_qual")
#: Gaia's photometry: G, BP, RP mean fluxes (e-/s) with their errors and Vega magnitudes, for the
#: SED's optical points (``science/gaia_photometry.py``).
GAIA_COLUMNS = ("source_id", "ra", "dec", "ref_epoch", "phot_g_mean_mag", "bp_rp", "parallax", "parallax_error",
                "pmra", "pmdec", "ruwe", "phot_bp_mean_mag", "phot_rp_mean_mag",
                *(f"phot_{b}_mean_{c}" for b in ("g", "bp", "rp") for c in ("flux", "flux_error")))
GAIA_NEIGHBOUR_COLUMNS = ("original_ext_source_id", "angular_distance")
SKY_ROW_LIMIT = 500


def simbad_cone_query(cone: Cone) -> str:
    ra, dec, r = _cone_numbers(cone)
    return (f"SELECT TOP {SKY_ROW_LIMIT} {', '.join(SIMBAD_COLUMNS)} FROM basic "
            f"WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra:.8f}, {dec:+.8f}, {r:.10f}))=1")


def gaia_cone_query(cone: Cone) -> str:
    ra, dec, r = _cone_numbers(cone)
    columns = ", ".join([f"g.{c}" for c in GAIA_COLUMNS] + [f"n.{c}" for c in GAIA_NEIGHBOUR_COLUMNS])
    return (f"SELECT TOP {SKY_ROW_LIMIT} {columns} FROM gaiadr3.gaia_source AS g "
            "LEFT OUTER JOIN gaiadr3.allwise_best_neighbour AS n ON n.source_id = g.source_id "
            f"WHERE CONTAINS(POINT('ICRS', g.ra, g.dec), CIRCLE('ICRS', {ra:.8f}, {dec:+.8f}, {r:.10f}))=1")


#: The uploaded target list (``batch/upload.py`` builds it from parsed numbers): its TAP name and
#: columns. One row per target: ``upload_id`` (the target's index in the list), ``ra``, ``dec``
#: (deg), ``radius_deg``.
UPLOAD_NAME = "targets"
UPLOAD_COLUMNS = ("upload_id", "ra", "dec", "radius_deg")


def upload_cone_query(table: str) -> str:
    """One table's cone search for every uploaded row at once (IVOA TAP 1.1 §2.5.2, IRSA's
    documented upload form): each result row carries the ``upload_id`` of its target."""
    table_spec = spec(table)
    columns = ", ".join(f"t.{c}" for c in table_spec.column_names)
    return (f"SELECT u.upload_id, {columns} FROM TAP_UPLOAD.{UPLOAD_NAME} AS u, {table_spec.name} AS t "
            "WHERE CONTAINS(POINT('ICRS', t.ra, t.dec), CIRCLE('ICRS', u.ra, u.dec, u.radius_deg))=1")
