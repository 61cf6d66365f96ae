"""STILTS ``votlint`` (Debian's ``stilts``) on a VOTable: its ERROR and WARNING lines.

votlint exits 0 even when it reports errors, so a check must read what it prints."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

STILTS = shutil.which("stilts") or "/usr/bin/stilts"


def votlint(path: Path) -> list[str]:
    """Every problem votlint reports for ``path`` (empty: the VOTable validates)."""
    done = subprocess.run([STILTS, "votlint", "validate=true", str(path)], capture_output=True, text=True,
                          timeout=120)
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.startswith(("ERROR", "WARNING", "SEVERE"))]
