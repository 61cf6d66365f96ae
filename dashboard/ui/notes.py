"""The "Group notes" panel: its layout, and the group's notes of a view as components.

Every text a member typed (a note, a tag, a list's name, an author's address) is a component's
child: React writes it as text, never as HTML. The panel is hidden and empty for anyone who is
not a signed-in member (``callbacks/notes.py`` decides on the server, per request).
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.group.notes import MAX_TEXT, Note

TAGS_LABEL: dict[str, Any] = {"aria-label": "tags"}


def panel() -> html.Section:
    return html.Section(id="notes-panel", className="panel notes-panel", tabIndex="-1", style={"display": "none"},
                        children=[
        html.Div(className="panel-head", children=[html.H2("Group notes"),
                                                   html.Span(id="notes-where", className="muted")]),
        html.Div(id="notes-list", className="notes-list"),
        dcc.Store(id="note-editing"), dcc.Store(id="notes-refresh", data=0),
        html.Label("Note (text only; at most 10,000 characters)", htmlFor="note-text", className="muted"),
        dcc.Textarea(id="note-text", maxLength=MAX_TEXT, className="note-text", value=""),
        html.Div(html.Div(dcc.Checklist(id="note-tags", options=[], value=[], inline=True, className="note-tags"),
                          role="group", **TAGS_LABEL)),
        html.Div(className="note-actions", children=[
            html.Button("Add note", id="note-add", className="button"),
            html.Button("Cancel edit", id="note-cancel", className="button", style={"display": "none"}),
            html.Span(id="note-status", className="muted", role="status"),
        ]),
        html.Div(className="note-lists", children=[
            html.Label("Add this target to the list", htmlFor="list-name", className="muted"),
            dcc.Input(id="list-name", type="text", maxLength=100, placeholder="e.g. TDE hosts", className="small-input",
                      debounce=False),
            html.Button("Add to list", id="list-add", className="button"),
            html.Span(id="list-status", className="muted", role="status"),
            html.Ul(id="list-links", className="list-links"),
        ]),
    ])


def who(mode: str, email: str, member: bool, path: str) -> list[Any]:
    """The header's sign-in line: nothing when sign-in is off."""
    if mode == "none":
        return []
    if not email:
        return [html.A("Sign in", href=f"/login?next={path}" if mode == "oidc" else "/oauth2/start",
                       className="signin")]
    said = f"{email}" + ("" if member else " (not a member of the group)")
    return [html.Span(said, className="muted"), " ", html.A("Sign out", href="/logout", className="signin")]


def note_item(note: Note, history: list[dict[str, Any]]) -> html.Li:
    tags = [html.Span(t, className="tag") for t in note.tags]
    said = (f"{note.author}, {note.created[:16].replace('T', ' ')} UTC · v{note.version}"
            + (f" · {note.separation_arcsec:.1f}″ away" if note.separation_arcsec > 0.05 else "")
            + (" · deleted" if note.deleted else ""))
    actions = [html.Button("Undo delete" if note.deleted else "Delete",
                           id={"type": "note-action", "thread": note.thread, "action": "undo" if note.deleted
                               else "delete"}, className="link-button")]
    if not note.deleted:
        actions.insert(0, html.Button("Edit", id={"type": "note-action", "thread": note.thread, "action": "edit"},
                                      className="link-button"))
    beside = [html.P("Another member edited this note at the same time: both versions are kept (history).",
                     className="note-warning")] if note.made_beside else []
    return html.Li(className="note", children=[
        html.Div([*tags, html.Span(said, className="muted")], className="note-head"),
        html.P(note.text, className="note-body"), *beside,
        html.Div(actions, className="note-buttons"),
        html.Details([html.Summary(f"history ({len(history)} version{'s' if len(history) != 1 else ''})"), html.Ol([
            html.Li(f"v{h['version']} {h['created'][:19]} {h['author']}"
                    + (" (deleted)" if h["deleted"] else "") + f": {h['text']}"
                    + (f" [{', '.join(h['tags'])}]" if h["tags"] else "")) for h in history])]),
    ])
