"""The group's stores for a server's settings: one engine per database and process, opened on
first use (never before a fork), its schema at head."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.config import Settings
from dashboard.group import db
from dashboard.group.lists import ListStore
from dashboard.group.notes import NoteStore


@dataclass(frozen=True)
class Group:
    notes: NoteStore
    lists: ListStore
    tags: tuple[str, ...]


def tags_of(settings: Settings) -> tuple[str, ...]:
    return tuple(t.strip() for t in settings.tags.split(",") if t.strip())


def group(settings: Settings) -> Group:
    made = db.engine(db.database_url(settings.database_url, settings.data_dir))
    tags = tags_of(settings)
    return Group(NoteStore(made, tags), ListStore(made), tags)
