"""The sky-context panel's contents, from a ``SkyContext`` and the view: the image with every
source on it, SIMBAD and Gaia tables, each service's own message, blending and link-outs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from dash import html

from ..sky.blending import blending
from ..sky.context import SERVICES, SkyContext
from ..sky.identify import gaia_table, simbad_table
from ..sky.linkouts import linkouts
from ..wise.analysis import View
from ..wise.errors import WiseError
from . import figures


def empty(message: str) -> dict[str, Any]:
    """Every part of the panel in one state (fetching, offline, no view)."""
    return {"figure": figures.message_figure(message), "simbad": [], "gaia": [], "messages": message,
            "blending": "", "links": []}


#: Rows shown per table (nearest first); the bundle holds them all.
ROWS_SHOWN = 50


def _records(frame: pd.DataFrame, digits: int = 3) -> list[dict]:
    out = frame.head(ROWS_SHOWN).copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
            for row in out.astype(object).to_dict("records")]


def contents(context: SkyContext, view: View | None) -> dict[str, Any]:
    cone = context.cone
    messages = [str(context.failures[key]) for key in SERVICES if key in context.failures]
    for key, name in (("simbad", "SIMBAD"), ("gaia", "Gaia DR3")):
        rows = context.rows(key)
        if rows is not None and len(rows) > ROWS_SHOWN:
            messages.append(f"{name}: the nearest {ROWS_SHOWN} of {len(rows)} are listed; the bundle has all.")
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
            for name, part in (("AllWISE", src[~mine]), ("selected", src[mine])):
                layers[name] = (part["ra"].to_numpy(float), part["dec"].to_numpy(float),
                                [f"WISEA {k}" for k in part["key"]])
        if gaia is not None and not gaia.empty:
            layers["Gaia DR3"] = (gaia["ra"].to_numpy(float), gaia["dec"].to_numpy(float),
                                  [f"Gaia DR3 {s} G={g:.2f}" if pd.notna(g) else f"Gaia DR3 {s}"
                                   for s, g in zip(gaia["source_id"], gaia["phot_g_mean_mag"], strict=True)])
        if simbad is not None and not simbad.empty:
            layers["SIMBAD"] = (simbad["ra"].to_numpy(float), simbad["dec"].to_numpy(float),
                                [f"{m} ({o})" for m, o in zip(simbad["main_id"], simbad["otype"], strict=True)])
        if view is not None:
            layers["target"] = (np.array([view.target.ra]), np.array([view.target.dec]), [view.target.label()])
        figure = figures.sky_figure(cutout, context.band, cone.ra, cone.dec, cone.radius_arcsec, layers)
    else:
        figure = figures.message_figure(str(context.failures.get("image", "No image.")))
    blend = ""
    if view is not None and view.selection is not None:
        blend = blending(view.sources, view.selection.key, gaia).summary()
    if view is not None and view.motion is not None:
        blend += " " + view.motion.note()
    return {
        "figure": figure,
        "simbad": _records(simbad_table(simbad, cone.ra, cone.dec)) if simbad is not None else [],
        "gaia": _records(gaia_table(gaia, cone.ra, cone.dec)) if gaia is not None else [],
        "messages": " · ".join(messages),
        "blending": blend,
        "links": [html.A(label, href=url, target="_blank", rel="noopener noreferrer", className="linkout")
                  for label, url in linkouts(cone)],
    }
