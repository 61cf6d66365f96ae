"""Cache and fallback order, end to end through the local TAP server."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from dashboard.archive.service import build_fetcher
from dashboard.core.errors import IrsaHttpError, IrsaTimeout, IrsaUnreachable
from dashboard.core.model import Cone
from tap_server import Fault

AT2019DSG = Cone(314.26238, 14.20441, 2.5)
TABLES = ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd")


def test_cold_fetch_is_live_then_a_cache_hit(fetcher, tap):
    cold = fetcher.fetch(AT2019DSG)
    assert {r.provenance.source for r in cold.results.values()} == {"live"}
    assert sum(tap.requests.values()) == 3
    warm = fetcher.fetch(AT2019DSG)
    assert {r.provenance.source for r in warm.results.values()} == {"hit"}
    assert sum(tap.requests.values()) == 3  # no new upstream call
    for table in TABLES:
        assert warm.results[table].rows.equals(cold.results[table].rows)
        assert warm.results[table].provenance.age_s is not None


def test_cache_is_shared_by_a_second_fetcher_on_the_same_directory(settings, tap):
    build_fetcher(settings).fetch(AT2019DSG)
    other = build_fetcher(replace(settings))  # another worker on the same host
    assert {r.provenance.source for r in other.fetch(AT2019DSG).results.values()} == {"hit"}


def test_three_tables_are_fetched_concurrently(fetcher, tap):
    for table in TABLES:
        tap.faults[table] = Fault(latency_s=0.6)
    start = time.perf_counter()
    obs = fetcher.fetch(AT2019DSG)
    assert len(obs.results) == 3
    assert time.perf_counter() - start < 1.6  # one round trip, not three (3 x 0.6 s = 1.8 s)


def test_concurrent_identical_misses_make_one_upstream_call(fetcher, tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=0.5)
    results = []
    threads = [threading.Thread(target=lambda: results.append(fetcher.fetch_table("neowiser_p1bs_psd", AT2019DSG)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tap.requests["neowiser_p1bs_psd"] == 1
    assert sorted(r.provenance.source for r in results) == ["hit", "hit", "hit", "live"]


def test_failure_is_never_cached(fetcher, tap):
    tap.faults["allwise_p3as_psd"] = Fault(http_status=500)
    first = fetcher.fetch(AT2019DSG)
    error = first.failures["allwise_p3as_psd"]
    assert isinstance(error, IrsaHttpError) and "HTTP 500" in str(error)
    assert set(first.results) == {"allwise_p3as_mep", "neowiser_p1bs_psd"}  # one failure blanks nothing else
    tap.faults.clear()
    second = fetcher.fetch(AT2019DSG)
    assert second.results["allwise_p3as_psd"].provenance.source == "live"


def test_stale_cache_answers_when_irsa_fails(settings, tap):
    fetcher = build_fetcher(replace(settings, cache_ttl_s=0.0))
    fetcher.fetch(AT2019DSG)
    tap.faults["neowiser_p1bs_psd"] = Fault(error_votable="database down")
    obs = fetcher.fetch(AT2019DSG)
    result = obs.results["neowiser_p1bs_psd"]
    assert result.provenance.source == "stale" and result.provenance.age_s is not None
    assert len(result.rows) == 253
    assert any("database down" in w for w in result.provenance.serving_notes)
    assert not result.provenance.warnings  # how it was served is not a property of the data


def test_http_error_without_cache_is_an_error_not_offline_data(fetcher, tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(http_status=503)
    obs = fetcher.fetch(AT2019DSG)
    assert isinstance(obs.failures["neowiser_p1bs_psd"], IrsaHttpError)


def test_timeout_without_cache_is_an_error(fetcher, tap):
    tap.faults["allwise_p3as_mep"] = Fault(hang_s=3.0)
    obs = fetcher.fetch(AT2019DSG)
    assert isinstance(obs.failures["allwise_p3as_mep"], IrsaTimeout)


def _dead_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/tap"


def test_unreachable_irsa_falls_back_to_offline_archive_and_is_remembered(settings):
    fetcher = build_fetcher(replace(settings, tap_url=_dead_url(), unreachable_memory_s=30))
    obs = fetcher.fetch(AT2019DSG)
    assert {r.provenance.source for r in obs.results.values()} == {"offline"}
    assert any("unreachable" in w for w in obs.results["allwise_p3as_psd"].provenance.serving_notes)
    assert fetcher.cache.known_unreachable()
    start = time.perf_counter()
    fetcher.fetch(AT2019DSG)
    assert time.perf_counter() - start < 1.0  # no new connection attempts while remembered


def test_unreachable_outside_the_archive_is_a_typed_error(settings):
    fetcher = build_fetcher(replace(settings, tap_url=_dead_url()))
    obs = fetcher.fetch(Cone(10.0, -10.0, 5.0))
    assert not obs.results
    assert all(isinstance(err, IrsaUnreachable) and "not in the offline archive" in str(err)
               for err in obs.failures.values())


def test_unreachable_is_told_once_and_each_missing_table_by_itself(settings):
    """HD 73108 has only a catalog recording: the page says "IRSA is unreachable" in one line
    and, per epoch table, only what the offline archive lacks. The typed cause survives pickling."""
    import pickle

    from dashboard.core.errors import NotRecordedOffline
    from dashboard.ui.panels import status_lines

    obs = build_fetcher(replace(settings, tap_url=_dead_url())).fetch(Cone(130.05341, 64.32794, 4.9))
    assert set(obs.failures) == {"allwise_p3as_mep", "neowiser_p1bs_psd"}
    for err in obs.failures.values():
        back = pickle.loads(pickle.dumps(err))
        assert isinstance(back, NotRecordedOffline) and str(back) == str(err) and str(back.missing) == str(err.missing)
    lines = [li.children for li in status_lines(obs)[0].children]
    assert sum("unreachable" in line for line in lines) == 1
    assert [line for line in lines if line.startswith("neowiser_p1bs_psd")] == [
        f"neowiser_p1bs_psd: {obs.failures['neowiser_p1bs_psd'].missing}"]


def test_progress_lists_every_table_from_the_start_then_its_outcome(settings):
    seen: list[tuple[str, str]] = []
    build_fetcher(replace(settings, offline=True)).fetch(AT2019DSG, progress=lambda t, s: seen.append((t, s)))
    tables = ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd")
    assert seen[:3] == [(t, "waiting") for t in tables]
    final = dict(seen)
    assert final == {"allwise_p3as_psd": "done, 1 rows offline", "allwise_p3as_mep": "done, 26 rows offline",
                     "neowiser_p1bs_psd": "done, 253 rows offline"}


def test_offline_flag_never_calls_irsa(settings, tap):
    obs = build_fetcher(replace(settings, offline=True)).fetch(AT2019DSG)
    assert {r.provenance.source for r in obs.results.values()} == {"offline"}
    assert sum(tap.requests.values()) == 0


def test_a_corrupt_cache_entry_is_a_miss(fetcher, tap):
    from dashboard.archive.adql import cone_query, query_key

    key = query_key("allwise_p3as_psd", cone_query("allwise_p3as_psd", AT2019DSG))
    fetcher.cache.store.set(key, b"half-written garbage")
    result = fetcher.fetch_table("allwise_p3as_psd", AT2019DSG)
    assert result.provenance.source == "live"


def test_a_process_killed_while_writing_never_leaves_a_served_half_entry(settings, tmp_path):
    """SIGKILL a writer mid-flight, repeatedly; every entry read afterwards is whole or absent."""
    import os
    import signal
    import subprocess
    import sys

    from dashboard.archive.cache import CacheEntry, QueryCache
    from dashboard.archive.store import DiskStore

    writer = f"""
