"""Fingerprints (an import adds a line once), the declination index, and the group's target lists.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def fingerprint(target: str, author: str, created: str, text: str, tags: str) -> str:
    """As ``notes.fingerprint`` (kept here as it was: a migration never changes with the code)."""
    key = json.dumps([target, author, created, text, sorted(json.loads(tags or "[]"))], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("note_versions") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, target, author, created, text, tags, thread, version "
                                      "FROM note_versions")).fetchall()
    seen: set[str] = set()
    for row in rows:
        found = fingerprint(row.target, row.author, row.created, row.text, row.tags)
        if found in seen:  # the same text at the same instant twice: told apart by its version
            found = hashlib.sha256(f"{found}:{row.thread}:{row.version}".encode()).hexdigest()
        seen.add(found)
        connection.execute(sa.text("UPDATE note_versions SET fingerprint = :f WHERE id = :i"),
                           {"f": found, "i": row.id})
    with op.batch_alter_table("note_versions") as batch:
        batch.alter_column("fingerprint", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_note_versions_fingerprint", ["fingerprint"])
    op.create_index("ix_note_versions_dec", "note_versions", ["dec"])
    op.create_table(
        "target_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "list_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("target_lists.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("ra", sa.Float, nullable=False),
        sa.Column("dec", sa.Float, nullable=False),
        sa.Column("added_by", sa.String(320), nullable=False),
        sa.Column("added", sa.String(32), nullable=False),
        sa.UniqueConstraint("list_id", "target"),
    )


def downgrade() -> None:
    op.drop_table("list_items")
    op.drop_table("target_lists")
    op.drop_index("ix_note_versions_dec", "note_versions")
    with op.batch_alter_table("note_versions") as batch:
        batch.drop_constraint("uq_note_versions_fingerprint", type_="unique")
        batch.drop_column("fingerprint")
