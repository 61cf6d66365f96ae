"""View models: what each panel shows, from the service layer's objects (no callbacks here).

Each function turns a ``View`` (or ``Observations``) into plain rows and text for one panel;
failures are read by their type, never by their message text."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.core.errors import NotCovered, NotRecordedOffline, WiseError
from dashboard.core.flags import decode
from dashboard.core.model import Observations
from dashboard.core.releases import year_span
from dashboard.core.tables import ADDED, EPOCH_TABLES, PSD, PSR, RECORDED_VARIANTS, sources_title, spec
from dashboard.science.analysis import View
from dashboard.science.apertures import summary
from dashboard.science.colours import CLASS_COLUMN, CRITERIA, class_label
from dashboard.science.photometry import is_upper_limit
from dashboard.science.saturation import SATURATED_FRACTION, is_saturated, saturation_reason

STATUS_CLASS = {"live": "ok", "hit": "ok", "stale": "warn", "offline": "offline"}


def status_lines(observations: Observations) -> list:
    """The status bar: one line per table, then each warning once."""
    items, notes = [], []
    for result in observations.results.values():
        p = result.provenance
        items.append(html.Li(p.describe(), className=f"status-{STATUS_CLASS[p.source]}"))
        notes += [w for w in p.warnings + p.serving_notes if w not in notes]  # once, however many tables share it
    missing = []
    for table, error in observations.failures.items():
        if isinstance(error, NotRecordedOffline):  # "IRSA is unreachable" once, then what is missing
            notes += [n for n in [error.unreachable.offline_note()] if n not in notes]
            missing.append(html.Li(f"{table}: {error.missing}", className="status-missing"))
        else:
            cls = "status-missing" if isinstance(error, NotCovered) else "status-error"
            missing.append(html.Li(f"{table}: {error}", className=cls))
    return [html.Ul([*items, *[html.Li(w, className="status-warn") for w in notes], *missing])]


def catalog_failure(observations: Observations) -> WiseError | None:
    return observations.failures.get(PSD.name)


def not_in_offline_archive(error: WiseError) -> bool:
    """The table was not asked of IRSA: it is simply not among the offline archive's recordings."""
    return isinstance(error, NotCovered | NotRecordedOffline)


def catalog_unavailable(error: WiseError) -> str:
    """What the SED and source panels say when there is no catalog answer."""
    if not_in_offline_archive(error):
        return "No AllWISE catalog row of this target is in the offline archive."
    return f"AllWISE catalog unavailable: {error}"


def epoch_failures(observations: Observations) -> dict[str, WiseError]:
    return {t: e for t, e in observations.failures.items() if spec(t).epochs}


SOURCES_TITLE = sources_title(PSD.name)


LIGHTCURVE_TITLE = "W1/W2 light curve"


def lightcurve_title(view: View) -> str:
    """The light curve's title with the years each survey's epochs span in this view, e.g.
    "W1/W2 light curve (AllWISE 2010–2011, NEOWISE-R 2014–2022)": from the rows, not the mission."""
    ranges = view.lightcurve.table_spans() if not view.lightcurve.epochs.empty else {}
    spans = []
    for t in EPOCH_TABLES:  # epochs carry the table they came from (a recorded variant's own name)
        names = [n for n in ranges if RECORDED_VARIANTS.get(n, n) == t.name]
        if names and (years := year_span([mjd for n in names for mjd in ranges[n]])):
            spans.append(f"{t.survey} {years}")
    return f"{LIGHTCURVE_TITLE} ({', '.join(spans)})" if spans else LIGHTCURVE_TITLE


