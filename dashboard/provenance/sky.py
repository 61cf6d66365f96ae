"""The sky context in the provenance bundle: the cutout as received, the identification tables,
and the manifest entry that says where each came from (or why it is missing)."""

from __future__ import annotations

from typing import Any

from dashboard.provenance.citations import SKY_CITATIONS
from dashboard.sky.blending import RELATION, blending
from dashboard.sky.context import SERVICES, SkyContext
from dashboard.sky.identify import gaia_table, simbad_table


def files(context: SkyContext) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    image = context.replies.get("image")
    if image is not None:
        out[f"image/cutout_{context.band.lower()}.fits"] = image.raw
    cone = context.cone
    for key, table in (("simbad", simbad_table), ("gaia", gaia_table)):
        rows = context.rows(key)
        if rows is not None:
            out[f"identification/{key}.csv"] = table(rows, cone.ra, cone.dec).to_csv(
                index=False, float_format="%.10g", lineterminator="\n").encode()
    return out


def used(context: SkyContext) -> list[str]:
    """The services whose answer is in the bundle (so cited)."""
    return [key for key in SKY_CITATIONS if key in context.replies]


def manifest_entry(context: SkyContext, view: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"cone": {"ra": context.cone.ra, "dec": context.cone.dec,
                                      "radius_arcsec": context.cone.radius_arcsec}, "band": context.band}
    for key, name in SERVICES.items():
        reply = context.replies.get(key)
        if reply is None:
            failure = context.failures.get(key)
            entry[key] = {"service": name, "failed": {"kind": failure.kind, "message": failure.data_message}
                          if failure else None}
            continue
        part = {"service": name, "service_url": reply.service_url, "retrieved_utc": reply.retrieved_utc,
                "from_cache": key in context.from_cache}
        if key == "image":
            part |= {"sia_query": context.image_query, "cutout_url": reply.request,
                     "file": f"image/cutout_{context.band.lower()}.fits", "collection": "wise_allwise"}
        else:
            part |= {"adql": reply.request, "rows": len(reply.rows), "file": f"identification/{key}.csv"}
        entry[key] = part
    if view is not None and view.selection is not None:
        report = blending(view.sources, view.selection.key, context.rows("gaia"))
        entry["blending"] = {"beam_arcsec": report.beam_arcsec, "summary": report.summary(),
                             "neighbours": [n.__dict__ for n in report.neighbours], "relation": RELATION}
    entry["citations"] = [SKY_CITATIONS[key][1] for key in used(context)]
    return entry


def bibtex(context: SkyContext) -> str:
    return "".join(SKY_CITATIONS[key][2] for key in used(context))
