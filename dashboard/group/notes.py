"""The group's notes and tags on targets: every edit a new version, nothing ever lost.

A note is attached to the selected source's AllWISE designation when the view has one, else to
its position. A view shows the notes on its designation and those whose position lies within its
match radius, each with its separation. A note's versions are kept: an edit adds one, a deletion
adds one marked deleted (undo adds one back), and two members editing one note at once are both
kept (the later is marked as made beside the other, and its author told). The text is stored as
typed and shown as text only (``ui/notes.py``); its length and tags are checked here.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.core.geometry import separation_arcsec
from dashboard.group.models import NoteVersion

MAX_TEXT = 10_000
MAX_TAGS = 20
#: A list's or a tagged batch's target and its notes: within the default match radius of a view (3″).
LIST_MATCH_ARCSEC = 3.0


class NoteRefused(ValueError):
    """A note that cannot be stored as given (too long, an unknown tag, no such note); the message
    says what is accepted."""


@dataclass(frozen=True)
class Place:
    """Where a view's notes attach: its source's designation (or none) and position."""

    target: str
    ra: float
    dec: float
    designation: str | None = None

    @property
    def key(self) -> str:
        if self.designation:
            return self.designation.removeprefix("WISEA ").strip()
        return f"pos:{self.ra:.6f},{self.dec:+.6f}"


@dataclass(frozen=True)
class Note:
    """The newest version of a note, as a view shows it."""

    thread: str
    version: int
    target: str
    author: str
    text: str
    tags: tuple[str, ...]
    created: str
    deleted: bool
    separation_arcsec: float
    made_beside: bool  # made from an older version while another was made: both kept

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "tags": list(self.tags)}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fingerprint(target: str, author: str, created: str, text: str, tags: list[str]) -> str:
    key = json.dumps([target, author, created, text, sorted(tags)], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


def version_fingerprint(thread: str, version: int, target: str, author: str, created: str, text: str,
                        tags: list[str]) -> str:
    """A version's unique key: a first version by its target, a later one by its thread and number
    (the same rule for a write and an import, so a backup imported twice adds nothing)."""
    return fingerprint(target if version == 1 else f"{thread}:{version}", author, created, text, tags)


def checked(text: str, tags: list[str] | tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, list[str]]:
    if len(text) > MAX_TEXT:
        raise NoteRefused(f"a note is at most {MAX_TEXT:,} characters; this one has {len(text):,}")
    if not text.strip() and not tags:
        raise NoteRefused("a note needs some text or a tag")
    unknown = [t for t in tags if t not in allowed]
    if unknown:
        raise NoteRefused(f"unknown tag(s) {', '.join(map(repr, unknown))}: the group's tags are "
                          f"{', '.join(allowed) or 'none (WISE_TAGS is empty)'}")
    return text, sorted(set(tags))[:MAX_TAGS]


class NoteStore:
    """Notes in the group's database (``db.engine``)."""

    def __init__(self, made: Engine, tags: tuple[str, ...]) -> None:
        self.engine, self.tags = made, tags

    def add(self, place: Place, author: str, text: str, tags: list[str]) -> str:
        """A new note; its thread id."""
        text, tags = checked(text, tags, self.tags)
        thread = str(uuid.uuid4())
        self._insert(thread, 1, place, author, text, tags, deleted=False, based_on=None)
        return thread

    def edit(self, thread: str, based_on: int, author: str, text: str, tags: list[str]) -> tuple[int, bool]:
        """A new version of ``thread`` made from version ``based_on``: (its version, whether
        another version was made meanwhile, then both are kept and the history shows them)."""
        text, tags = checked(text, tags, self.tags)
        last = self._latest(thread)
        return self._next(last, author, text, tags, deleted=False, based_on=based_on)

    def delete(self, thread: str, author: str) -> int:
        last = self._latest(thread)
        return self._next(last, author, last.text, json.loads(last.tags), deleted=True, based_on=last.version)[0]

    def undo_delete(self, thread: str, author: str) -> int:
        last = self._latest(thread)
        if not last.deleted:
            raise NoteRefused("this note is not deleted")
        return self._next(last, author, last.text, json.loads(last.tags), deleted=False, based_on=last.version)[0]

    def _latest(self, thread: str) -> NoteVersion:
        with Session(self.engine) as session:
            found = session.scalars(select(NoteVersion).where(NoteVersion.thread == thread)
                                    .order_by(NoteVersion.version.desc()).limit(1)).first()
            if found is None:
                raise NoteRefused("no such note")
            session.expunge(found)
            return found

    def _next(self, last: NoteVersion, author: str, text: str, tags: list[str], *, deleted: bool,
              based_on: int) -> tuple[int, bool]:
        """The next version after ``last``; when another writer took that number first, the one
        after (a unique (thread, version) decides), never overwriting."""
        place = Place(last.target, last.ra, last.dec)
        version = last.version + 1
        for _ in range(20):
            try:
                self._insert(last.thread, version, place, author, text, tags, deleted=deleted, based_on=based_on,
                             key=last.target_key)
                return version, based_on < version - 1
            except IntegrityError:
                version += 1
        raise NoteRefused("this note is being edited by many at once; try again")

    def _insert(self, thread: str, version: int, place: Place, author: str, text: str, tags: list[str], *,
                deleted: bool, based_on: int | None, key: str | None = None, created: str | None = None) -> None:
        created = created or now()
        with Session(self.engine) as session, session.begin():
            session.add(NoteVersion(thread=thread, version=version, target_key=key or place.key, target=place.target,
                                    ra=place.ra, dec=place.dec, author=author, text=text, tags=json.dumps(tags),
                                    created=created, deleted=deleted, based_on=based_on,
                                    fingerprint=version_fingerprint(thread, version, place.target, author, created,
                                                                    text, tags)))

    def near(self, place: Place, radius_arcsec: float, *, with_deleted: bool = False) -> list[Note]:
        """The notes of a view: on its designation, or within ``radius_arcsec`` of its position,
        nearest first, each as its newest version."""
        window = radius_arcsec / 3600.0
        with Session(self.engine) as session:
            newest = (select(NoteVersion.thread, func.max(NoteVersion.version).label("v"))
                      .group_by(NoteVersion.thread).subquery())
            rows = session.scalars(
                select(NoteVersion).join(newest, (NoteVersion.thread == newest.c.thread)
                                         & (NoteVersion.version == newest.c.v))
                .where((NoteVersion.target_key == place.key)
                       | NoteVersion.dec.between(place.dec - window, place.dec + window))).all()
            found = [r for r in rows if with_deleted or not r.deleted]
            sep = separation_arcsec(np.array([r.ra for r in found], float), np.array([r.dec for r in found], float),
                                    place.ra, place.dec) if found else np.zeros(0)
            out = [_note(r, float(s)) for r, s in zip(found, sep, strict=True)
                   if r.target_key == place.key or s <= radius_arcsec]
        return sorted(out, key=lambda n: (n.separation_arcsec, n.created))

    def history(self, thread: str) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(NoteVersion).where(NoteVersion.thread == thread)
                                   .order_by(NoteVersion.version)).all()
            return [{"version": r.version, "author": r.author, "text": r.text, "tags": json.loads(r.tags),
                     "created": r.created, "deleted": r.deleted, "based_on": r.based_on} for r in rows]

    def with_tags(self, summary: Any) -> Any:
        """A batch summary (a frame with ``ra``, ``dec``) with its ``tags`` column added."""
        return summary.assign(tags=self.tags_column(summary["ra"], summary["dec"]))

    def tags_column(self, ra: Any, dec: Any, radius_arcsec: float = LIST_MATCH_ARCSEC) -> list[str]:
        """A batch summary's ``tags``: each target's tags, ``; ``-joined ("" without a position)."""
        return ["; ".join(self.tags_at(float(r), float(d), radius_arcsec))
                if r is not None and d is not None and r == r and d == d else ""  # NaN != NaN: no position
                for r, d in zip(ra, dec, strict=True)]

    def tags_at(self, ra: float, dec: float, radius_arcsec: float, designation: str | None = None) -> list[str]:
        """Every tag of the notes of a target (a batch summary's ``tags`` column)."""
        notes = self.near(Place("", ra, dec, designation), radius_arcsec)
        return sorted({t for n in notes for t in n.tags})


def _note(row: NoteVersion, separation: float) -> Note:
    made_beside = row.based_on is not None and row.based_on < row.version - 1
    return Note(row.thread, row.version, row.target, row.author, row.text, tuple(json.loads(row.tags)), row.created,
                row.deleted, separation, made_beside)
