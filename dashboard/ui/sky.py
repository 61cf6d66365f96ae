"""The sky-context panel's contents, from a ``SkyContext`` and the view: the image with every
source on it, SIMBAD and Gaia tables, each service's own message, blending and link-outs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from dash import html

from dashboard.core.errors import WiseError
from dashboard.core.geometry import ellipse_outline
from dashboard.core.tables import DESIGNATION_PREFIX, catalog_table
from dashboard.science.analysis import View
from dashboard.sky.blending import blending
from dashboard.sky.context import SkyContext
from dashboard.sky.identify import counterpart, gaia_table, simbad_table
from dashboard.sky.linkouts import linkouts
from dashboard.ui import figures


def empty(message: str) -> dict[str, Any]:
    """Every part of the panel in one state (fetching, offline, no view)."""
    return {"figure": figures.message_figure(""), "simbad": [], "gaia": [], "messages": message,
            "simbad_message": "", "gaia_message": "", "blending": "", "links": [], "body": "sky-body hidden"}


#: Rows shown per table (nearest first); the bundle holds them all.
ROWS_SHOWN = 50


def _records(frame: pd.DataFrame, digits: int = 3) -> list[dict]:
    out = frame.head(ROWS_SHOWN).copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
            for row in out.astype(object).to_dict("records")]


def _counterpart_text(gaia: pd.DataFrame | None, designation: str | None) -> str:
    """The Gaia counterpart the Gaia archive's AllWISE cross-match names, in words."""
    if gaia is None:
        return ""
    mate = counterpart(gaia, designation)
    if mate is None:
        why = "names no Gaia DR3 source for it" if designation else "cannot be read: the row has no designation"
        return f"Counterpart: the Gaia archive's AllWISE cross-match {why}. "
    def num(name: str, fmt: str) -> str:
        value = mate.get(name)
        return format(float(value), fmt) if value is not None and pd.notna(value) else "—"
    return (f"Counterpart (the Gaia archive's AllWISE cross-match): Gaia DR3 {mate['source_id']}, "
            f"G {num('phot_g_mean_mag', '.2f')}, BP−RP {num('bp_rp', '.2f')}, "
            f"parallax {num('parallax', '.2f')} mas, μα* {num('pmra', '.1f')}, μδ {num('pmdec', '.1f')} mas/yr, "
            f"RUWE {num('ruwe', '.2f')}. ")


