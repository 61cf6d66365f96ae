"""The SED figure: flux density (or nu F_nu) against wavelength, upper limits as limits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dashboard.science.analysis import View
from dashboard.science.gaia_photometry import CATALOG as GAIA
from dashboard.science.gaia_photometry import TITLE as GAIA_TITLE
from dashboard.science.near_infrared import CATALOG as TWO_MASS
from dashboard.science.near_infrared import TITLE as TWO_MASS_TITLE
from dashboard.science.photometry import nu_fnu
from dashboard.science.saturation import SATURATION_NOTE, saturation_rule
from dashboard.ui.figures.style import (
    AXIS,
    BAND_COLOURS,
    REJECTED,
    Figure,
    base_layout,
    escape,
    log_ticks,
    message_figure,
)

#: The longest name the SED title carries on one line with "SED of " (a 390-px phone).
TITLE_CHARS = 26
#: The deeper catalogs' W1/W2 points (``science/deeper.py``), each with its own marker.
ADDED_MARKERS = {"catwise_2020": ("CatWISE2020 (W1, W2)", "star"), "unwise_2019": ("unWISE (W1, W2)", "pentagon"),
                 TWO_MASS: ("2MASS J, H, Ks (AllWISE's association)", "diamond"),
                 GAIA: ("Gaia DR3 G, BP, RP (best neighbour)", "square")}
#: Each other survey's name in the hover text.
TITLES = {TWO_MASS: TWO_MASS_TITLE, GAIA: GAIA_TITLE}
PHOT_LABELS = {"profile": "profile fit (w?mpro)", "elliptical": "elliptical aperture (w?gmag)",
               "aperture": "standard aperture (w?mag)", "2mass": "default magnitude (j/h/k_m_2mass)",
               "gaia": "mean flux (phot_*_mean_flux), AB zero point"}


def _column(sed: pd.DataFrame, name: str, default: object) -> pd.Series:
    """A column of the SED table, or its default where an older table lacks it (a replayed bundle)."""
    return sed[name] if name in sed else pd.Series(default, index=sed.index)


def _blackbody_trace(view: View, nufnu: bool) -> list[dict[str, Any]]:
    """The blackbody fitted to the SED (``sed_fit.py``), a dashed curve, when there is one."""
    fit = view.sed_shape().blackbody
    if isinstance(fit, str):
        return []
    low, high = _x_range(view.sed)
    lam = np.geomspace(low, high, 80)
    flux = fit.model_jy(lam)
    y = nu_fnu(flux, 1.0) / lam if nufnu else flux  # nu F_nu at each wavelength
    return [dict(type="scatter", mode="lines", x=lam.round(4).tolist(), y=[float(f"{v:.6g}") for v in y],
                 name=f"blackbody {fit.temperature_k:.0f} K (χ² {fit.chi2:.1f})", hoverinfo="name",
                 line=dict(color="#6b7280", dash="dash", width=1.5))]


def _y_axis(sed: pd.DataFrame, ycol: str, ecol: str, nufnu: bool) -> dict[str, Any]:
    """A log axis over the measured values and their error bars, with readable ticks."""
    unit = "erg s<sup>−1</sup> cm<sup>−2</sup>" if nufnu else "Jy"
    shown = sed.loc[sed["measured"], ycol].to_numpy(float)
    errors = np.nan_to_num(sed.loc[sed["measured"], ecol].to_numpy(float))
    positive = np.concatenate([shown, shown + errors, shown - errors])
    positive = positive[np.isfinite(positive) & (positive > 0)]
    yaxis: dict[str, Any] = dict(AXIS, type="log", title=dict(text=f"{'ν F<sub>ν</sub>' if nufnu else 'F<sub>ν</sub>'}"
                                                                  f" ({unit})"))
    if len(positive):
        low, high = float(positive.min()) / 1.6, float(positive.max()) * 1.6
        values, labels = log_ticks(low, high)
        yaxis |= dict(range=[math.log10(low), math.log10(high)], tickvals=values, ticktext=labels)
    return yaxis


def _flags(r: dict[Any, Any]) -> str:
    """ph_qual and cc_flags, "not recorded" said once when neither is."""
    ph, cc = str(r["ph_qual"]), str(r["cc_flag"])
    if ph == cc == "n/a":  # another survey's point (2MASS, CatWISE, unWISE): no WISE flags
        return ""
    if ph == cc == "not recorded":
        return "ph_qual and cc_flags not recorded"
    return f"ph_qual {ph}, cc_flags {cc}"


def _note(r: dict[Any, Any]) -> str:
    """The band's note without what the flags line already says."""
    parts = [p for p in str(r["note"] or "").split("; ") if p]
    if str(r["ph_qual"]) == "not recorded":
        parts = [p for p in parts if p != "ph_qual not recorded"]
    return "; ".join(parts)


def _x_range(sed: pd.DataFrame) -> tuple[float, float]:
    """The wavelengths drawn (µm): 2.7–27 for WISE alone, from 1.1 with 2MASS, from 0.45 with Gaia."""
    drawn = set(_column(sed, "catalog", "")[sed["measured"]]) if not sed.empty else set()
    return (0.45 if GAIA in drawn else 1.1 if TWO_MASS in drawn else 2.7), 27.0


def _x_axis(sed: pd.DataFrame) -> dict[str, Any]:
    """Log wavelength over ``_x_range``, with fewer ticks when it is wider (level on a phone)."""
    low, high = _x_range(sed)
    ticks = {0.45: [0.5, 1, 2, 5, 10, 20], 1.1: [1.2, 2.2, 3, 5, 10, 20]}.get(low, [3, 4, 5, 7, 10, 15, 20, 25])
    return dict(AXIS, type="log", title=dict(text="wavelength (µm)"), tickvals=ticks,
                range=[math.log10(low), math.log10(high)])


