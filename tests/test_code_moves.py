"""What users hold survives the 0.8 code move (dashboard/wise -> core/archive/science/...).

The fixtures were made by the 0.1.0 code (commit 78e4143, the main before the move), from the
recorded AT2019dsg rows served by that version's local TAP server:
* ``data/cache-made-by-0.1.0/``: its diskcache directory after one fetch of the AT2019dsg cone
  (r = 2.5") and one batch state (``made_by.py.txt`` beside it: the script that made it, run
  with the 0.1.0 checkout on the path);
* ``data/bundles/made-by-0.1.0_AT2019dsg.zip``: its bundle of the offline view
  ``target=AT2019dsg&r=2.5``, whose ``reproduce.py`` imports ``dashboard.wise.reproduce``.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import zipfile
from dataclasses import replace

import pytest

from conftest import ROOT, run_reproduce
from dashboard.archive import pickles
from dashboard.archive.cache import CacheEntry
from dashboard.archive.service import build_fetcher
from dashboard.archive.store import DiskStore, RedisStore
from dashboard.core.model import Cone
from dashboard.web.batches import BatchState
from servers import free_port

OLD_CACHE = ROOT / "tests" / "data" / "cache-made-by-0.1.0"
OLD_BUNDLE = ROOT / "tests" / "data" / "bundles" / "made-by-0.1.0_AT2019dsg.zip"
AT2019DSG = Cone(314.26238, 14.20441, 2.5)


@pytest.fixture
def old_cache(tmp_path):
    folder = tmp_path / "cache"
    shutil.copytree(OLD_CACHE, folder, ignore=shutil.ignore_patterns("made_by.py.txt"))
    return folder


def _old_pickles(folder) -> dict[str, bytes]:
    """Every value of a diskcache directory as the pickle bytes the old version wrote."""
    out = {}
    with sqlite3.connect(folder / "cache.db") as db:
        for key, mode, filename, value in db.execute("SELECT key, mode, filename, value FROM Cache"):
            if mode == 4:  # diskcache MODE_PICKLE
                out[key] = bytes(value) if value is not None else (folder / filename).read_bytes()
    return out


def test_the_fixture_really_holds_the_old_module_paths(old_cache):
    raw = _old_pickles(old_cache)
    assert any(b"dashboard.wise.cache" in data for data in raw.values())
    assert any(b"dashboard.web.batches" in data for data in raw.values())
    with pytest.raises(ModuleNotFoundError):  # what every reader did before: the mapping is needed
        pickle.loads(next(d for d in raw.values() if b"dashboard.wise.cache" in d))


def test_old_cache_entries_serve_as_the_stale_fallback_when_irsa_is_down(old_cache, settings):
    down = replace(settings, cache_dir=old_cache, tap_url=f"http://127.0.0.1:{free_port()}/tap", cache_ttl_s=0.0)
    observations = build_fetcher(down).fetch(AT2019DSG)
    assert not observations.failures
    for table, rows in {"allwise_p3as_psd": 1, "allwise_p3as_mep": 26, "neowiser_p1bs_psd": 253}.items():
        result = observations.results[table]
        assert result.provenance.source == "stale" and len(result.rows) == rows, table
        assert result.raw_votable.startswith(b"<?xml")


def test_old_batch_state_reads_in_the_disk_store(old_cache):
    state = DiskStore(old_cache).get("batch:made-by-0.1.0")
    assert isinstance(state, BatchState) and state.status == "done" and state.rows[0]["id"] == "AT2019dsg"


@pytest.mark.cluster
def test_old_entries_read_from_redis_and_an_unreadable_one_is_a_miss(old_cache):
    from test_store_outage import start_redis

    port = free_port()
    proc = start_redis(port)
    try:
        store = RedisStore(f"redis://127.0.0.1:{port}/0")
        for key, data in _old_pickles(old_cache).items():
            store.client.set(store.prefix + key, data)  # the bytes the 0.1.0 version put in Redis
        entries = [store.get(k) for k, data in _old_pickles(old_cache).items() if b"CacheEntry" in data]
        assert len(entries) == 3 and all(isinstance(e, CacheEntry) for e in entries)
        assert isinstance(store.get("batch:made-by-0.1.0"), BatchState)
        # a class that no longer exists anywhere, and a cut-short value: misses, never an exception
        ghost = b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\x10dashboard.nowhere\x94\x8c\x01X\x94\x93\x94."
        store.client.set(store.prefix + "ghost", ghost)
        store.client.set(store.prefix + "cut", _old_pickles(old_cache)["batch:made-by-0.1.0"][:40])
        assert store.get("ghost") is None and store.get("cut") is None
    finally:
        proc.kill()
        proc.wait()


def test_an_unreadable_disk_entry_is_a_miss(tmp_path):
    store = DiskStore(tmp_path)
    store.cache.set("ghost", b"x")  # then overwrite its pickle with a class that does not exist
    with sqlite3.connect(tmp_path / "cache.db") as db:
        ghost = b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\x10dashboard.nowhere\x94\x8c\x01X\x94\x93\x94."
        db.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = 'ghost'", (ghost,))
    assert store.get("ghost") is None


def test_every_moved_module_maps_to_one_that_exists():
    import importlib

    for old, new in pickles.MOVED_MODULES.items():
        assert old.startswith(("dashboard.wise.", "dashboard.sky.")), old
        importlib.import_module(new)


def test_a_bundle_made_before_the_move_still_reproduces(tmp_path):
    with zipfile.ZipFile(OLD_BUNDLE) as z:
        z.extractall(tmp_path)
    assert "from dashboard.wise.reproduce import main" in (tmp_path / "reproduce.py").read_text()
    result = run_reproduce(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "sed.csv").write_text((tmp_path / "sed.csv").read_text().replace("0.", "9.", 1))
    tampered = run_reproduce(tmp_path)
    assert tampered.returncode == 1 and "sed.csv" in tampered.stdout + tampered.stderr
