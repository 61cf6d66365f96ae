"""The batch page (``/batch``, ``/batch/<id>``): a list in, progress per chunk and table, cancel,
and the summary as a sortable, filterable table whose rows open each target's full view. Thin:
the work is ``web/batches.py`` and ``batch/``; the state lives in the shared store, so the page
polls it by the id in its address."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, dcc, html, no_update

from dashboard.config import Settings
from dashboard.group.lists import batch_text
from dashboard.group.service import group
from dashboard.science.variability import SMALLEST_PROBABILITY
from dashboard.web.auth import caller
from dashboard.web.batches import BatchAlreadyRunning, Batches, BatchRefused
from dashboard.web.ratelimit import client_address

SHOWN = ["status", "input", "line", "id", "designation", "separation_arcsec", "w1mpro", "w2mpro", "ph_qual",
         "n_epochs_passed", "n_visits_w1", "n_visits_w2", "w1_chi2_red_floor", "w1_p_constant_floor", "w1_w2_median",
         "reason"]
EXAMPLE = "AT2019dsg\n192.06346 +17.77402\nJ205702.96+141216.2\nl=61.403 b=-19.734"


#: The grid is one tab stop (arrow keys move inside), as the page's grids (ui/layout.py).
ONE_TAB_STOP = {"tabToNextCell": {"function": "false"}, "tabToNextHeader": {"function": "false"}}
#: A probability below chi2's underflow reads "< 1e-300" (science/variability.SMALLEST_PROBABILITY).
_PROBABILITY = {"valueFormatter": {"function": f"params.value == null ? '' : params.value < {SMALLEST_PROBABILITY:g} "
                                               f"? '< {SMALLEST_PROBABILITY:.0e}' : params.value.toPrecision(2)"}}


#: Shown after status and input when the batch searched for flares (science/flares.py).
FLARE_SHOWN = ["flare", "flare_start_mjd", "peak_significance_w1", "peak_significance_w2", "t_dust_k_at_peak",
               "redshift"]


def columns(with_id: bool = True, flare: bool = False, tags: bool = False) -> list[dict[str, Any]]:
    """The table's columns: the view link pinned, then status and input first (what a phone shows),
    narrow enough for several at 420 px. ``id`` only when the list gave ids (else it repeats ``line``);
    the flare columns when the batch searched for flares; the group's tags in a tagged batch."""
    shown = [c for c in SHOWN if with_id or c != "id"]
    if tags:
        shown = shown[:2] + ["tags"] + shown[2:]
    if flare:
        shown = shown[:2] + FLARE_SHOWN + shown[2:]
    return [{"field": "view", "headerName": "view", "cellRenderer": "markdown", "pinned": "left", "width": 64,
             "sortable": False, "filter": False}] + [
        {"field": c, "headerName": c, "sortable": True, "filter": True, "resizable": True,
         "width": WIDTHS.get(c, 7 * len(c) + 50), **(_PROBABILITY if c.endswith("p_constant_floor") else {})}
        for c in shown]


#: Column widths where the header's length is not the measure (px); AG Grid's default is 200.
WIDTHS = {"status": 100, "input": 110, "line": 64, "id": 90, "designation": 170, "ph_qual": 90, "reason": 260}


def section() -> html.Section:
    return html.Section(id="batch-section", className="panel batch", style={"display": "none"}, children=[
        html.Div(className="panel-head", children=[html.H2("Many targets at once"),
                                                   html.A("← one target", href="/", className="muted")]),
        html.P("One target per line, in any form the target box takes, or a CSV/ECSV file with a 'target' "
               "column (optional 'id' and 'radius' in arcsec). Bad lines are listed and the rest run, as IRSA "
               "upload queries (one per table per 500 targets) or, where this server has a Dask cluster, "
               "from IRSA's Parquet catalogs.", className="muted"),
        dcc.Textarea(id="batch-text", placeholder=EXAMPLE, className="batch-text"),
        html.Div(className="batch-controls", children=[
            dcc.Upload(id="batch-file", children=html.Span("or drop / choose a file"), className="batch-upload",
                       max_size=5 * 1024**2),
            html.Label("radius (arcsec)", htmlFor="batch-radius", className="muted"),
            dcc.Input(id="batch-radius", type="text", value="", placeholder="10", className="small-input"),
            html.Div(id="batch-service-box", style={"display": "none"}, children=dcc.RadioItems(
                id="batch-service", value="tap", inline=True, className="batch-service",
                options=[{"label": "IRSA TAP uploads", "value": "tap"},
                         {"label": "IRSA's Parquet catalogs (this server's Dask cluster)", "value": "parquet"}])),
            dcc.Checklist(id="batch-flare", value=[], className="batch-service", options=[
                {"label": "search each target for an infrared flare (a list's z column gives the rest frame)",
                 "value": "on"}]),
            dcc.Checklist(id="batch-tags", value=[], className="batch-service", style={"display": "none"}, options=[
                {"label": "add the group's tags to the summary (the batch is then for members only)",
                 "value": "on"}]),
            html.Button("Run batch", id="batch-run", n_clicks=0, className="go"),
            html.Button("Cancel batch", id="batch-cancel", n_clicks=0, className="cancel", style={"display": "none"}),
        ]),
        html.Div(id="batch-message", className="notice", role="alert"),
        html.Div(id="batch-progress", className="progress", role="status"),
        html.Div(className="batch-controls", children=[
            html.A("Download table (summary.csv)", id="batch-summary", className="button disabled", download=""),
            html.A("Download batch bundle (.zip)", id="batch-download", className="button disabled", download=""),
        ]),
        dag.AgGrid(id="batch-table", rowData=[], columnDefs=columns(), className="ag-theme-alpine",
                   dashGridOptions={"pagination": True, "paginationPageSize": 50, **ONE_TAB_STOP},
                   style={"height": "560px"}),
        dcc.Interval(id="batch-poll", interval=1000, disabled=True), dcc.Store(id="batch-shown"),
    ])


