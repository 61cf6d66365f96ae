"""The "Group notes" panel's callbacks: thin, each deciding on the server who is asking
(``web/auth.caller``) before it reads or writes (``group/``). A visitor who is not a signed-in
member gets the panel hidden and empty, and every write answers what it needs instead."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.config import Settings
from dashboard.group.notes import NoteRefused, Place
from dashboard.group.service import group
from dashboard.pipeline import view
from dashboard.ui import notes as panel
from dashboard.ui.callbacks.rendering import params_with_sky
from dashboard.ui.urlstate import from_store
from dashboard.web.auth import caller
from dashboard.web.group_routes import view_place
from dashboard.web.handover import handover
from dashboard.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)
HIDDEN: dict[str, str] = {"display": "none"}
SHOWN: dict[str, str] = {}
MEMBERS_ONLY = "The group's notes are for its signed-in members."


def place_of(settings: Settings, fetched: dict | None, state_data: dict | None) -> tuple[Place, float] | None:
    """Where the view's notes attach (its selected source, else its target's position) and the
    view's match radius; None without a view."""
    fetch_id = (fetched or {}).get("fetch_id")
    observed = handover(settings).get(fetch_id) if fetch_id else None
    if observed is None or not state_data:
        return None
    state = from_store(state_data)
    return view_place(view(observed, params_with_sky(settings, state, None)), state.target)


def show(settings: Settings, fetched: dict | None, state_data: dict | None, path: str | None) -> dict:
    who = caller()
    header = panel.who(settings.auth, who.email, who.member, path or "/")
    hidden = {"style": HIDDEN, "list": [], "where": "", "tags": [], "who": header, "lists": []}
    if settings.auth == "none" or not who.member:
        return hidden
    found = place_of(settings, fetched, state_data)
    if found is None:
        return hidden
    place, radius = found
    stores = group(settings)
    notes = stores.notes.near(place, radius, with_deleted=True)
    items = [panel.note_item(n, stores.notes.history(n.thread)) for n in notes]
    where = (f"on {place.designation} and within {radius:g}″ of it" if place.designation
             else f"within {radius:g}″ of {place.ra:.5f} {place.dec:+.5f}")
    lists = [html.Li([html.Span(name + ": "), html.A("CSV", href=f"/group/lists/{quote(name, safe='')}.csv"), " · ",
                      html.A("open as a batch", href=f"/batch?list={quote(name, safe='')}"), " · ",
                      html.A("batch list", href=f"/group/lists/{quote(name, safe='')}/targets.csv")])
             for name in stores.lists.names()]
    return {"style": SHOWN, "list": html.Ul(items) if items else html.P("No note here yet.", className="muted"),
            "where": where, "tags": [{"label": t, "value": t} for t in stores.tags], "who": header, "lists": lists}


def _member(settings: Settings) -> str:
    """The signed-in member asking, or why not (a message; nothing read or written)."""
    who = caller()
    if not who.member or settings.auth == "none":
        raise _Refused(MEMBERS_ONLY)
    return who.email


def _writer(settings: Settings, limiter: RateLimiter) -> str:
    """The member writing, within the write limit, or why not."""
    email = _member(settings)
    if not limiter.allow(f"note:{email}"):
        raise _Refused(f"At most {limiter.per_minute} note and list writes a minute; wait a minute.")
    return email


class _Refused(Exception):
    pass


def save(settings: Settings, limiter: RateLimiter, text: str | None, tags: list[str] | None, editing: dict | None,
         fetched: dict | None, state_data: dict | None, refresh: int) -> dict:
    try:
        author = _writer(settings, limiter)
        stores = group(settings)
        if editing:
            _, beside = stores.notes.edit(editing["thread"], int(editing["version"]), author, text or "", tags or [])
            said = ("Saved. Another member edited this note at the same time: both versions are kept."
                    if beside else "Saved as a new version.")
        else:
            found = place_of(settings, fetched, state_data)
            if found is None:
                raise _Refused("Open a view first.")
            stores.notes.add(found[0], author, text or "", tags or [])
            said = "Added."
    except (_Refused, NoteRefused) as exc:
        return {"status": str(exc), "refresh": no_update, "text": no_update, "editing": no_update,
                "tags": no_update}
    return {"status": said, "refresh": refresh + 1, "text": "", "editing": None, "tags": []}