def saturation_notice(view: View) -> str:
    """Said when every measured epoch of a band is saturated (a bright star): the light curve is
    then empty or all rejected, and the page says why instead of showing nothing."""
    epochs = view.lightcurve.epochs
    if epochs.empty:
        return ""
    measured = epochs["measured"].to_numpy(bool)
    code, names = view.lightcurve.text_codes("band")  # codes, not text compared per epoch
    code, saturated = code[measured], epochs["saturated"].to_numpy(bool)[measured]
    bands = [b for k, b in enumerate(names) if (code == k).any() and saturated[code == k].all()]
    if not bands:
        return ""
    cut = view.params.epoch_cuts.saturated
    b = view.params.binning
    onsets = {"W1": b.saturation_w1, "W2": b.saturation_w2}
    return (f"Every {'/'.join(bands)} epoch is saturated (single exposures brighter than "
            + ", ".join(f"{band} {onsets[band]:g} mag" for band in bands if band in onsets)
            + f", or w?sat above {SATURATED_FRACTION:g}): profile-fit magnitudes of saturated pixels are biased"
            + ("; the 'not saturated' cut removed them all (untick it to see them)." if cut else "."))


def lightcurve_unavailable(observations: Observations) -> str:
    """Why there is no light curve, when every epoch table failed."""
    failures = epoch_failures(observations)
    if failures and all(not_in_offline_archive(e) for e in failures.values()):
        unreachable = any(isinstance(e, NotRecordedOffline) for e in failures.values())
        return ("No light curve is recorded in the offline archive for this target"
                + (" (IRSA is unreachable)." if unreachable else "."))
    return "Light curve unavailable: " + "; ".join(f"{t}: {e}" for t, e in failures.items())


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


def filters_note(view: View) -> str:
    """Above the cut table: the cuts that could not be applied because their column is missing or
    not recorded, said once in words (not only in a cell)."""
    said: dict[tuple[str, str], list[str]] = {}
    for f in view.filters:
        if f.status.startswith("not applicable"):
            said.setdefault((f.table, "the table has no such column"), []).append(f.criterion)
        elif f.status.startswith("not recorded"):
            said.setdefault((f.table, "no value recorded"), []).append(f.criterion)
    if not said:
        return ""
    return "Not applied: " + "; ".join(f"{table}: {', '.join(cuts)} ({why})"
                                       for (table, why), cuts in said.items()) + "."


def source_rows(view: View) -> list[dict]:
    """The source table's rows, with decoded flags for tooltips and the selected row marked."""
    import pandas as pd

    selected = view.selection.key if view.selection else None
    out = []
    for _, row in view.sources.iterrows():
        item: dict[str, object] = {"key": row["key"], "designation": row.get("designation") or "not recorded",
                                   "sep": round(float(row["separation_arcsec"]), 2), "selected": row["key"] == selected}
        letters = row.get("ph_qual")
        ph_qual = letters if isinstance(letters, str) and len(letters) == 4 else None
        for i, b in enumerate("1234"):
            for col in (f"w{b}mpro", f"w{b}sigmpro", f"w{b}snr"):
                v = row.get(col)
                item[col] = None if v is None or pd.isna(v) else round(float(v), 3)
            sat = row.get(f"w{b}sat")
            item[f"w{b}sat"] = None if sat is None or pd.isna(sat) else round(float(sat), 3)
            item[f"w{b}_saturated"] = is_saturated(f"W{b}", item[f"w{b}mpro"], item[f"w{b}sat"])  # type: ignore[arg-type]
            item[f"w{b}_limit"] = is_upper_limit(ph_qual[i] if ph_qual else None, item[f"w{b}mpro"],  # type: ignore[arg-type]
                                                 item[f"w{b}sigmpro"])  # type: ignore[arg-type]
        item["colour_class"] = row.get(CLASS_COLUMN) or "—"
        item["colour_class_tip"] = "; ".join(f"{c.label}: {row.get(c.column)}" for c in CRITERIA)
        for col in ("ph_qual", "cc_flags", "ext_flg"):
            v = row.get(col)
            missing = v is None or (not isinstance(v, str) and pd.isna(v))
            item[col] = "not recorded" if missing else (int(v) if col == "ext_flg" else v)  # type: ignore[arg-type]
            item[f"{col}_tip"] = decode(col, None if missing else v)
            item[f"{col}_tone"] = "" if missing else flag_tone(col, str(v))
        out.append(item)
    return out