def _hover(r: dict[Any, Any], nufnu: bool = False) -> str:
    """A point's hover text: band, magnitude, flux density (and νFν on that axis), photometry,
    flags, reasons, notes."""
    return (f"{r['band']} {float(r['wavelength_um']):.2f} µm<br>mag {float(r['mag']):.3f}"
            + (f" ± {float(r['mag_err']):.3f}" if np.isfinite(r["mag_err"]) else "")
            + f"<br>F<sub>ν</sub> {float(r['flux_jy']):.4g} Jy"
            + (f" ± {float(r['flux_err_jy']):.2g}" if np.isfinite(r["flux_err_jy"]) else "")
            + (f"<br>ν F<sub>ν</sub> {float(r['nu_fnu']):.4g} erg s<sup>−1</sup> cm<sup>−2</sup>"
               if nufnu and "nu_fnu" in r and np.isfinite(r["nu_fnu"]) else "")
            + (" (95% upper limit)" if r["upper_limit"] and not r.get("saturated") else "")
            + (" (flagged U by the catalog: a saturated fit, not a limit)" if r["upper_limit"] and r.get("saturated")
               else "")
            + f"<br>{escape(TITLES.get(str(r.get('catalog')), str(r.get('catalog', ''))))}: "
            + PHOT_LABELS.get(str(r.get("phot", "profile")), "profile fit")
            + (f"<br>{_flags(r)}" if _flags(r) else "")
            + (f"<br>{escape(str(r['reasons']))}" if r["reasons"] else "")
            + (f"<br>{escape(_note(r))}" if _note(r) else "")
            + (f"<br>saturated ({saturation_rule(str(r['band']))}): {SATURATION_NOTE}" if r.get("saturated") else ""))


def sed_figure(view: View, axis: str = "fnu") -> Figure:
    sed = view.sed
    if sed.empty or not sed["measured"].any():
        return message_figure("No AllWISE catalog photometry for this cone")
    nufnu = axis == "nufnu"
    ycol, ecol = ("nu_fnu", "nu_fnu_err") if nufnu else ("flux_jy", "flux_err_jy")
    data = []
    saturated = _column(sed, "saturated", False)
    phot = _column(sed, "phot", "profile")
    lower = _column(sed, "lower_limit", False)
    catalog = _column(sed, "catalog", "")
    added = catalog.isin(list(ADDED_MARKERS))
    point = sed["measured"] & ~sed["upper_limit"] & sed["passed"] & ~added
    groups = [
        ("detection", point & ~saturated & (phot == "profile"), "circle", None),
        ("elliptical aperture (2MASS XSC)", point & (phot == "elliptical"), "square", None),
        ("standard aperture", point & (phot == "aperture") & ~lower, "hexagon", None),
        ("aperture: lower limit on total flux", point & (phot == "aperture") & lower, "triangle-up", None),
        # a saturated band is a biased fit, never a limit, even where the catalog flags it U
        ("saturated (biased)", sed["measured"] & sed["passed"] & ~added & saturated & ((phot == "profile")
                                                                                   | sed["upper_limit"]),
         "diamond-open", None),
        ("95% upper limit", sed["measured"] & sed["upper_limit"] & ~saturated & sed["passed"]
         & (~added | (catalog == TWO_MASS)),
         "triangle-down", None),
        ("rejected by cuts", sed["measured"] & ~sed["passed"] & ~added, "x", REJECTED),
        *[(name, sed["measured"] & ~sed["upper_limit"] & (sed["catalog"] == table), symbol, None)
          for table, (name, symbol) in ADDED_MARKERS.items() if added.any()],
    ]
    records = sed.to_dict("records")  # once: pandas' to_dict costs ~1 ms a call, whatever the rows
    for name, mask, symbol, colour in groups:  # a band without a measurement is never drawn
        part = sed[mask]
        if part.empty:
            continue
        hover = [_hover(records[i], nufnu) for i in np.flatnonzero(mask.to_numpy(bool))]
        data.append(dict(
            type="scatter", x=part["wavelength_um"].tolist(), y=part[ycol].tolist(), mode="markers", name=name,
            marker=dict(symbol=symbol, size=13 if symbol != "circle" else 10,
                        color=colour or [BAND_COLOURS[b] for b in part["band"]], line=dict(width=1, color="#333")),
            error_y=dict(type="data", array=part[ecol].fillna(0).tolist(),
                         visible=name not in ("95% upper limit", "rejected by cuts"),
                         color="#333"),
            hovertext=hover, hoverinfo="text",
        ))
    data += _blackbody_trace(view, nufnu)
    yaxis = _y_axis(sed, ycol, ecol, nufnu)
    label = escape(view.selection.label) if view.selection else ""
    # A phone's plot is ~330 px wide: ~34 characters at 14 px. A longer name goes on its own line
    # (plotly never wraps a title; it clips it).
    title = f"SED of {label}" if len(label) <= TITLE_CHARS else f"SED of<br>{label}"
    return {"data": data, "layout": base_layout(
        400, margin=dict(l=80, r=20, t=40 if "<br>" not in title else 58, b=78),
        title=dict(text=title, font=dict(size=14), x=0, xref="paper", xanchor="left"),  # left: clear of the toolbar
        xaxis=_x_axis(sed),
        yaxis=yaxis, legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0), showlegend=True)}
