"""Notes: one row per version of a note.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "note_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("thread", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("target_key", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("ra", sa.Float, nullable=False),
        sa.Column("dec", sa.Float, nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("based_on", sa.Integer, nullable=True),
        sa.UniqueConstraint("thread", "version"),
    )
    op.create_index("ix_note_versions_target", "note_versions", ["target_key"])


def downgrade() -> None:
    op.drop_table("note_versions")
