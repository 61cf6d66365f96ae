"""The shared group server: gunicorn workers sharing one cache, limits, secret, headers, faults.

Everything runs on 127.0.0.1: the local TAP server (in this process) and gunicorn (2 workers).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import replace

import pytest
import requests

from conftest import ROOT, early_in_a_minute
from servers import start_gunicorn, stop
from tap_server import Fault

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

BUNDLE = "/bundle.zip?target=314.26238+14.20441&r=2.5"


@pytest.fixture
def gunicorn(tap, tmp_path):
    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "cache"), "SECRET_KEY": "test-secret",
           "WISE_RESOLVE_NAMES_ONLINE": "0", "WEB_CONCURRENCY": "2",
           "WISE_THREADS": "1",  # sync workers: concurrent connections spread over both
           "WISE_CACHE_TTL_S": "2", "WISE_RATE_LIMIT_PER_MINUTE": "1000",
           "WISE_TIMEOUT_NEOWISE_S": "2", "WISE_TIMEOUT_MEP_S": "2", "WISE_TIMEOUT_PSD_S": "2"}
    url, proc = start_gunicorn(env)
    yield url, proc
    stop(proc)


def worker_pids(url: str, tries: int = 60) -> set[int]:
    """The worker pids seen answering /healthz under concurrent load."""
    from concurrent.futures import ThreadPoolExecutor

    pids: set[int] = set()
    with ThreadPoolExecutor(8) as pool:
        for _ in range(tries):
            pids |= set(pool.map(lambda _: requests.get(url + "/healthz", timeout=5).json()["pid"], range(8)))
            if len(pids) >= 2:
                break
            time.sleep(0.5)  # the second worker may still be importing the app
    return pids


def cache_states(reply: requests.Response) -> set[str]:
    """How each table was served (the X-WISE-Cache header; the zip itself describes only the data)."""
    return {part.split("=")[1] for part in reply.headers["X-WISE-Cache"].split(", ")}


def test_workers_share_one_cache(gunicorn, tap):
    url, _ = gunicorn
    assert len(worker_pids(url)) == 2
    from concurrent.futures import ThreadPoolExecutor

    first = requests.get(url + BUNDLE, timeout=30)
    assert cache_states(first) == {"live"}
    with ThreadPoolExecutor(6) as pool:  # concurrent, so both sync workers answer some
        replies = list(pool.map(lambda _: requests.get(url + BUNDLE, timeout=30), range(12)))
    assert all(r.status_code == 200 for r in replies)
    assert all(cache_states(r) == {"hit"} for r in replies)
    assert sum(tap.requests.values()) == 3  # one upstream call per table, whatever worker answered


def test_irsa_failing_then_recovering_never_gives_5xx(gunicorn, tap):
    url, _ = gunicorn
    assert requests.get(url + BUNDLE, timeout=30).status_code == 200
    time.sleep(2.2)  # the entries are now older than the TTL: IRSA is asked again
    for fault in (Fault(http_status=500), Fault(hang_s=4.0)):
        for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
            tap.faults[table] = fault
        reply = requests.get(url + BUNDLE, timeout=60)
        assert reply.status_code == 200
        caches = cache_states(reply)
        assert caches == {"stale"}  # users get the stale data, labelled
    tap.faults.clear()
    reply = requests.get(url + BUNDLE, timeout=30)
    assert cache_states(reply) == {"live"}  # fresh data flows again


def test_upstream_failure_without_cache_is_a_clear_502_naming_each_table(gunicorn, tap):
    url, _ = gunicorn
    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        tap.faults[table] = Fault(http_status=503)
    reply = requests.get(url + "/bundle.zip?target=314.26238+14.20441&r=2.4", timeout=30)
    assert reply.status_code == 502 and b"HTTP 503" in reply.content and b"Traceback" not in reply.content
    assert all(t in reply.headers["X-WISE-Failures"] for t in ("allwise_p3as_psd", "allwise_p3as_mep",
                                                                "neowiser_p1bs_psd"))


def test_a_killed_worker_is_replaced_and_nothing_is_corrupted(gunicorn, tap):
    url, _ = gunicorn
    assert requests.get(url + BUNDLE, timeout=30).status_code == 200
    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=1.5)
    time.sleep(2.2)
    pids = worker_pids(url)
    victim = sorted(pids)[0]
    import threading

    results = []
    threading.Thread(target=lambda: results.append(_get(url + BUNDLE))).start()
    time.sleep(0.5)
    os.kill(victim, signal.SIGKILL)  # mid-request, perhaps mid-cache-write
    time.sleep(3)
    tap.faults.clear()
    for _ in range(10):  # every later request succeeds
        reply = requests.get(url + BUNDLE, timeout=30)
        assert reply.status_code == 200
        assert len(json.loads(zipfile.ZipFile(io.BytesIO(reply.content)).read("manifest.json"))["tables"]) == 3
    new_pids = worker_pids(url)
    assert victim not in new_pids and len(new_pids) == 2  # the master replaced it


def _get(url: str) -> int:
    try:
        return requests.get(url, timeout=30).status_code
    except requests.RequestException:
        return -1


def test_security_headers_and_no_debug(gunicorn):
    url, _ = gunicorn
    reply = requests.get(url + "/?target=AT2019dsg", timeout=10)
    csp = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert b'"debug":true' not in reply.content.replace(b" ", b"")
    broken = requests.post(url + "/_dash-update-component", data="{not json", timeout=10,
                           headers={"Content-Type": "application/json"})
    assert broken.status_code >= 400 and b"Traceback" not in broken.content


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"WISE_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import dashboard.app as a; a.server"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "SECRET_KEY is not set" in out.stderr


@pytest.mark.parametrize("env, says", [({}, "SECRET_KEY is not set"), ({"SECRET_KEY": "  "}, "SECRET_KEY is not set"),
                                       ({"SECRET_KEY": "k", "WISE_DEBUG": "1"}, "WISE_DEBUG must not be on")])
def test_gunicorns_master_refuses_to_start(tmp_path, env, says):
    """The master exits non-zero with the reason instead of respawning failing workers."""
    from servers import free_port

    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "WISE_DEBUG", "PORT")}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "dashboard.app:server"],
                         cwd=ROOT, env=base | env | {"WISE_CACHE_DIR": str(tmp_path), "WISE_PORT": str(free_port())},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and says in out.stderr and "Booting worker" not in out.stderr
    assert time.monotonic() - started < 30


def test_rate_limit_is_shared_and_says_so(settings):
    from dashboard.app import create_app

    app = create_app(replace(settings, offline=True, rate_limit_per_minute=3))
    client = app.server.test_client()
    early_in_a_minute()
    codes = [client.get("/bundle.zip?target=AT2019dsg&r=10").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = create_app(replace(settings, offline=True, rate_limit_per_minute=3)).server.test_client()
    reply = other.get("/bundle.zip?target=AT2019dsg&r=10")  # another worker, same cache directory
    assert reply.status_code == 429 and b"limit 3 per minute" in reply.data


def test_upstream_slots_bound_concurrent_irsa_queries(settings, tap):
    import threading

    from dashboard.archive.service import build_fetcher
    from dashboard.core.model import Cone

    tap.faults["neowiser_p1bs_psd"] = Fault(latency_s=0.6)
    # the third query waits ~1.2 s for its slot: give it room on a slow machine (the wait is bounded
    # by the table's read timeout)
    fetcher = build_fetcher(replace(settings, max_concurrent_upstream=1,
                                    read_timeouts_s={t: 10.0 for t in settings.read_timeouts_s}))
    cones = [Cone(314.26238, 14.20441, 2.5 - i * 0.1) for i in range(3)]
    start = time.perf_counter()
    threads = [threading.Thread(target=fetcher.fetch_table, args=("neowiser_p1bs_psd", c)) for c in cones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - start >= 1.7  # 3 x 0.6 s one after the other, not at once
    assert tap.requests["neowiser_p1bs_psd"] == 3


def test_background_job_handles_are_signed_per_page(settings):
    """A job handle signed for one page (endId) does not verify for another client's page."""
    from dash import _callback_signing

    from dashboard.app import create_app

    app = create_app(replace(settings, offline=True, secret_key="s3cret"))
    secret = app._get_signing_secret()
    assert secret == b"s3cret" or secret == "s3cret"
    handle = _callback_signing.sign(secret, _callback_signing.job_scope("page-A"), "12345")
    assert _callback_signing.unsign(secret, _callback_signing.job_scope("page-A"), handle) == "12345"
    assert _callback_signing.unsign(secret, _callback_signing.job_scope("page-B"), handle) is None


