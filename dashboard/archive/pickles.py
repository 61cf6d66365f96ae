"""Reading pickled values across code moves: the store's values (cache entries, batch state) are
pickled with their classes' module paths, so a moved module would make every stored entry
unreadable, the stale fallback that serves users while IRSA is down included. ``loads`` maps the
old paths to the new ones; an entry that still cannot be read is a miss for the caller.

Rule: a change that moves a module adds its old path here (never versions the cache key).
"""

from __future__ import annotations

import io
import pickle
from typing import IO

#: Old module path -> where its classes live now. 0.8.0 split ``dashboard/wise`` into layers.
MOVED_MODULES: dict[str, str] = {
    "dashboard.wise.errors": "dashboard.core.errors",
    "dashboard.wise.tables": "dashboard.core.tables",
    "dashboard.wise.model": "dashboard.core.model",
    "dashboard.wise.targets": "dashboard.core.targets",
    "dashboard.wise.measurement": "dashboard.core.measurement",
    "dashboard.wise.flags": "dashboard.core.flags",
    "dashboard.wise.tap": "dashboard.archive.tap",
    "dashboard.wise.adql": "dashboard.archive.adql",
    "dashboard.wise.cache": "dashboard.archive.cache",
    "dashboard.wise.store": "dashboard.archive.store",
    "dashboard.wise.lease": "dashboard.archive.lease",
    "dashboard.wise.votable": "dashboard.archive.votable",
    "dashboard.wise.fetch": "dashboard.archive.fetch",
    "dashboard.wise.service": "dashboard.archive.service",
    "dashboard.wise.sesame": "dashboard.archive.sesame",
    "dashboard.wise.threads": "dashboard.archive.threads",
    "dashboard.wise.archive": "dashboard.archive.offline",
    "dashboard.wise.select": "dashboard.science.select",
    "dashboard.wise.quality": "dashboard.science.quality",
    "dashboard.wise.photometry": "dashboard.science.photometry",
    "dashboard.wise.stacking": "dashboard.science.stacking",
    "dashboard.wise.lightcurve": "dashboard.science.lightcurve",
    "dashboard.wise.periodogram": "dashboard.science.periodogram",
    "dashboard.wise.variability": "dashboard.science.variability",
    "dashboard.wise.colour_track": "dashboard.science.colour_track",
    "dashboard.wise.motion": "dashboard.science.motion",
    "dashboard.wise.distributions": "dashboard.science.distributions",
    "dashboard.wise.analysis": "dashboard.science.analysis",
    "dashboard.wise.pipeline": "dashboard.pipeline",
    "dashboard.wise.provenance": "dashboard.provenance.bundle",
    "dashboard.wise.reproduce": "dashboard.provenance.reproduce",
    "dashboard.wise.citations": "dashboard.provenance.citations",
    "dashboard.sky.bundle": "dashboard.provenance.sky",
    "dashboard.wise.memo": "dashboard.web.memo",
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        return super().find_class(MOVED_MODULES.get(module, module), name)


def load(file: IO[bytes]) -> object:
    """Unpickle from ``file``, finding classes under their current module paths."""
    return _Unpickler(file).load()


def loads(data: bytes) -> object:
    return load(io.BytesIO(data))
