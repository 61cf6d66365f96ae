"""A visit's frames in the bundle (URL ``frames=1`` with ``visit``): ``frames.csv`` (every frame of
the chosen visit and the reference, with its URL and whether its cutout was fetched or why not),
the co-adds as FITS (the grid's WCS and a header naming the frames), the difference of ``visit``
and ``ref``, and the manifest entry (frames, co-add method, software). Without ``frames=1`` the
bundle is exactly as before."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from dashboard.sky.evidence import SIZE_PIX, VisitEvidence
from dashboard.sky.frames import COLLECTION, SERVICE
from dashboard.sky.visit_image import METHOD, to_fits


def files(evidence: VisitEvidence) -> dict[str, bytes]:
    """frames.csv and the co-added FITS images; nothing when the image archive failed (no frame of
    the visit is known: FAILURES.txt says why)."""
    if evidence.failure is not None:
        return {}
    out = {"frames.csv": evidence.frames_table().to_csv(index=False, float_format="%.8f",
                                                        lineterminator="\n").encode()}
    for (visit, band), image in sorted(evidence.images.items()):
        out[f"frames/visit_{visit}_w{band}.fits"] = to_fits(image, visit=visit)
    if evidence.ref is not None:
        for band in (1, 2):
            diff = evidence.difference(band)
            chosen = evidence.images.get((evidence.visit, band))
            if diff is not None and chosen is not None:
                out[f"frames/difference_{evidence.visit}_minus_{evidence.ref}_w{band}.fits"] = to_fits(
                    chosen, visit=evidence.visit, data=diff, note=f"visit {evidence.visit} minus visit {evidence.ref}")
    return out


def manifest_entry(evidence: VisitEvidence) -> dict[str, Any]:
    try:
        reproject = metadata.version("reproject")
    except metadata.PackageNotFoundError:
        reproject = "not installed"
    table = evidence.frames_table()
    return {
        "service": SERVICE, "collection": COLLECTION, "visit": evidence.visit, "ref": evidence.ref,
        "windows_mjd": {str(v): evidence.windows[v] for v in sorted(evidence.frames)},
        "searches": {str(v): found.search for v, found in sorted(evidence.frames.items())},
        "failure": None if evidence.failure is None else {"kind": evidence.failure.kind,
                                                          "message": evidence.failure.data_message},
        "frames": {"file": None if evidence.failure is not None else "frames.csv", "count": len(table),
                   "fetched": int((table["status"] == "fetched").sum()) if len(table) else 0},
        "cutout_size_pix": SIZE_PIX, "coadd_method": METHOD,
        "software": {"reproject": reproject, "astropy": metadata.version("astropy")},
        "note": "frames are found by position and time (IBE metadata search), not from the detections",
    }