def _aperture_outline(view: View | None, band: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The elliptical aperture an SED band used, in the image's band where it used one, else in
    the first band that did: "W1 elliptical aperture 38″ × 0.60"."""
    if view is None or view.selection is None or view.sed.empty or "phot" not in view.sed:
        return {}
    used = [b for b in view.sed.loc[view.sed["phot"] == "elliptical", "band"]]
    if not used:
        return {}
    shown = band if band in used else used[0]
    source = view.sources[view.sources["key"] == view.selection.key].iloc[0]
    b = shown.lower()
    a, ba, pa = (float(source[f"{b}{c}"]) for c in ("rsemi", "ba", "pa"))
    if not all(np.isfinite([a, ba, pa])):
        return {}
    name = f"{shown} elliptical aperture {a:.0f}″ × {ba:.2f}, PA {pa:.0f}°"
    return {name: ellipse_outline(view.selection.ra, view.selection.dec, a, ba, pa)}


SERVICES = ("image", "simbad", "gaia")


def none_answered(context: SkyContext) -> dict[str, Any]:
    """No service answered (offline, say): one message for the panel, no empty image or tables;
    the link-outs stay (the browser may reach what the server cannot)."""
    kinds = {context.failures[key].kind for key in SERVICES}
    said = ("This server runs offline (WISE_OFFLINE): IRSA's image service, SIMBAD and the Gaia archive are not "
            "asked, so there is no AllWISE image, SIMBAD object or Gaia DR3 source here."
            if kinds == {"offline"} else " · ".join(str(context.failures[key]) for key in SERVICES))
    links = [html.A(label, href=url, target="_blank", rel="noopener noreferrer", className="linkout")
             for label, url in linkouts(context.cone)]
    return empty("") | {"messages": [html.P(said), html.Div(links, className="linkouts")]}


def contents(context: SkyContext, view: View | None) -> dict[str, Any]:
    if all(key in context.failures for key in SERVICES):
        return none_answered(context)
    cone = context.cone
    messages = [str(context.failures["image"])] if "image" in context.failures else []
    told = {key: str(context.failures[key]) if key in context.failures else "" for key in ("simbad", "gaia")}
    for key in told:  # each service's message in its own place, above its table
        rows = context.rows(key)
        if rows is not None and len(rows) > ROWS_SHOWN:
            told[key] = f"The nearest {ROWS_SHOWN} of {len(rows)} are listed; the bundle has all."
    simbad = context.rows("simbad")
    gaia = context.rows("gaia")
    cutout = None
    try:
        cutout = context.cutout()
    except WiseError as exc:  # cached bytes that no longer read: said, never a traceback
        messages.append(str(exc))
    if cutout is not None:
        layers: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        selected = view.selection.key if view is not None and view.selection else None
        if view is not None and not view.sources.empty:
            src = view.sources
            mine = src["key"] == selected
            prefix = DESIGNATION_PREFIX.get(catalog_table(view.observations.results), "WISEA")
            for name, part in (("AllWISE", src[~mine]), ("selected", src[mine])):
                layers[name] = (part["ra"].to_numpy(float), part["dec"].to_numpy(float),
                                [f"{prefix} {k}" for k in part["key"]])
        if view is not None and view.rejects is not None and not view.rejects.empty:
            rejects = view.rejects
            layers["AllWISE reject"] = (rejects["ra"].to_numpy(float), rejects["dec"].to_numpy(float),
                                        [f"reject-table row {k} (not a catalog source)" for k in rejects["key"]])
        if gaia is not None and not gaia.empty:
            layers["Gaia DR3"] = (gaia["ra"].to_numpy(float), gaia["dec"].to_numpy(float),
                                  [f"Gaia DR3 {s} G={g:.2f}" if pd.notna(g) else f"Gaia DR3 {s}"
                                   for s, g in zip(gaia["source_id"], gaia["phot_g_mean_mag"], strict=True)])
        if simbad is not None and not simbad.empty:
            layers["SIMBAD"] = (simbad["ra"].to_numpy(float), simbad["dec"].to_numpy(float),
                                [f"{m} ({o})" for m, o in zip(simbad["main_id"], simbad["otype"], strict=True)])
        if view is not None:
            layers["target"] = (np.array([view.target.ra]), np.array([view.target.dec]), [view.target.label()])
        figure = figures.sky_figure(cutout, context.band, cone.ra, cone.dec, cone.radius_arcsec, layers,
                                    _aperture_outline(view, context.band))
    else:
        figure = figures.message_figure(messages[0] if messages else "No image.")
    blend = ""
    if view is not None and view.selection is not None:
        blend = _counterpart_text(gaia, view.selection.designation) + blending(view.sources, view.selection.key,
                                                                                gaia).summary()
    if view is not None and view.motion is not None:
        blend += " " + view.motion.note()
    return {
        "figure": figure,
        "simbad": _records(simbad_table(simbad, cone.ra, cone.dec)) if simbad is not None else [],
        "gaia": _records(gaia_table(gaia, cone.ra, cone.dec)) if gaia is not None else [],
        "messages": " · ".join(messages), "simbad_message": told["simbad"], "gaia_message": told["gaia"],
        "blending": blend,
        "links": [html.A(label, href=url, target="_blank", rel="noopener noreferrer", className="linkout")
                  for label, url in linkouts(cone)], "body": "sky-body",
    }
