"""A panel's own background fetch after the WISE view (the sky context, the visit images): what
it asks for (``<name>-query``, from the fetched cone and the view), the job that answers it
(``<name>``, with progress in ``<name>-progress`` and the page's Cancel), so a slow service never
holds the rest of the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
from dash import Input, Output, State


def register_panel_job(app: dash.Dash, name: str, query: Callable[[Any, Any, Any], Any],
                       job: Callable[[Callable[[str], None], dict | None], dict | None], *, what: str,
                       interval_ms: int) -> None:
    """``query(fetched, view_state, current)`` -> what to fetch (or no_update); ``job(set_progress,
    asked)`` runs in the background manager; a defect in it is logged and told as ``what`` failing."""
    app.callback(Output(f"{name}-query", "data"), Input("fetched", "data"), Input("view-state", "data"),
                 State(f"{name}-query", "data"), prevent_initial_call=True)(query)
    app.callback(
        Output(name, "data"), Input(f"{name}-query", "data"), background=True,
        progress=[Output(f"{name}-progress", "children")],
        running=[(Output(f"{name}-progress", "style"), {"display": "block"}, {"display": "none"})],
        cancel=[Input("cancel", "n_clicks")], interval=interval_ms, prevent_initial_call=True,
        on_error=lambda exc: {"error": f"Fetching {what} failed on the server (it was logged)."},
    )(job)
