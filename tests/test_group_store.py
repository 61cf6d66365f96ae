"""The group's store (``dashboard/group``) on SQLite and on PostgreSQL (a throwaway cluster from
Debian's packages, ``throwaway_postgres.py``): notes and their versions, positions and
separations, lists, backups, migrations from the first revision with rows in it, a worker killed
mid-write. The positions are the real AT2019dsg AllWISE source's; the notes are written here."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from throwaway_postgres import ThrowawayPostgres

from dashboard.group import db
from dashboard.group.backup import export_lines, import_lines
from dashboard.group.lists import ListStore, batch_text, csv_cell, export_csv
from dashboard.group.models import Base
from dashboard.group.notes import MAX_TEXT, NoteRefused, NoteStore, Place

TAGS = ("dust echo", "AGN", "artefact", "needs spectrum")
#: AT2019dsg's AllWISE source (the demo archive's recorded row).
DSG = Place("AT2019dsg", 314.2623881, 14.2044267, "WISEA J205702.96+141216.2")
HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://x") \'; DROP TABLE note_versions; --'


@pytest.fixture(scope="module")
def postgres():
    server = ThrowawayPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield db.database_url(None, tmp_path / "data")
    else:
        server = request.getfixturevalue("postgres")
        yield server.create(f"t{os.getpid()}_{time.monotonic_ns()}")
    db.forget_engines()


def test_notes_keep_every_version_and_show_by_designation_or_position(url):
    store = NoteStore(db.engine(url), TAGS)
    thread = store.add(DSG, "ana@example.org", "W1 rises 0.4 mag in 2019: " + HOSTILE, ["dust echo"])
    by_position = Place("314.2625 14.2045", 314.2625, 14.2045)  # no designation; by hand: 0.39″ E, 0.26″ N
    elsewhere = NoteStore(db.engine(url), TAGS).add(Place("far", 314.2623881, 14.2144267), "bo@example.org",
                                                    "36″ north", [])
    shown = store.near(DSG, 3.0)
    assert [n.thread for n in shown] == [thread] and shown[0].text.endswith(HOSTILE)  # stored exactly as typed
    assert [n.thread for n in store.near(by_position, 3.0)] == [thread]
    assert store.near(by_position, 3.0)[0].separation_arcsec == pytest.approx(0.471, abs=0.002)
    assert {n.thread for n in store.near(DSG, 40.0)} == {thread, elsewhere}
    version, beside = store.edit(thread, 1, "bo@example.org", "a dust echo: W1 and W2 both rise", ["dust echo", "AGN"])
    assert (version, beside) == (2, False)
    # two members edit version 2 at once: both kept, the second told
    assert store.edit(thread, 2, "ana@example.org", "ana's reading", ["dust echo"]) == (3, False)
    assert store.edit(thread, 2, "bo@example.org", "bo's reading", ["AGN"]) == (4, True)
    history = store.history(thread)
    assert [h["text"] for h in history][-2:] == ["ana's reading", "bo's reading"]
    assert store.near(DSG, 3.0)[0].made_beside
    store.delete(thread, "ana@example.org")
    assert store.near(DSG, 3.0) == [] and store.near(DSG, 3.0, with_deleted=True)[0].deleted
    store.undo_delete(thread, "ana@example.org")
    assert store.near(DSG, 3.0)[0].text == "bo's reading" and len(store.history(thread)) == 6
    assert store.tags_at(DSG.ra, DSG.dec, 3.0, DSG.designation) == ["AGN"]


def test_what_a_note_may_hold_is_checked_with_what_is_accepted(url):
    store = NoteStore(db.engine(url), TAGS)
    with pytest.raises(NoteRefused, match="at most 10,000 characters"):
        store.add(DSG, "ana@example.org", "x" * (MAX_TEXT + 1), [])
    with pytest.raises(NoteRefused, match="the group's tags are dust echo, AGN"):
        store.add(DSG, "ana@example.org", "text", ["<b>made up</b>"])
    with pytest.raises(NoteRefused, match="needs some text or a tag"):
        store.add(DSG, "ana@example.org", "  ", [])
    with pytest.raises(NoteRefused, match="no such note"):
        store.edit("not-a-thread", 1, "ana@example.org", "text", [])


def test_lists_and_their_csv_never_run_as_formulas(url):
    lists = ListStore(db.engine(url))
    assert lists.add("TDE hosts", "AT2019dsg", DSG.ra, DSG.dec, "ana@example.org")
    assert not lists.add("TDE hosts", "AT2019dsg", DSG.ra, DSG.dec, "bo@example.org")  # already there
    lists.add("TDE hosts", "=cmd|' /C calc'!A0", 10.0, 20.0, "bo@example.org")
    items = lists.items("TDE hosts")
    assert [i.target for i in items] == ["AT2019dsg", "=cmd|' /C calc'!A0"] and lists.names() == ["TDE hosts"]
    assert batch_text(items).splitlines()[:2] == ["target,id", "314.2623881 +14.2044267,AT2019dsg"]
    exported = export_csv(items, [["dust echo"], []])
    assert "\n'=cmd|' /C calc'!A0," in exported and csv_cell("-1+1") == "'-1+1" and csv_cell("a,b") == '"a,b"'
    with pytest.raises(NoteRefused, match="1 to 100 characters"):
        lists.add("x" * 101, "AT2019dsg", DSG.ra, DSG.dec, "ana@example.org")


def test_export_then_import_twice_adds_each_version_once(url, tmp_path):
    store = NoteStore(db.engine(url), TAGS)
    thread = store.add(DSG, "ana@example.org", "first", ["AGN"])
    store.edit(thread, 1, "bo@example.org", "second", [])
    lines = list(export_lines(db.engine(url)))
    assert [json.loads(line)["text"] for line in lines] == ["first", "second"]
    assert {"target", "author", "text", "tags", "created"} <= set(json.loads(lines[0]))
    fresh = db.database_url(None, tmp_path / "restored")
    assert import_lines(db.engine(fresh), lines) == (2, 0)
    assert import_lines(db.engine(fresh), lines) == (0, 2)
    assert import_lines(db.engine(url), lines) == (0, 2)  # into the database it came from: nothing new
    restored = NoteStore(db.engine(fresh), TAGS).near(DSG, 3.0)
    assert [(n.text, n.version) for n in restored] == [("second", 2)]
    with pytest.raises(ValueError, match="line 1: missing created"):
        import_lines(db.engine(fresh), ['{"target": "x", "author": "a@b", "text": "t", "tags": []}'])


def test_the_first_revision_with_rows_migrates_to_head(url):
    made = create_engine(url)
    db.upgrade(made, "0001")
    with made.begin() as connection:
        for i, when in enumerate(("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z")):  # the same instant twice
            connection.execute(text(
                "INSERT INTO note_versions (thread, version, target_key, target, ra, dec, author, text, tags, created, "
                "deleted, based_on) VALUES (:t, 1, 'J205702.96+141216.2', 'AT2019dsg', 314.2623881, 14.2044267, "
                "'ana@example.org', 'kept through the migration', '[\"AGN\"]', :c, false, NULL)"),
                {"t": f"thread-{i}", "c": when})
    db.upgrade(made, "head")
    tables = set(inspect(made).get_table_names())
    assert {"note_versions", "target_lists", "list_items", "alembic_version"} <= tables
    made.dispose()
    notes = NoteStore(db.engine(url), TAGS).near(DSG, 3.0)
    assert [n.text for n in notes] == ["kept through the migration"] * 2
    assert set(Base.metadata.tables) <= tables


def test_the_models_agree_with_the_head_revision(url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine(url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if d[0] not in ("remove_index", "add_index", "remove_constraint",
                                                   "add_constraint")] == []


def _writer(url: str, ready: multiprocessing.Queue, done: multiprocessing.Queue) -> None:  # noqa: ANN001
    store = NoteStore(db.engine(url), TAGS)
    ready.put(True)
    for i in range(100_000):
        thread = store.add(DSG, "ana@example.org", f"note {i} " + "x" * 2000, ["AGN"])
        done.put(thread)  # after the commit


def test_a_worker_killed_mid_write_loses_no_committed_note(url):
    context = multiprocessing.get_context("spawn")
    ready, done = context.Queue(), context.Queue()
    child = context.Process(target=_writer, args=(url, ready, done))
    child.start()
    ready.get(timeout=60)
    time.sleep(1.5)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    committed = []
    while not done.empty():
        committed.append(done.get())
    assert len(committed) > 5
    shown = {n.thread for n in NoteStore(db.engine(url), TAGS).near(DSG, 3.0)}
    assert set(committed) <= shown  # every acknowledged note is there (one more may have committed unacknowledged)
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _first_use(url: str, start: Any, answers: multiprocessing.Queue, who: int) -> None:  # noqa: ANN001
    start.wait(60)  # every process opens the fresh database at the same moment
    try:
        NoteStore(db.engine(url), TAGS).add(DSG, f"w{who}@example.org", f"from worker {who}", [])
        answers.put("ok")
    except Exception as exc:  # noqa: BLE001  (the answer the test reads)
        answers.put(f"{type(exc).__name__}: {exc}"[:300])


def test_workers_opening_a_fresh_database_at_once_all_find_its_schema(url):
    """gunicorn's workers each open the database on their first request: four processes released
    together on a database nobody has opened yet (found by a group run: the second upgrade made
    Alembic's version table again and that worker's first page failed)."""
    context = multiprocessing.get_context("spawn")
    start, answers = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_first_use, args=(url, start, answers, i)) for i in range(4)]
    for worker in workers:
        worker.start()
    got = [answers.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert got == ["ok"] * 4, got
    assert len(NoteStore(db.engine(url), TAGS).near(DSG, 3.0)) == 4


def test_the_command_line_reads_the_servers_database(tmp_path):
    """Run by whoever runs the server, on its settings: ``notes export``, ``notes import`` (twice:
    nothing more) and ``batch --tags`` (the offline demo's AT2019dsg, its summary with the tags)."""
    import subprocess
    import sys
    import zipfile

    data = tmp_path / "data"
    env = os.environ | {"WISE_DATA_DIR": str(data), "WISE_CACHE_DIR": str(tmp_path / "cache"),
                        "WISE_RESOLVE_NAMES_ONLINE": "0"}

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", *args], env=env, capture_output=True, text=True,
                              input=stdin, timeout=300)

    NoteStore(db.engine(db.database_url(None, data)), TAGS).add(DSG, "ana@example.org", "echo", ["dust echo"])
    db.forget_engines()
    exported = cli("notes", "export")
    assert exported.returncode == 0 and json.loads(exported.stdout.splitlines()[0])["text"] == "echo"
    (tmp_path / "notes.jsonl").write_text(exported.stdout)
    again = cli("notes", "import", str(tmp_path / "notes.jsonl"))
    assert again.returncode == 0 and "imported 0 note version(s); 1 already there" in again.stdout
    bad = cli("notes", "import", "-", stdin='{"target": "x"}\n')
    assert bad.returncode == 2 and "nothing was imported" in bad.stderr
    (tmp_path / "list.txt").write_text("AT2019dsg\n")
    done = cli("batch", str(tmp_path / "list.txt"), "--radius", "2.5", "--offline", "--tags", "-o",
               str(tmp_path / "b.zip"))
    assert done.returncode == 0, done.stderr
    summary = zipfile.ZipFile(tmp_path / "b.zip").read("summary.csv").decode()
    assert summary.splitlines()[0].endswith(",tags") and summary.splitlines()[1].endswith(",dust echo")