def act(settings: Settings, limiter: RateLimiter, refresh: int) -> dict:
    """Edit (load into the box), delete or undo the note whose button was pressed."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(ctx.triggered[i]["value"] for i in range(len(ctx.triggered))):
        raise PreventUpdate
    thread, action = str(trigger["thread"]), str(trigger["action"])
    try:
        author = _writer(settings, limiter) if action != "edit" else _member(settings)
        stores = group(settings)
        if action == "edit":
            last = stores.notes.history(thread)[-1]
            return {"text": last["text"], "tags": last["tags"], "editing": {"thread": thread,
                                                                            "version": last["version"]},
                    "status": f"Editing version {last['version']}: save to add a new one.", "refresh": no_update}
        (stores.notes.delete if action == "delete" else stores.notes.undo_delete)(thread, author)
    except (_Refused, NoteRefused) as exc:
        return {"text": no_update, "tags": no_update, "editing": no_update, "status": str(exc), "refresh": no_update}
    return {"text": no_update, "tags": no_update, "editing": no_update, "refresh": refresh + 1,
            "status": "Deleted (undo below)." if action == "delete" else "Restored."}


def add_to_list(settings: Settings, limiter: RateLimiter, name: str | None, fetched: dict | None,
                state_data: dict | None, refresh: int) -> tuple[str, Any]:
    try:
        author = _writer(settings, limiter)
        found = place_of(settings, fetched, state_data)
        if found is None:
            raise _Refused("Open a view first.")
        place = found[0]
        added = group(settings).lists.add(name or "", place.target, place.ra, place.dec, author)
    except (_Refused, NoteRefused) as exc:
        return str(exc), no_update
    return (f"Added {place.target}." if added else f"{place.target} is already in that list."), refresh + 1


def register_notes(app: dash.Dash, settings: Settings, limiter: RateLimiter) -> None:
    app.callback(
        output={"style": Output("notes-panel", "style"), "list": Output("notes-list", "children"),
                "where": Output("notes-where", "children"), "tags": Output("note-tags", "options"),
                "who": Output("who", "children"), "lists": Output("list-links", "children")},
        inputs={"fetched": Input("fetched", "data"), "state_data": Input("view-state", "data"),
                "refresh": Input("notes-refresh", "data"), "path": Input("url", "pathname")},
    )(lambda fetched, state_data, refresh, path: show(settings, fetched, state_data, path))
    app.callback(
        output={"status": Output("note-status", "children"), "refresh": Output("notes-refresh", "data"),
                "text": Output("note-text", "value"), "editing": Output("note-editing", "data"),
                "tags": Output("note-tags", "value")},
        inputs={"clicks": Input("note-add", "n_clicks")},
        state={"text": State("note-text", "value"), "tags": State("note-tags", "value"),
               "editing": State("note-editing", "data"), "fetched": State("fetched", "data"),
               "state_data": State("view-state", "data"), "refresh": State("notes-refresh", "data")},
        prevent_initial_call=True,
    )(lambda clicks, text, tags, editing, fetched, state_data, refresh: save(
        settings, limiter, text, tags, editing, fetched, state_data, refresh or 0))
    app.callback(
        output={"text": Output("note-text", "value", allow_duplicate=True),
                "tags": Output("note-tags", "value", allow_duplicate=True),
                "editing": Output("note-editing", "data", allow_duplicate=True),
                "status": Output("note-status", "children", allow_duplicate=True),
                "refresh": Output("notes-refresh", "data", allow_duplicate=True)},
        inputs={"clicks": Input({"type": "note-action", "thread": ALL, "action": ALL}, "n_clicks")},
        state={"refresh": State("notes-refresh", "data")}, prevent_initial_call=True,
    )(lambda clicks, refresh: act(settings, limiter, refresh or 0))
    app.callback(
        Output("list-status", "children"), Output("notes-refresh", "data", allow_duplicate=True),
        Input("list-add", "n_clicks"), State("list-name", "value"), State("fetched", "data"),
        State("view-state", "data"), State("notes-refresh", "data"), prevent_initial_call=True,
    )(lambda clicks, name, fetched, state_data, refresh: add_to_list(settings, limiter, name, fetched, state_data,
                                                                      refresh or 0))
