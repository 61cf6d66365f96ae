"""The group's database: SQLite in ``WISE_DATA_DIR`` by default, PostgreSQL (or any SQLAlchemy
URL) with ``WISE_DATABASE_URL`` for several hosts; its schema brought to the head revision by
Alembic (``migrations/``) when a store opens it.

SQLite is opened in WAL mode with a busy timeout, so several workers of one host read while one
writes and a writer waits for another instead of failing; every write is one transaction, so a
worker killed mid-write leaves the last committed state. No connection is made at import, and
none is kept across a fork (gunicorn's workers each open their own after they start).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: one process upgrades at a time only by luck (run one worker first)
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(database_url: str | None, data_dir: Path) -> str:
    if database_url:
        return database_url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'group.sqlite3'}"


def engine(url: str) -> Engine:
    """One engine per URL and process, its schema at head (made on first use; kept only once the
    schema is there, so a failed upgrade is tried again by the next use)."""
    with _lock:
        found = _engines.get(url)
        if found is None:
            found = _new_engine(url)
            upgrade(found)
            _engines[url] = found
        return found


def _new_engine(url: str) -> Engine:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    made = create_engine(url, connect_args={"timeout": 30} if sqlite else {}, pool_pre_ping=not sqlite)
    if sqlite:
        @event.listens_for(made, "connect")
        def _pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return made


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: The PostgreSQL advisory lock key the schema upgrade holds (any constant the app uses once).
UPGRADE_LOCK_KEY = 0x5749_5345  # "WISE"


def upgrade(made: Engine, revision: str = "head") -> None:
    """The schema brought to ``revision`` on ``made``'s database (Alembic, in one transaction),
    one process at a time: every gunicorn worker opens the database on its first request, and two
    upgrading a fresh database at once would both create Alembic's version table (the second
    fails). SQLite: a lock file beside the database (one host); PostgreSQL: a transaction-scoped
    advisory lock, so the second upgrade starts after the first has committed and finds head."""
    from alembic import command

    config = alembic_config(made.url.render_as_string(hide_password=False))
    with _one_upgrader(made), made.begin() as connection:
        if made.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def _one_upgrader(made: Engine) -> Iterator[None]:
    """An exclusive lock on ``<database>.upgrade.lock`` for a SQLite file (held across the
    commit); nothing for other databases (their lock is taken inside the transaction)."""
    path = made.url.database if made.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or fcntl is None:
        yield
        return
    with open(f"{path}.upgrade.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def forget_engines() -> None:
    """Dispose every engine of this process (tests; after a fork nothing is reused)."""
    with _lock:
        for made in _engines.values():
            made.dispose()
        _engines.clear()
