"""The batch bundle: ``summary.csv``; ``targets/NNNN_<id>/`` with each target's single-target
files (raw VOTables of its rows, CSVs, a manifest whose queries point to the upload queries in
the top-level manifest); the top-level manifest (upload queries, chunks, everything the single
manifest records that is common); ``FAILURES.txt``; one ``reproduce.py`` that recomputes every
target offline; ``CITATION.bib``."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict

import pandas as pd

from .. import __version__
from ..config import Settings
from ..wise.citations import ACKNOWLEDGEMENTS, BIBTEX, CITATIONS
from ..wise.provenance import _raw_votables, _versions, data_files, manifest, safe_name
from .run import BatchRun
from .summary import summary_csv
from .targets import BadLine

REPRODUCE = """\"\"\"Recompute every target's CSVs of this batch offline from its raw/*.vot and manifest.json.

Needs the package that made it: pip install wise-explorer=={version}. Exits 0 when every file of
every target agrees, else names the targets and files that differ.
\"\"\"
import sys
from pathlib import Path

from dashboard.wise.reproduce import main

here = Path(__file__).resolve().parent
codes = [main(folder) for folder in sorted((here / "targets").iterdir()) if (folder / "manifest.json").exists()]
sys.exit(max(codes, default=0))
"""


def folder_name(index: int, ident: str) -> str:
    return f"targets/{index:04d}_{safe_name(ident)[:40]}"


def build_batch_bundle(run: BatchRun, bad: list[BadLine], table: pd.DataFrame, settings: Settings) -> bytes:
    files: dict[str, bytes] = {"summary.csv": summary_csv(table)}
    folders = {}
    for index, item in enumerate(run.targets, 1):
        shown = run.view(item.line)
        if shown is None:
            continue
        folder = folder_name(index, item.id)
        folders[item.line] = folder
        own = {**_raw_votables(shown.observations), **data_files(shown)}
        entry = manifest(shown, settings, own)
        entry["batch"] = {"line": item.line, "id": item.id, "queries": "../../manifest.json#/upload_queries",
                          "note": "this target's rows were split off the chunk's upload query by upload_id"}
        own["manifest.json"] = (json.dumps(entry, indent=1, sort_keys=True, default=str) + "\n").encode()
        files |= {f"{folder}/{name}": data for name, data in own.items()}
    failures = [f"line {b.line}: bad input: {b.reason}" for b in bad]
    failures += [f"chunk {c.index}: {t}: {state}" for c in run.chunks for t, state in c.tables.items()
                 if state.startswith("failed")]
    failures += [f"line {line}: {t}: {e}" for line, errors in run.failures.items() for t, e in errors.items()]
    if failures:
        files["FAILURES.txt"] = ("\n".join(failures) + "\n").encode()
    files["CITATION.bib"] = BIBTEX.encode()
    files["ACKNOWLEDGEMENTS.txt"] = ("\n\n".join(ACKNOWLEDGEMENTS.values()) + "\n").encode()
    files["reproduce.py"] = REPRODUCE.replace("{version}", __version__).encode()
    top = {
        "kind": "WISE Explorer batch", "targets": len(run.targets), "bad_lines": len(bad),
        "upload_queries": run.queries, "upload_table": {"name": "targets", "columns": ["upload_id", "ra", "dec",
                                                                                         "radius_deg"],
                                                        "built_from": "parsed target positions and radii only"},
        "service_url": run.service_url, "mode": "IRSA TAP asynchronous (UWS) jobs with TAP_UPLOAD",
        "chunks": [asdict(c) for c in run.chunks], "cancelled": run.cancelled,
        "folders": {str(line): folder for line, folder in folders.items()},
        "software": _versions(), "citations": [text for _, text in CITATIONS],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(top, indent=1, sort_keys=True, default=str) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name in sorted(files):
            out.writestr(name, files[name])
    return buffer.getvalue()