#: Per flag column: letters that make a value 'bad', then letters that make it 'caution'
#: (AllWISE Explanatory Supplement II.1.a: ph_qual X/Z no usable measurement, U an upper limit;
#: cc_flags upper case spurious, lower case contaminated).
_TONE_LETTERS = {"ph_qual": ("XZ", "U"), "cc_flags": ("DPHO", "dpho")}


def flag_tone(column: str, value: str) -> str:
    """'bad', 'caution' or 'clean' for a ph_qual or cc_flags value (the cell colour); '' for others."""
    if column not in _TONE_LETTERS:
        return ""
    bad, caution = _TONE_LETTERS[column]
    if any(c in bad for c in value):
        return "bad"
    return "caution" if any(c in caution for c in value) else "clean"


def _meaning(column: str, letter: str, saturated: bool) -> str:
    """A flag letter in words; ph_qual U of a saturated band is the catalog's flag, not a limit."""
    if column == "ph_qual" and letter == "U" and saturated:
        return "the catalog's flag (SNR < 2 from a failed fit); for a saturated band not a limit"
    return decode(column, letter).split(": ", 1)[-1]


def source_detail(rows: list[dict]) -> list:
    """The selected source in words (readable on a phone, no hover): designation, separation,
    per band magnitude ± error, SNR and what its flags mean; then ext_flg."""
    row = next((r for r in rows if r.get("selected")), None)
    if row is None:
        return []
    ph, cc = row["ph_qual"], row["cc_flags"]
    bands = []
    for i, b in enumerate("1234"):
        mag, err, snr = row[f"w{b}mpro"], row[f"w{b}sigmpro"], row[f"w{b}snr"]
        saturated = bool(row.get(f"w{b}_saturated"))
        if mag is None:
            text = "no magnitude"
        elif saturated and len(ph) > i and ph[i] == "U":  # far above the onset: never "fainter than"
            text = (f"saturated: {mag:.3f} mag is the profile fit of saturated pixels, which the catalog flags U; "
                    f"the value is biased, not a limit")
        elif len(ph) > i and ph[i] == "U":  # a 95% upper limit on the flux: the source is fainter
            text = f"fainter than {mag:.3f} mag (95% upper limit)"
        else:
            text = f"{mag:.3f}" + ("" if err is None else f" ± {err:.3f}") + " mag"
        if snr is not None:
            text += f", SNR {snr:g}"
        if saturated:
            text += f", saturated ({saturation_reason(f'W{b}', mag, row.get(f'w{b}sat'))}; biased)"
        flags = [f"{col} {value[i]}: " + _meaning(col, value[i], saturated)
                 for col, value in (("ph_qual", ph), ("cc_flags", cc)) if value != "not recorded" and len(value) > i]
        bands.append(html.Li([html.B(f"W{b} "), text, *([html.Span(" · " + "; ".join(flags), className="muted")]
                                                       if flags else [])]))
    missing = [c for c in ("ph_qual", "cc_flags", "ext_flg") if row[c] == "not recorded"]
    notes = [html.Li(row["ext_flg_tip"] if row["ext_flg"] != "not recorded" else "", className="muted")]
    if missing:
        notes.append(html.Li(f"{', '.join(missing)} not recorded for this source in the data at hand",
                             className="muted"))
    name = row["designation"] if row["designation"] != "not recorded" else "AllWISE source (designation not recorded)"
    return [html.H3([name, html.Span(f" · {row['sep']:.2f}\" from the target", className="muted")]),
            html.Ul([*bands, *[n for n in notes if n.children]], className="detail-list")]


def colour_verdicts(view: View) -> list:
    """The selected source's answer to each colour criterion, with its reason and paper, as a
    list (the source table's hover holds every source's)."""
    if not view.colours or view.selection is None:
        return []
    by_column = {c.column: c for c in CRITERIA}
    items = [html.Li([html.Strong(f"{by_column[v.criterion].label}: {v.answer}"), f" — {v.reason}. ",
                      html.Span(by_column[v.criterion].reference, className="muted")]) for v in view.colours]
    label = class_label(view.colours)
    return [html.H3(f"{view.selection.label}: {'no AGN criterion met' if label == '—' else label}"),
            html.Ul(items, className="detail-list"),
            html.P("yes/no: every value the measurement allows decides alike; undetermined: a limit or a missing band "
                   "leaves it open; n/a: outside the criterion's range.", className="muted")]


