"""View models: what each panel shows, from the service layer's objects (no callbacks here).

Each function turns a ``View`` (or ``Observations``) into plain rows and text for one panel;
failures are read by their type, never by their message text."""

from __future__ import annotations

from dash import html

from ..wise.analysis import View
from ..wise.errors import NotCovered, WiseError
from ..wise.model import Observations
from ..wise.tables import PSD, TABLES
from ..wise.variability import BandStats

STATUS_CLASS = {"live": "ok", "hit": "ok", "stale": "warn", "offline": "offline"}


def status_lines(observations: Observations) -> list:
    """The status bar: one line per table, then each warning once."""
    items, notes = [], []
    for result in observations.results.values():
        p = result.provenance
        items.append(html.Li(p.describe(), className=f"status-{STATUS_CLASS[p.source]}"))
        notes += [w for w in p.warnings + p.serving_notes if w not in notes]  # once, however many tables share it
    items += [html.Li(w, className="status-warn") for w in notes]
    for table, error in observations.failures.items():
        cls = "status-missing" if isinstance(error, NotCovered) else "status-error"
        items.append(html.Li(f"{table}: {error}", className=cls))
    return [html.Ul(items)]


def catalog_failure(observations: Observations) -> WiseError | None:
    return observations.failures.get(PSD.name)


def epoch_failures(observations: Observations) -> dict[str, WiseError]:
    return {t: e for t, e in observations.failures.items() if TABLES[t].epochs}


def lightcurve_unavailable(observations: Observations) -> str:
    """Why there is no light curve, when every epoch table failed."""
    failures = epoch_failures(observations)
    if failures and all(isinstance(e, NotCovered) for e in failures.values()):
        return "No light curve is recorded in the offline archive for this target."
    return "Light curve unavailable: " + "; ".join(f"{t}: {e}" for t, e in failures.items())


def stats_text(stats: dict[str, BandStats]) -> str:
    parts = []
    for band, s in stats.items():
        text = f"{band}: {s.n_visits} visits"
        if s.amplitude_mag is not None:
            text += f", amplitude {s.amplitude_mag:.2f} mag"
        if s.chi2_red is not None:
            text += f", χ²_red {s.chi2_red:.1f}"
        if s.p_constant is not None:
            text += f", p(constant) {s.p_constant:.2g}"
        if s.fvar is not None and s.fvar_err is not None:
            text += f", F_var {s.fvar:.3f} ± {s.fvar_err:.3f}"
        parts.append(text)
    return " · ".join(parts)


def selection_text(view: View) -> str:
    sel = view.selection
    return f"selected: {sel.label}, {sel.separation_arcsec:.2f}\" ({sel.method})" if sel else ""


def filter_rows(view: View) -> list[dict]:
    """The per-criterion report as table rows for the page."""
    rows = [{"table": f.table, "criterion": f.criterion, "removed": "server-side" if f.removed is None else f.removed,
             "not recorded": f.not_recorded, "status": f.status} for f in view.filters]
    for table, counts in view.match_counts.items():
        for name, n in counts.items():
            if n:
                rows.append({"table": table, "criterion": name.replace("_", " "), "removed": n,
                             "not recorded": 0, "status": "not this source's epochs"})
    return rows


def source_rows(view: View) -> list[dict]:
    """The source table's rows, with decoded flags for tooltips and the selected row marked."""
    import pandas as pd

    from ..wise.flags import decode

    selected = view.selection.key if view.selection else None
    out = []
    for _, row in view.sources.iterrows():
        item: dict[str, object] = {"key": row["key"], "designation": row.get("designation") or "not recorded",
                                   "sep": round(float(row["separation_arcsec"]), 2), "selected": row["key"] == selected}
        for b in "1234":
            for col in (f"w{b}mpro", f"w{b}sigmpro", f"w{b}snr"):
                v = row.get(col)
                item[col] = None if v is None or pd.isna(v) else round(float(v), 3)
        for col in ("ph_qual", "cc_flags", "ext_flg"):
            v = row.get(col)
            missing = v is None or (not isinstance(v, str) and pd.isna(v))
            item[col] = "not recorded" if missing else (int(v) if col == "ext_flg" else v)  # type: ignore[arg-type]
            item[f"{col}_tip"] = decode(col, None if missing else v)
        out.append(item)
    return out