def service_choice_style(settings: Settings) -> dict[str, str]:
    """The choice of service is shown only where a Dask cluster is configured (``WISE_DASK_SCHEDULER``):
    a web worker never starts a LocalCluster."""
    return {"display": "inline-block"} if settings.dask_scheduler else {"display": "none"}


def batch_id(pathname: str | None) -> str:
    parts = (pathname or "").strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "batch" else ""


def view_link(row: dict[str, Any]) -> str:
    """A row's full view: its position and cone (numbers only, so the link is exact and safe)."""
    if row.get("ra") is None or row.get("radius_arcsec") is None or row.get("status") == "bad_input":
        return ""
    query = urlencode({"target": f"{row['ra']:.6f} {row['dec']:+.6f}", "r": f"{row['radius_arcsec']:g}"})
    return f"[open](/?{query})"


def downloads(ident: str, *, table: bool, bundle: bool, parquet: bool = False) -> dict[str, Any]:
    """The two download links: the table as soon as it stands, the bundle once it is made (the
    Parquet route makes no bundle: its visits.parquet instead). A link not yet ready has no
    address at all (``href="#"`` with ``download`` saved the page itself as a file), so it offers
    nothing: not clickable, not a tab stop."""
    second = f"/batch/{ident}/visits.parquet" if parquet else f"/batch/{ident}/bundle.zip"
    return {"summary_href": f"/batch/{ident}/summary.csv" if table else None,
            "summary_cls": "button" if table else "button disabled",
            "href": second if bundle else None, "cls": "button" if bundle else "button disabled",
            "label": "Download visits (visits.parquet)" if parquet else "Download batch bundle (.zip)"}


def poll(settings: Settings, pathname: str | None, shown: str | None = None) -> dict[str, Any]:
    """The batch page from the batch's state. ``shown`` says which table the page already holds
    (id and status): the rows, up to thousands, are sent once, not at every poll."""
    ident = batch_id(pathname)
    if not ident:
        return {"progress": "", "rows": [], "poll": True, "cancel": {"display": "none"}, "message": no_update,
                "shown": None, "columns": no_update, **downloads(ident, table=False, bundle=False)}
    state = Batches(settings).get(ident)
    if state is not None and state.tags and not caller().member:  # the group's tags: its members only
        return {"progress": "", "rows": [], "poll": True, "shown": None, "columns": no_update,
                **downloads(ident, table=False, bundle=False), "cancel": {"display": "none"},
                "message": "This batch carries the group's tags: sign in as a member of the group to see it."}
    if state is None:
        return {"progress": "", "rows": [], "poll": True, "shown": None, "columns": no_update,
                **downloads(ident, table=False, bundle=False),
                "cancel": {"display": "none"}, "message": "This batch is not known here (or the cache no longer "
                                                          "keeps it); run the list again."}
    lines = [f"{k}: {v}" for k, v in state.progress.items()]
    head = {"running": "Running…", "done": "Done.", "cancelled": "Cancelled.", "lost": state.message,
            "failed": state.message}[state.status]
    if state.message and state.status in ("done", "cancelled"):
        head += " " + state.message
    head += {"preparing": " Preparing the bundle (each target's full view)…",
             "failed": " The bundle could not be made (the server logged why, or restarted); the table stands. "
                       "Run the list again for the bundle: its chunks come from the cache."}.get(state.bundle, "")
    busy = state.status == "running" or state.bundle == "preparing"  # polled until the bundle is there
    finished = state.status in ("done", "cancelled")
    ready = finished and state.bundle in ("ready", "", "none")
    bad = [f"line {b['line']}: {b['reason']}" for b in state.bad]
    table_key = f"{ident}:{state.status}"
    rows = no_update if shown == table_key else [r | {"view": view_link(r)} for r in state.rows]
    ids = any(str(r.get("id")) != str(r.get("line")) for r in state.rows)
    return {"progress": [html.Div(head), *[html.Div(line) for line in lines]], "rows": rows, "shown": table_key,
            "columns": no_update if shown == table_key else columns(with_id=ids, flare=state.flare, tags=state.tags),
            **downloads(ident, table=finished and bool(state.rows), bundle=ready, parquet=state.service == "parquet"),
            "poll": not busy,
            "cancel": {"display": "inline-block"} if state.status == "running" else {"display": "none"},
            "message": [html.Div(b) for b in bad[:50]] + ([html.Div(f"… and {len(bad) - 50} more bad lines")]
                                                          if len(bad) > 50 else [])}


