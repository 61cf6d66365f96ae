"""Alembic's environment: the connection ``db.upgrade`` hands over, or the URL of the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from dashboard.group.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
        return
    with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as own:
        context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()


run()
