"""The background fetch: resolve the target and fetch the three tables, then hand the
``Observed`` over by id (``web/handover.py``); a render never queries IRSA."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from dashboard.config import Settings
from dashboard.core.tables import spec
from dashboard.core.targets import TargetError
from dashboard.pipeline import observe
from dashboard.web.handover import handover


def fetch(settings: Settings, set_progress: Callable[[str], None], query: dict | None) -> dict:
    """Background job: resolve and fetch the three tables; hand the result over by id."""
    if not query or not query.get("target"):
        return {"error": None, "query": None}
    states: dict[str, str] = {}

    def progress(table: str, state: str) -> None:
        states[table] = state
        set_progress(" · ".join(f"{spec(t).label}: {state}" for t, state in states.items()))

    try:
        observed = observe(query["target"], query["radius"], settings, progress=progress,
                           add=tuple(query.get("add") or ()))
    except TargetError as exc:
        return {"error": str(exc), "query": query}
    fetch_id = uuid.uuid4().hex
    handover(settings).put(fetch_id, observed)
    return {"error": None, "query": query, "fetch_id": fetch_id}
