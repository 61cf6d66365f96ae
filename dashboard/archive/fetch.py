"""Fetch the three WISE tables for one cone, concurrently, through the fallback order.

Per table: fresh cache -> IRSA TAP -> on failure, the stale cache entry (with its age) -> for a
refused or unreachable connection only (not an HTTP error or an ERROR reply), the offline
archive where it covers the cone -> a typed error recorded in ``Observations.failures``.
A connection failure is remembered for ``unreachable_memory_s`` so the next views do not each
wait through three timeouts. An offline fetcher (``offline=True``) asks only the archive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from dashboard.archive.adql import cone_query, earlier_cone_queries, query_key
from dashboard.archive.cache import CacheEntry, QueryCache, UpstreamSlots
from dashboard.archive.tap import IrsaTapClient, TapReply
from dashboard.archive.threads import each_at_once
from dashboard.core.errors import IrsaError, IrsaUnreachable, NotCovered, NotRecordedOffline, ServerBusy, WiseError
from dashboard.core.model import CacheState, Cone, Observations, Provenance, TableResult
from dashboard.core.tables import TABLES, spec

log = logging.getLogger(__name__)

#: Called with (table, state) as each table starts ("fetching") and ends ("done"/"failed").
Progress = Callable[[str, str], None]


class RowSource(Protocol):
    """Anything that answers a cone on a table from recorded rows (the offline archive)."""

    def query(self, table: str, cone: Cone) -> TableResult: ...


def _outcome(result: TableResult | WiseError) -> str:
    """A table's final state for the progress line: done with its row count, or failed and why."""
    if isinstance(result, WiseError):
        missing = result.missing if isinstance(result, NotRecordedOffline) else result
        return f"failed ({missing})" if len(str(missing)) <= 90 else f"failed ({str(missing)[:87]}…)"
    source = {"hit": " from cache", "stale": " from cache (stale)", "offline": " offline"}.get(
        result.provenance.source, "")
    return f"done, {len(result.rows)} rows{source}"


