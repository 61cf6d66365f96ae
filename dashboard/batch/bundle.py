"""The batch bundle: ``summary.csv``; ``raw/chunk_NNN_<table>.vot``, each chunk's reply to its
upload query as IRSA sent it (every target's rows, tagged by ``upload_id``), written once;
``targets/NNNN_<id>/`` with each target's CSVs and a manifest whose tables point to its chunk's
reply and its ``upload_id`` (and whose queries are the upload queries of the top-level manifest);
the top-level manifest (upload queries, chunks, checksums of the shared files); ``FAILURES.txt``;
one ``reproduce.py`` that checks the shared files and recomputes every target offline;
``CITATION.bib``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pandas as pd

from dashboard import __version__
from dashboard.archive.tap import TapReply
from dashboard.batch.run import BatchRun
from dashboard.batch.summary import summary_files
from dashboard.batch.targets import BadLine, BatchTarget
from dashboard.batch.views import Made
from dashboard.config import Settings
from dashboard.provenance.bundle import data_files, safe_name
from dashboard.provenance.citations import ACKNOWLEDGEMENTS, BIBTEX, CITATIONS
from dashboard.provenance.manifest import ManifestText, manifest, manifest_bytes, software_versions
from dashboard.provenance.zipped import StreamingZip, zip_time
from dashboard.science.analysis import View

REPRODUCE = """\"\"\"Check this batch's files and recompute every target's CSVs offline from raw/*.vot.

Needs the package that made it: pip install wise-explorer=={version}. Exits 0 when every file
agrees, else names the files that differ.
\"\"\"
import sys
from pathlib import Path

from dashboard.provenance.reproduce import main_batch

sys.exit(main_batch(Path(__file__).resolve().parent))
"""


def folder_name(index: int, ident: str) -> str:
    return f"targets/{index:04d}_{safe_name(ident)[:40]}"


def chunk_file(index: int, table: str) -> str:
    return f"raw/chunk_{index:03d}_{table}.vot"


def _views(run: BatchRun) -> Iterator[tuple[int, BatchTarget, View, dict[str, tuple[bytes, bytes]]]]:
    """(place in the list from 1, target, its single view, its tables already written) of every
    target whose chunk ran, in list order: a chunk's views come from ``ChunkData.views``, made at
    once, handed out one by one."""
    made: Iterator[Made] | None = None
    current = None
    for index, item in enumerate(run.targets, 1):
        if item.line not in run.placed:
            continue
        chunk, uid = run.placed[item.line]
        if made is None or chunk.index != current:
            made, current = chunk.views(run.queries, run.service_url), chunk.index
            upto = 0
        while upto <= uid:  # a chunk's targets come in their order; skip none
            shown, written = next(made)
            upto += 1
        yield index, item, shown, written


def build_batch_bundle(run: BatchRun, bad: list[BadLine], table: pd.DataFrame, settings: Settings) -> bytes:
    """The zip of a batch (module docstring). Its entries: FAILURES.txt first, the shared files by
    name, each target's folder in list order, and the top-level manifest last (it holds every other
    file's checksum); each is compressed as soon as it is made (``StreamingZip``: the shared files
    on its thread, while the first chunk's views are made)."""
    replies = [r for chunk, _ in run.placed.values() for r in chunk.replies.values() if isinstance(r, TapReply)]
    out = StreamingZip(zip_time(r.retrieved_utc for r in replies), level=1)
    try:
        shared = _shared_files(run, bad, table)
        for name in sorted(shared, key=lambda n: (n != "FAILURES.txt", n)):
            out.add(name, shared[name])
        views = _views(run)
        first = next(views, None)  # the first chunk's views are made while the chunk replies compress
        out.inline()
        folders = {}
        text = ManifestText()
        for index, item, shown, written in itertools.chain([first] if first else [], views):
            folders[item.line] = folder = folder_name(index, item.id)
            own, digests = _folder_files(run, item, shown, written, settings, text)
            for name, data in sorted(own.items()):
                out.add(f"{folder}/{name}", data, digests.get(name))
        top = {
            "kind": "WISE Explorer batch", "targets": len(run.targets), "bad_lines": len(bad),
            "upload_queries": run.queries, "upload_table": {"name": "targets",
                                                            "columns": ["upload_id", "ra", "dec", "radius_deg"],
                                                            "built_from": "parsed target positions and radii only"},
            "service_url": run.service_url, "mode": ("the offline archive (recorded IRSA rows; WISE_OFFLINE)"
                                                     if run.served == "offline" else
                                                     "IRSA TAP asynchronous (UWS) jobs with TAP_UPLOAD"),
            "chunks": [c.data() for c in run.chunks], "cancelled": run.cancelled,
            "folders": {str(line): folder for line, folder in folders.items()},
            "software": software_versions(batch=True), "citations": [text for _, text in CITATIONS],
            "files": out.digests(),
        }
        out.add("manifest.json", manifest_bytes(top))
    except BaseException:
        out.abandon()
        raise
    return out.close()


def _shared_files(run: BatchRun, bad: list[BadLine], table: pd.DataFrame) -> dict[str, bytes]:
    """The files outside the targets' folders, but the top-level manifest."""
    files: dict[str, bytes] = {}
    files["summary.csv"], files["summary.ecsv"] = summary_files(table)
    for chunk in {chunk.index: chunk for chunk, _ in run.placed.values()}.values():
        files |= {chunk_file(chunk.index, name): reply.raw for name, reply in chunk.replies.items()
                  if isinstance(reply, TapReply)}
    failures = [f"line {b.line}: bad input: {b.reason}" for b in bad]
    failures += [f"chunk {c.index}: {t}: failed: {message}" for c in run.chunks for t, message in c.failed.items()]
    failures += [f"line {line}: {t}: {e.data_message}" for line, errors in run.failures.items()
                 for t, e in errors.items()]
    if failures:
        files["FAILURES.txt"] = ("\n".join(failures) + "\n").encode()
    files["CITATION.bib"] = BIBTEX.encode()
    files["ACKNOWLEDGEMENTS.txt"] = ("\n\n".join(ACKNOWLEDGEMENTS.values()) + "\n").encode()
    files["reproduce.py"] = REPRODUCE.replace("{version}", __version__).encode()
    return files


def _folder_files(run: BatchRun, item: BatchTarget, shown: View, written: dict[str, tuple[bytes, bytes]],
                  settings: Settings, text: ManifestText) -> tuple[dict[str, bytes], dict[str, str]]:
    """A target's folder: its CSVs and its manifest, whose tables point into its chunk's replies;
    and the sha256 of each file but the manifest (the manifest lists them)."""
    chunk, uid = run.placed[item.line]
    own = data_files(shown, written)
    entry = manifest(shown, settings, own)
    for t in entry["tables"]:  # its rows are those of its upload_id in the chunk's reply
        t["raw_file"], t["upload_id"] = f"../../{chunk_file(chunk.index, t['requested_as'])}", uid
    entry["batch"] = {"line": item.line, "id": item.id, "queries": "../../manifest.json#/upload_queries",
                      "note": "this target's rows are those of its upload_id in its chunk's reply"}
    own["manifest.json"] = text(entry)
    return own, entry["files"]
