"""The shared store's slots and limits: a holder that dies cannot keep them."""

from __future__ import annotations

import time

import pytest

from dashboard.archive.cache import UpstreamSlots
from dashboard.archive.store import DiskStore
from dashboard.core.errors import ServerBusy


def test_a_slot_left_by_a_dead_holder_frees_itself_when_it_expires(tmp_path):
    store = DiskStore(tmp_path)
    slots = UpstreamSlots(store, limit=2)
    for i in range(2):  # two holders took the slots and were killed: nobody releases them
        assert store.add(f"upstream:slot:{i}", time.time(), expire=1.0)
    with pytest.raises(ServerBusy, match="2 IRSA queries"):
        with slots.slot(wait_s=0.2):
            pass
    start = time.monotonic()
    with slots.slot(wait_s=5.0):  # the expired keys free the slots
        waited = time.monotonic() - start
    assert waited < 2.0
    with slots.slot(wait_s=0.2):  # released on exit
        pass


def test_a_live_holder_is_never_overtaken(tmp_path):
    slots = UpstreamSlots(DiskStore(tmp_path), limit=1)
    with slots.slot(wait_s=0.1):
        with pytest.raises(ServerBusy):
            with slots.slot(wait_s=0.3):
                pass


HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from dashboard.archive.lease import held, try_acquire
from dashboard.archive.store import DiskStore
store = DiskStore(Path({path!r}))
token = try_acquire(store, "lock:q")
assert token
with held(store, "lock:q", token):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_sigkilled_holders_lease_is_free_within_seconds(tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import ROOT
    from dashboard.archive.lease import LEASE_S, lease

    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(root=str(ROOT), path=str(tmp_path))],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    store = DiskStore(tmp_path)
    time.sleep(LEASE_S)  # alive: the holder keeps renewing past the first expiry
    with lease(store, "lock:q", wait_s=0.2) as got:
        assert not got
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    start = time.monotonic()
    with lease(store, "lock:q", wait_s=LEASE_S + 5) as got:
        freed_after = time.monotonic() - start
    assert got and freed_after <= LEASE_S + 1


FETCHER = """
import sys
sys.path.insert(0, {root!r})
from dataclasses import replace
from pathlib import Path
from dashboard.archive.service import build_fetcher
from dashboard.config import Settings
from dashboard.core.model import Cone
settings = replace(Settings(), tap_url={tap!r}, cache_dir=Path({path!r}), resolve_names_online=False)
print("fetching", flush=True)
build_fetcher(settings).fetch(Cone(314.26238, 14.20441, 2.5))
"""


def test_a_fetch_killed_mid_query_frees_its_cone_at_once(tmp_path, tap, caplog):
    """A fetch SIGKILLed while IRSA is still answering leaves its single-flight leases behind;
    the next fetch of the same cone on this host sees that their holder's process is gone and
    takes them over instead of waiting out the lease time-out (asserted by the takeover, not a clock)."""
    import logging
    import signal
    import subprocess
    import sys
    from dataclasses import replace

    from conftest import ROOT
    from dashboard.archive.service import build_fetcher
    from dashboard.config import Settings
    from dashboard.core.model import Cone
    from tap_server import Fault

    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        tap.faults[table] = Fault(latency_s=3.0)
    proc = subprocess.Popen([sys.executable, "-c", FETCHER.format(root=str(ROOT), tap=tap.url, path=str(tmp_path))],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "fetching"
    store = DiskStore(tmp_path)
    deadline = time.monotonic() + 20
    while sum(tap.requests.values()) < 3 and time.monotonic() < deadline:  # all three queries are at IRSA
        time.sleep(0.05)
    locks = [k for k in store.cache.iterkeys() if str(k).startswith("lock:")]
    assert len(locks) == 3
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert all(store.get(k) is not None for k in locks)  # the dead fetch's leases are still there
    tap.faults.clear()
    caplog.set_level(logging.INFO, logger="dashboard.archive.lease")
    settings = replace(Settings(), tap_url=tap.url, cache_dir=tmp_path, resolve_names_online=False)
    observations = build_fetcher(settings).fetch(Cone(314.26238, 14.20441, 2.5))
    assert not observations.failures
    took = [r.getMessage() for r in caplog.records if "took over lease" in r.getMessage()]
    taken = {m.split()[3] for m in took}
    assert set(locks) <= taken  # (and the upstream slots it held: taken over the same way)


def test_of_two_waiters_that_see_a_dead_holder_exactly_one_takes_the_lease(tmp_path):
    import subprocess
    import sys
    import threading

    from dashboard.archive.lease import _host, try_acquire

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process of this host that no longer exists
    store = DiskStore(tmp_path)
    for round_ in range(20):
        key = f"lock:{round_}"
        store.set(key, f"{_host()}|{gone.pid}|1.0|dead", expire=60)
        won: list[str] = []
        start = threading.Barrier(4)

        def wait(key: str = key, start: threading.Barrier = start, won: list[str] = won) -> None:
            start.wait()
            token = try_acquire(store, key)
            if token:
                won.append(token)

        threads = [threading.Thread(target=wait) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(won) == 1 and store.get(key) == won[0]


def test_a_holder_on_another_host_or_alive_here_is_never_taken_over(tmp_path):
    import os

    from dashboard.archive.lease import _host, _started, holder_is_dead, new_token, try_acquire

    store = DiskStore(tmp_path)
    store.set("lock:far", f"elsewhere/boot|{os.getpid() + 1}|1.0|x", expire=60)  # another host: not checkable
    store.set("lock:me", new_token(), expire=60)  # this live process
    store.set("lock:old", "0123456789abcdef", expire=60)  # a token of the format before (0.1): alive
    started = _started(os.getpid())
    assert started is not None
    reused = f"{_host()}|{os.getpid()}|{started - 100.0!r}|x"  # this pid, but an earlier process had it
    assert holder_is_dead(reused)
    for key in ("lock:far", "lock:me", "lock:old"):
        assert try_acquire(store, key) is None, key


@pytest.mark.cluster
def test_redis_takes_a_dead_holders_lease_over_with_one_atomic_compare_and_set():
    import subprocess
    import sys

    from test_store_outage import start_redis

    from dashboard.archive.lease import _host, try_acquire
    from dashboard.archive.store import RedisStore
    from servers import free_port

    port = free_port()
    proc = start_redis(port)
    try:
        store = RedisStore(f"redis://127.0.0.1:{port}/0")
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        dead = f"{_host()}|{gone.pid}|1.0|dead"
        store.set("lock:q", dead, expire=60)
        assert not store.replace("lock:q", "someone else", "x", expire=60) and store.get("lock:q") == dead
        token = try_acquire(store, "lock:q")
        assert token and store.get("lock:q") == token and try_acquire(store, "lock:q") is None
    finally:
        proc.kill()
        proc.wait()
