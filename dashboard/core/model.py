"""Plain domain objects shared by the service layer, the page, the CLI and the bundle.

Column names and units inside the row tables are IRSA's own (``w1mpro`` in mag, ``mjd`` in days,
``ra``/``dec`` in deg). Nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from dashboard.core.errors import WiseError

#: How a table's rows were obtained: straight from the TAP service, a fresh cache entry,
#: an expired cache entry used because IRSA failed, or the offline archive shipped in the package.
CacheState = Literal["live", "hit", "stale", "offline"]


@dataclass(frozen=True)
class Target:
    """A sky position the user asked for, and how it was understood."""

    input: str
    ra: float
    dec: float
    resolver: str
    designation: str | None = None
    name: str | None = None

    def label(self) -> str:
        return self.name or (f"WISEA {self.designation}" if self.designation else f"{self.ra:.5f} {self.dec:+.5f}")


@dataclass(frozen=True)
class Cone:
    """A cone search: ICRS centre in degrees and radius in arcsec."""

    ra: float
    dec: float
    radius_arcsec: float

    @property
    def radius_deg(self) -> float:
        return self.radius_arcsec / 3600.0


@dataclass(frozen=True)
class Footprint:
    """The cone a recording covers (centre in deg, radius in arcsec)."""

    ra: float
    dec: float
    radius_arcsec: float

    def as_dict(self) -> dict[str, float]:
        return {"ra": self.ra, "dec": self.dec, "radius_arcsec": self.radius_arcsec}


@dataclass(frozen=True)
class ServerSideFilter:
    """A cut made at the server before the rows were recorded (rows it removed never arrived)."""

    text: str
    columns: tuple[str, ...]

    def covers(self, column: str) -> bool:
        return column in self.columns


@dataclass
class Provenance:
    """Where one table's rows came from, exactly enough to cite and to re-run."""

    table: str
    source: CacheState
    rows: int
    retrieved_utc: str
    adql: str | None = None
    service_url: str | None = None
    archive_file: str | None = None
    origin: dict[str, str] | None = None
    footprint: Footprint | None = None
    truncated: bool = False
    age_s: float | None = None
    server_side_filter: ServerSideFilter | None = None
    warnings: list[str] = field(default_factory=list)  # about the data (truncated, beyond the recording)
    serving_notes: list[str] = field(default_factory=list)  # about this fetch (stale, IRSA unreachable)

    def describe(self) -> str:
        """One line for the status bar and the CLI."""
        where = {
            "live": f"live IRSA TAP ({self.service_url})",
            "hit": f"cache, {_age(self.age_s)} old",
            "stale": f"STALE cache, {_age(self.age_s)} old (IRSA failed)",
            "offline": f"offline archive ({self.archive_file})",
        }[self.source]
        text = f"{self.table}: {self.rows} rows from {where}"
        if self.truncated:
            text += " - TRUNCATED at the row limit"
        return text


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown age"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@dataclass
class TableResult:
    """The rows of one IRSA table for one cone, with their provenance and the raw reply."""

    rows: pd.DataFrame
    provenance: Provenance
    raw_votable: bytes | None = None


@dataclass
class Observations:
    """Everything fetched for one cone: the three WISE tables, or why one is missing.

    ``results`` and ``failures`` are keyed by the requested table name
    (``allwise_p3as_psd``, ``allwise_p3as_mep``, ``neowiser_p1bs_psd``).
    """

    cone: Cone
    results: dict[str, TableResult] = field(default_factory=dict)
    failures: dict[str, WiseError] = field(default_factory=dict)

    def rows(self, table: str) -> pd.DataFrame:
        result = self.results.get(table)
        return result.rows if result is not None else pd.DataFrame()

    def status_lines(self) -> list[str]:
        lines = [r.provenance.describe() for r in self.results.values()]
        lines += [f"{t}: FAILED - {err}" for t, err in self.failures.items()]
        return lines

    def cache_states(self) -> str:
        """How this fetch was served, per table (the ``X-WISE-Cache`` header; never in a bundle)."""
        return ", ".join(f"{t}={r.provenance.source}" for t, r in self.results.items())