import sys, time
sys.path.insert(0, {str(settings.cache_dir.parents[0])!r})
import pandas as pd
from dashboard.archive.cache import CacheEntry, QueryCache
from dashboard.archive.store import DiskStore
cache = QueryCache(DiskStore(__import__('pathlib').Path({str(tmp_path / 'kc')!r})), ttl_s=60)
rows = pd.DataFrame({{'x': range(200_000)}})
i = 0
while True:
    cache.put(f'k{{i % 5}}', CacheEntry('t', 'q', b'x' * 3_000_000, rows, False, 'now', time.time()))
    i += 1
"""
    for delay in (0.3, 0.5, 0.7):
        proc = subprocess.Popen([sys.executable, "-c", writer], cwd=os.getcwd())
        time.sleep(delay + 1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    cache = QueryCache(DiskStore(tmp_path / "kc"), ttl_s=60)
    seen = 0
    for i in range(5):
        entry = cache.get(f"k{i}")
        if entry is not None:
            seen += 1
            assert isinstance(entry, CacheEntry) and len(entry.raw) == 3_000_000 and len(entry.rows) == 200_000
    assert seen >= 1


def test_an_empty_reply_never_silently_replaces_cached_rows(settings, tap):
    fetcher = build_fetcher(replace(settings, cache_ttl_s=0.0))
    assert len(fetcher.fetch_table("neowiser_p1bs_psd", AT2019DSG).rows) == 253
    tap.faults["neowiser_p1bs_psd"] = Fault(zero_rows=True)  # IRSA answers OK with no rows this time
    result = fetcher.fetch_table("neowiser_p1bs_psd", AT2019DSG)
    assert len(result.rows) == 253 and result.provenance.source == "stale"
    assert any("returned no rows" in n for n in result.provenance.serving_notes)


def test_empty_replies_are_kept_for_the_empty_ttl_only(settings, tap):
    from dashboard.core.model import Cone

    nowhere = Cone(10.0, -10.0, 5.0)  # no recorded rows: a real "no WISE data here"
    fetcher = build_fetcher(replace(settings, empty_ttl_s=0.5))
    assert fetcher.fetch_table("allwise_p3as_psd", nowhere).rows.empty
    assert fetcher.fetch_table("allwise_p3as_psd", nowhere).provenance.source == "hit"
    time.sleep(0.6)
    assert fetcher.fetch_table("allwise_p3as_psd", nowhere).provenance.source == "live"  # asked again
    assert tap.requests["allwise_p3as_psd"] == 2


def test_unreachable_is_told_once_whether_a_table_tried_or_was_told():
    """Tables fetched together: the first finds IRSA unreachable, the others are told so by the
    remembered marker. Both wordings of the cause make one status line (a race seen in CI)."""
    from dashboard.core.errors import NotCovered, NotRecordedOffline
    from dashboard.core.model import Observations
    from dashboard.ui.panels import status_lines

    obs = Observations(cone=Cone(130.05341, 64.32794, 4.9))
    obs.failures["allwise_p3as_mep"] = NotRecordedOffline(IrsaUnreachable("cannot connect to X"),
                                                          NotCovered("not recorded here"))
    obs.failures["neowiser_p1bs_psd"] = NotRecordedOffline(IrsaUnreachable("cannot connect to X", remembered=True),
                                                           NotCovered("not recorded here"))
    lines = [li.children for li in status_lines(obs)[0].children]
    assert lines == ["IRSA is unreachable (cannot connect to X); showing the offline archive.",
                     "allwise_p3as_mep: not recorded here", "neowiser_p1bs_psd: not recorded here"]
