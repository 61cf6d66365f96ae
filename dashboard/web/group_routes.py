"""The group's plain routes (members only; never cached by anyone between): a list as CSV and as
a batch list, and the notes a member's bundle adds (``notes=1``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort

from dashboard.config import Settings
from dashboard.group.lists import batch_text, export_csv
from dashboard.group.notes import LIST_MATCH_ARCSEC, Place
from dashboard.group.service import group
from dashboard.science.analysis import View
from dashboard.web.auth import require_member

PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def group_routes(server: Flask, settings: Settings) -> None:
    @server.get("/group/lists/<name>.csv")
    def list_csv(name: str) -> Response:
        items = _items(settings, name)
        notes = group(settings).notes
        tags = [notes.tags_at(i.ra, i.dec, LIST_MATCH_ARCSEC) for i in items]
        return Response(export_csv(items, tags), mimetype="text/csv", headers={
            **PRIVATE, "Content-Disposition": "attachment; filename=target_list.csv"})

    @server.get("/group/lists/<name>/targets.csv")
    def list_targets(name: str) -> Response:
        return Response(batch_text(_items(settings, name)), mimetype="text/csv", headers=PRIVATE)


def _items(settings: Settings, name: str) -> list[Any]:
    if settings.auth == "none":
        abort(404)
    require_member()
    stores = group(settings)
    if name not in stores.lists.names():
        abort(404, description="no such list")
    return stores.lists.items(name)


def view_place(shown: View, target: str) -> tuple[Place, float]:
    """Where a view's notes attach (its selected source, else its target's position) and its
    match radius: one rule for the panel and the bundle."""
    sel = shown.selection
    if sel is None:
        return Place(target, shown.target.ra, shown.target.dec), shown.params.match_radius_arcsec
    return Place(target, sel.ra, sel.dec, sel.designation), shown.params.match_radius_arcsec


def with_notes(settings: Settings, email: str) -> Callable[[View], dict[str, Any]]:
    """What a member's bundle adds: the view's notes as the panel shows them (``notes=1``)."""
    def notes_of(shown: View) -> dict[str, Any]:
        place, radius = view_place(shown, shown.target.input)
        found = group(settings).notes.near(place, radius)
        return {"exported_by": email, "attached_to": place.key, "radius_arcsec": radius,
                "note": "the group's notes on this view when it was downloaded (members only; not IRSA data)",
                "notes": [n.as_dict() for n in found]}

    return notes_of