@dataclass
class Fetcher:
    """The data layer's entry point: cone -> ``Observations``."""

    client: IrsaTapClient
    cache: QueryCache
    archive: RowSource
    offline: bool = False
    read_timeouts: dict[str, float] = field(default_factory=dict)
    max_rows: int = 50_000
    unreachable_memory_s: float = 60.0
    slots: UpstreamSlots | None = None

    def fetch(self, cone: Cone, *, tables: tuple[str, ...] = tuple(TABLES),
              progress: Progress | None = None) -> Observations:
        observations = Observations(cone=cone)

        def one(table: str) -> TableResult | WiseError:
            if progress:
                progress(table, "fetching…")
            try:
                result: TableResult | WiseError = (self.archive.query(table, cone) if self.offline
                                                   else self.fetch_table(table, cone))
            except WiseError as exc:
                result = exc
            if progress:
                progress(table, _outcome(result))
            return result

        outcomes: dict[str, TableResult | WiseError] = {}

        def run(table: str) -> None:
            try:
                outcomes[table] = one(table)
            except Exception as exc:  # a defect, not an IRSA answer: logged, and this table fails alone
                log.exception("fetching %s failed", table)
                outcomes[table] = WiseError(f"internal error while fetching ({type(exc).__name__}); it was logged")

        if progress:  # every table is listed from the start
            for table in tables:
                progress(table, "waiting")
        each_at_once(tables, run, name="fetch")
        for table in tables:
            outcome = outcomes[table]
            if isinstance(outcome, WiseError):
                observations.failures[table] = outcome
            else:
                observations.results[table] = outcome
        return observations

    def fetch_table(self, table: str, cone: Cone) -> TableResult:
        adql = cone_query(table, cone)
        key = query_key(table, adql)
        entry = self.cache.get(key)
        if entry is not None and self.cache.is_fresh(entry):
            return self._from_cache(entry, "hit")

        stale = entry or self._earlier_entry(table, cone)
        remembered = self.cache.known_unreachable()
        if remembered is not None:
            return self._fallback(table, cone, stale, IrsaUnreachable(remembered, remembered=True))

        timeout = self.read_timeouts[table]
        try:
            with self.cache.single_flight(key, timeout_s=timeout + 30.0):
                entry_now = self.cache.get(key)
                if entry_now is not None and self.cache.is_fresh(entry_now):
                    return self._from_cache(entry_now, "hit")
                reply = self._run(adql, timeout)
                previous = entry_now or entry
                if reply.rows.empty and previous is not None and not previous.rows.empty:
                    # IRSA now answers "no rows" where it answered rows before: keep the rows, say so
                    kept = self._from_cache(previous, "stale")
                    kept.provenance.serving_notes.append(
                        f"IRSA returned no rows for this query now; showing the {len(previous.rows)} rows it "
                        f"returned on {previous.retrieved_utc}.")
                    return kept
                new = CacheEntry(table=table, adql=adql, raw=reply.raw, rows=reply.rows, truncated=reply.truncated,
                                 retrieved_utc=reply.retrieved_utc, stored_at=time.time(),
                                 service_url=self.client.url)
                self.cache.put(key, new)
        except (IrsaError, ServerBusy) as exc:
            if isinstance(exc, IrsaUnreachable):
                self.cache.remember_unreachable(str(exc), self.unreachable_memory_s)
            return self._fallback(table, cone, stale, exc)
        return self._result(new, "live")

    def _earlier_entry(self, table: str, cone: Cone) -> CacheEntry | None:
        """The newest reply an earlier version cached for this cone with its own column list
        (``TableSpec.earlier_columns``): never fresh data here, only the stale fallback."""
        for adql in earlier_cone_queries(table, cone):
            entry = self.cache.get(query_key(table, adql))
            if entry is not None:
                return entry
        return None

    def _run(self, adql: str, timeout: float) -> TapReply:
        if self.slots is None:
            return self.client.run(adql, read_timeout_s=timeout, maxrec=self.max_rows)
        with self.slots.slot(wait_s=timeout):
            return self.client.run(adql, read_timeout_s=timeout, maxrec=self.max_rows)

    def _fallback(self, table: str, cone: Cone, stale: CacheEntry | None, error: WiseError) -> TableResult:
        """Stale cache for any failure; the offline archive only when IRSA cannot be reached."""
        if stale is not None:
            result = self._from_cache(stale, "stale")
            result.provenance.serving_notes.append(f"No fresh answer ({error}); showing cached rows.")
            lacking = [c for c in spec(table).column_names if c not in result.rows.columns]
            if lacking:
                result.provenance.serving_notes.append(
                    f"These rows were cached by an earlier version with fewer columns: {len(lacking)} columns "
                    f"({', '.join(lacking[:4])}, …) are not in them and read as not recorded.")
            return result
        if isinstance(error, IrsaUnreachable):
            try:
                result = self.archive.query(table, cone)
            except NotCovered as missing:
                raise NotRecordedOffline(error, missing) from error
            result.provenance.serving_notes.append(error.offline_note())
            return result
        raise error

    def _from_cache(self, entry: CacheEntry, state: CacheState) -> TableResult:
        result = self._result(entry, state)
        result.provenance.age_s = entry.age_s()
        return result

    def _result(self, entry: CacheEntry, state: CacheState) -> TableResult:
        provenance = Provenance(
            table=entry.table, source=state, rows=len(entry.rows), retrieved_utc=entry.retrieved_utc,
            adql=entry.adql, service_url=entry.service_url or self.client.url, truncated=entry.truncated,
        )
        if entry.truncated:
            provenance.warnings.append(
                f"{entry.table} was truncated at the row limit ({len(entry.rows)} rows): it is incomplete; "
                "use a smaller cone."
            )
        return TableResult(rows=entry.rows.copy(), provenance=provenance, raw_votable=entry.raw)