def sed_shape_note(view: View) -> str:
    """Under the SED: its spectral index (Ks–W3 and Ks–W4, the bands used named) and blackbody fit."""
    if view.sed.empty:
        return ""
    return " · ".join(view.sed_shape().lines())


def photometry_note(view: View) -> str:
    """Under the SED: which photometry each band uses and why (``apertures.summary``), and, for a
    resolved source, what that means for the light curve."""
    sed = view.sed
    if sed.empty or "phot" not in sed:
        return ""
    choices = [(r["band"], r["phot"], r["phot_reason"]) for r in sed.to_dict("records")
               if r["catalog"] not in ADDED_TABLE_NAMES and r["band"] in WISE_BANDS]
    deeper = "".join(f" · {m.catalog}: {m.note}" for m in view.deeper) + (f" · {view.gaia.note}" if view.gaia else "")
    asked_other = view.params.sed_options.phot in ("elliptical", "aperture")  # its fallback is said band by band
    saturated = [str(r["band"]) for r in sed.to_dict("records")
                 if r["catalog"] not in ADDED_TABLE_NAMES and r.get("saturated")]
    said = (f" · saturated in {', '.join(saturated)}: the profile fit of saturated pixels is biased (drawn as ◇, "
            "never as a limit)") if saturated else ""
    if all(kind == "profile" for _, kind, _ in choices) and not view.resolved and not asked_other:
        every = "in every band" if not saturated else "in every band, saturated or not"
        return f"Photometry: profile fit (w?mpro) {every}." + said + deeper
    return "Photometry: " + summary(choices) + said + deeper


ADDED_TABLE_NAMES = {t.name for t in ADDED.values()}
WISE_BANDS = ("W1", "W2", "W3", "W4")


def reject_offer(view: View, add: tuple[str, ...], query_with_psr: str) -> Any:
    """Where the cone holds no catalog source, the AllWISE Reject Table is offered (a link that
    adds ``psr``); it is queried only when asked for."""
    if not view.sources.empty or "psr" in add or view.observations.failures.get(PSD.name) is not None:
        return None
    r = view.observations.cone.radius_arcsec
    return html.Span([f"No AllWISE catalog source within {r:g}″: ",
                      html.A("search the AllWISE Reject Table here", href=query_with_psr, id="reject-offer"),
                      " (sources the catalog left out; never used as the target's source)."])


def rejects_section(view: View) -> list:
    """The reject-table rows (``add=psr``) in their own list, marked as rejects."""
    failure = view.observations.failures.get(PSR.name)
    if failure is not None:
        return [html.H3("AllWISE Reject Table"), html.P(f"The reject table could not be fetched: {failure}",
                                                        className="panel-message")]
    if view.rejects is None:
        return []
    head = html.H3(f"AllWISE Reject Table rows in the cone: {len(view.rejects)} (rejects: not catalog sources, "
                   "never selected, not in the SED)")
    if view.rejects.empty:
        return [head]
    columns = ["designation", "separation_arcsec", "w1mpro", "w2mpro", "ph_qual", "cc_flags", "ext_flg"]
    rows = view.rejects.head(50)
    cells = [[html.Td("reject " + str(r.get("designation") or "")), *[
        html.Td(f"{r[c]:.3f}" if isinstance(r.get(c), float) and r[c] == r[c] else str(r.get(c) or "—"))
        for c in columns[1:]]] for r in rows.to_dict("records")]
    return [head, html.Table([html.Thead(html.Tr([html.Th(c) for c in columns])),
                              html.Tbody([html.Tr(c) for c in cells])], className="rejects-table")]