def _fetch_request(n: int) -> dict:
    query = {"target": "314.26238 14.20441", "radius": 2.5, "nonce": f"forged{n}"}
    return {"output": "fetched.data", "outputs": {"id": "fetched", "property": "data"},
            "inputs": [{"id": "query", "property": "data", "value": query}], "changedPropIds": ["query.data"]}


def test_forged_background_fetches_count_against_the_limit(settings, tap):
    """Callback requests a page would never send still count: past the limit, no job, no query."""
    from dashboard.app import create_app

    client = create_app(replace(settings, rate_limit_per_minute=2)).server.test_client()
    early_in_a_minute()  # the limit's window is the clock minute: a turn-over mid-test resets the count
    codes = [client.post("/_dash-update-component", json=_fetch_request(n)).status_code for n in range(2)]
    time.sleep(3)  # the two accepted jobs run their queries
    asked = sum(tap.requests.values())
    refused = [client.post("/_dash-update-component", json=_fetch_request(n)) for n in range(2, 6)]
    time.sleep(1)
    assert codes == [200, 200] and {r.status_code for r in refused} == {429}
    assert b"limit 2 per minute" in refused[0].data and sum(tap.requests.values()) == asked


def test_clients_behind_one_proxy_hop_are_limited_separately(settings):
    from dashboard.app import create_app

    behind = create_app(replace(settings, offline=True, rate_limit_per_minute=2, proxy_hops=1)).server.test_client()
    early_in_a_minute()
    alice = {"X-Forwarded-For": "198.51.100.7"}
    bob = {"X-Forwarded-For": "198.51.100.8"}
    codes = [behind.get("/bundle.zip?target=AT2019dsg&r=10", headers=alice).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert behind.get("/bundle.zip?target=AT2019dsg&r=10", headers=bob).status_code == 200
    direct = create_app(replace(settings, offline=True, rate_limit_per_minute=2, proxy_hops=0)).server.test_client()
    forged = [direct.get("/bundle.zip?target=AT2019dsg&r=10", headers={"X-Forwarded-For": f"203.0.113.{i}"})
              for i in range(3)]
    assert [r.status_code for r in forged] == [200, 200, 429]  # with no trusted proxy the header is ignored


def test_recycled_workers_drop_no_connection(tap, tmp_path):
    """Workers recycled by count (every ~40 requests here) while 8 keep-alive clients send
    without pause: every request is answered (gunicorn's own max_requests reset 1-5 per recycle)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "cache"), "SECRET_KEY": "test-secret",
           "WISE_RESOLVE_NAMES_ONLINE": "0", "WEB_CONCURRENCY": "2", "WISE_MAX_REQUESTS": "40"}
    url, proc = start_gunicorn(env)
    try:
        def client(_: int) -> tuple[list[str], set[int]]:
            session, failures, pids = requests.Session(), [], set()
            for i in range(60):
                try:
                    reply = session.get(url + ("/healthz" if i % 2 else "/?target=AT2019dsg&r=2.5"), timeout=30)
                    if reply.status_code != 200:
                        failures.append(f"HTTP {reply.status_code}")
                    elif i % 2:
                        pids.add(reply.json()["pid"])
                except requests.RequestException as exc:
                    failures.append(type(exc).__name__)
            return failures, pids

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(client, range(8)))
    finally:
        stop(proc)
    failures = [f for fs, _ in results for f in fs]
    pids = set().union(*(p for _, p in results))
    assert len(pids) >= 4, f"workers were not recycled during the run: {pids}"
    assert failures == []