def start(batches: Batches, text: str | None, contents: str | None, radius: str | None,
          client: str, service: str | None = "tap", *, flare: bool = False, tags: bool = False) -> tuple[Any, Any]:
    """Run the typed or dropped list: the batch's address to go to, or why not (and no move)."""
    if tags and not caller().member:
        return no_update, "The group's tags are for its signed-in members."
    if contents:
        try:
            text = base64.b64decode(contents.split(",", 1)[1]).decode("utf-8", "replace")
        except (ValueError, IndexError):
            return no_update, "The file could not be read; give a UTF-8 text, CSV or ECSV file."
    try:
        ident = batches.start(text or "", radius, client, service or "tap", flare=flare, tags=tags)
    except BatchAlreadyRunning as exc:  # the running batch, one click away
        return no_update, ["You already have a batch running: ",
                           html.A("open it", href=f"/batch/{exc.running}"), "; wait for it or cancel it there."]
    except BatchRefused as exc:
        return no_update, str(exc)
    return f"/batch/{ident}", ""


def register(app: dash.Dash, settings: Settings) -> None:
    batches = Batches(settings)

    # On /batch the single-target parts (welcome, panels, footer) are hidden by the page's class
    # (assets/style.css), so no callback that writes them has to know about the batch page.
    # The batch section is mounted on /batch only (ui/layout.py: its grid code is not loaded elsewhere).
    @app.callback(Output("batch-section", "style"), Output("page", "className"), Output("batch-tabs", "value"),
                  Output("batch-service-box", "style"), Input("url", "pathname"))
    def show(pathname: str | None) -> tuple[dict, str, str, dict]:
        on = (pathname or "").startswith("/batch")
        return ({"display": "block"} if on else {"display": "none"}), ("page batch-mode" if on else "page"), (
            "on" if on else "off"), service_choice_style(settings)

    @app.callback(Output("url", "pathname"), Output("batch-message", "children", allow_duplicate=True),
                  Input("batch-run", "n_clicks"), State("batch-text", "value"), State("batch-file", "contents"),
                  State("batch-radius", "value"), State("batch-service", "value"), State("batch-flare", "value"),
                  State("batch-tags", "value"), prevent_initial_call=True)
    def run(_: int, text: str | None, contents: str | None, radius: str | None, service: str | None,
            flare: list[str] | None, tags: list[str] | None) -> tuple[Any, Any]:
        return start(batches, text, contents, radius, client_address(), service, flare=bool(flare), tags=bool(tags))

    @app.callback(Output("batch-tags", "style"), Output("batch-text", "value"), Input("url", "search"))
    def group_list(search: str | None) -> tuple[dict, Any]:
        """For a member: the tags choice, and ``?list=NAME`` (a group list) as the batch's lines."""
        if settings.auth == "none" or not caller().member:
            return {"display": "none"}, no_update
        name = parse_qs((search or "").lstrip("?")).get("list", [""])[0]
        items = group(settings).lists.items(name) if name else []
        return {}, (batch_text(items) if items else no_update)

    @app.callback(
        output={"progress": Output("batch-progress", "children"), "rows": Output("batch-table", "rowData"),
                "href": Output("batch-download", "href"), "cls": Output("batch-download", "className"),
                "label": Output("batch-download", "children"),
                "summary_href": Output("batch-summary", "href"), "summary_cls": Output("batch-summary", "className"),
                "poll": Output("batch-poll", "disabled"), "cancel": Output("batch-cancel", "style"),
                "message": Output("batch-message", "children"), "shown": Output("batch-shown", "data"),
                "columns": Output("batch-table", "columnDefs")},
        inputs={"pathname": Input("url", "pathname"), "_": Input("batch-poll", "n_intervals")},
        state={"shown": State("batch-shown", "data")}, prevent_initial_call=False)
    def on_poll(pathname: str | None, _: int | None, shown: str | None) -> dict[str, Any]:
        return poll(settings, pathname, shown)

    @app.callback(Output("batch-progress", "children", allow_duplicate=True), Input("batch-cancel", "n_clicks"),
                  State("url", "pathname"), prevent_initial_call=True)
    def cancel(_: int, pathname: str | None) -> Any:
        batches.cancel(batch_id(pathname))
        return "Cancelling… (the running IRSA jobs are deleted)"

