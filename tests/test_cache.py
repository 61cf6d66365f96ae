"""The shared store's slots and limits: a holder that dies cannot keep them."""

from __future__ import annotations

import time

import pytest

from dashboard.wise.cache import UpstreamSlots
from dashboard.wise.errors import ServerBusy
from dashboard.wise.store import DiskStore


def test_a_slot_left_by_a_dead_holder_frees_itself_when_it_expires(tmp_path):
    store = DiskStore(tmp_path)
    slots = UpstreamSlots(store, limit=2)
    for i in range(2):  # two holders took the slots and were killed: nobody releases them
        assert store.add(f"upstream:slot:{i}", time.time(), expire=1.0)
    with pytest.raises(ServerBusy, match="2 IRSA queries"):
        with slots.slot(wait_s=0.2, hold_s=5.0):
            pass
    start = time.monotonic()
    with slots.slot(wait_s=5.0, hold_s=5.0):  # the expired keys free the slots
        waited = time.monotonic() - start
    assert waited < 2.0
    with slots.slot(wait_s=0.2, hold_s=5.0):  # released on exit
        pass


def test_a_live_holder_is_never_overtaken(tmp_path):
    slots = UpstreamSlots(DiskStore(tmp_path), limit=1)
    with slots.slot(wait_s=0.1, hold_s=10.0):
        with pytest.raises(ServerBusy):
            with slots.slot(wait_s=0.3, hold_s=10.0):
                pass
