"""The group's tables (SQLAlchemy 2 declarative). The schema is made by the migrations
(``migrations/versions``), never by ``create_all``: these classes must agree with the head
revision, which ``tests/test_group_store.py`` checks."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class NoteVersion(Base):
    """One version of a note. A note (``thread``) is its versions; the newest is what shows.
    Editing adds a version; deleting adds one with ``deleted``; undoing adds one without."""

    __tablename__ = "note_versions"
    __table_args__ = (UniqueConstraint("thread", "version"), Index("ix_note_versions_target", "target_key"),
                      Index("ix_note_versions_dec", "dec"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    #: the AllWISE designation's key (``WISEA `` dropped), or ``pos:RA,DEC`` for a position
    target_key: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))  # the target as the view named it
    ra: Mapped[float] = mapped_column(Float)
    dec: Mapped[float] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list
    created: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the version this one was made from; a newer one existed then: made at the same time as it
    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: sha256 of (target, author, created, text, tags): an imported line already here is not added again
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)


class TargetList(Base):
    __tablename__ = "target_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created: Mapped[str] = mapped_column(String(32))


class ListItem(Base):
    __tablename__ = "list_items"
    __table_args__ = (UniqueConstraint("list_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("target_lists.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(200))  # as a batch list takes it (a name, coordinates)
    ra: Mapped[float] = mapped_column(Float)
    dec: Mapped[float] = mapped_column(Float)
    added_by: Mapped[str] = mapped_column(String(320))
    added: Mapped[str] = mapped_column(String(32))
