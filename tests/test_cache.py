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
