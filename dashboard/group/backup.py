"""``python -m dashboard notes export`` and ``notes import FILE``: the notes as JSON lines, one
note version a line (``target``, ``author`` as an e-mail, ``text``, ``tags``, ``created`` in ISO
8601 UTC; and ``thread``, ``version``, ``ra``, ``dec``, ``target_key``, ``deleted``, ``based_on``
so that a restore is whole). Importing a file twice adds nothing: each version's fingerprint is
unique in the database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.group.models import NoteVersion
from dashboard.group.notes import MAX_TEXT, version_fingerprint

REQUIRED = ("target", "author", "text", "tags", "created")


def export_lines(made: Engine) -> Iterator[str]:
    with Session(made) as session:
        for row in session.scalars(select(NoteVersion).order_by(NoteVersion.id)):
            yield json.dumps({"target": row.target, "author": row.author, "text": row.text,
                              "tags": json.loads(row.tags), "created": row.created, "thread": row.thread,
                              "version": row.version, "ra": row.ra, "dec": row.dec, "target_key": row.target_key,
                              "deleted": row.deleted, "based_on": row.based_on}, ensure_ascii=False)


def _row(line: str, number: int) -> NoteVersion:
    entry = json.loads(line)
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise ValueError(f"line {number}: missing {', '.join(missing)} (each line needs {', '.join(REQUIRED)})")
    datetime.fromisoformat(str(entry["created"]).replace("Z", "+00:00"))  # a bad time stops the import, named
    if len(str(entry["text"])) > MAX_TEXT or "@" not in str(entry["author"]):
        raise ValueError(f"line {number}: text over {MAX_TEXT:,} characters or an author that is not an e-mail")
    tags = sorted(str(t) for t in entry["tags"])
    thread = str(entry.get("thread") or uuid.uuid5(uuid.NAMESPACE_URL, f"{entry['target']}|{entry['created']}"))
    version = int(entry.get("version") or 1)
    ra, dec = float(entry.get("ra", "nan")), float(entry.get("dec", "nan"))
    key = str(entry.get("target_key") or entry["target"])
    target = str(entry["target"])
    print_key = version_fingerprint(thread, version, target, str(entry["author"]), str(entry["created"]),
                                    str(entry["text"]), tags)
    return NoteVersion(thread=thread, version=version, target_key=key[:64], target=target[:200], ra=ra, dec=dec,
                       author=str(entry["author"]), text=str(entry["text"]), tags=json.dumps(tags),
                       created=str(entry["created"]), deleted=bool(entry.get("deleted", False)),
                       based_on=entry.get("based_on"), fingerprint=print_key)


def import_lines(made: Engine, lines: Iterable[str]) -> tuple[int, int]:
    """(added, already there). Every line is checked before anything is written; then all are
    written in one transaction (a bad file adds nothing)."""
    rows = [_row(line, n) for n, line in enumerate(lines, start=1) if line.strip()]
    with Session(made) as session, session.begin():
        known = set(session.scalars(select(NoteVersion.fingerprint)))
        fresh = [r for r in rows if r.fingerprint not in known]
        unique = {r.fingerprint: r for r in fresh}
        session.add_all(unique.values())
    return len(unique), len(rows) - len(unique)
