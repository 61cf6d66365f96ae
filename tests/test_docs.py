"""The documentation: every module path, script and test file the docs, the README and the
scripts name exists (a renamed module leaves no stale pointer), and the docs site builds offline
with warnings as errors (the test command runs the same build; this keeps pytest honest alone)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

#: Paths as the docs write them: `dashboard/…/x.py`, `scripts/x.sh`, `tests/x.py`, `benchmarks/x.py`.
PATH = re.compile(r"(?<![\w/.])((?:dashboard|scripts|tests|benchmarks|docs|assets|examples)/[\w./-]*\w)")
TEXTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", *sorted((ROOT / "scripts").glob("*")),
         ROOT / ".ci" / "run", ROOT / "CHANGELOG.md"]


def _named_paths() -> list[tuple[str, str]]:
    named = []
    for text in TEXTS:
        if text.is_file():
            for path in PATH.findall(text.read_text()):
                named.append((text.relative_to(ROOT).as_posix(), path.rstrip(".")))
    return named


def test_every_path_the_docs_and_scripts_name_exists():
    named = _named_paths()
    assert len(named) > 30  # the docs do name modules
    missing = [(where, path) for where, path in named
               if "*" not in path and "<" not in path and not (ROOT / path).exists()
               and not (ROOT / path.rstrip("/")).exists()]
    assert not missing, missing


def test_the_docs_site_builds_offline_with_warnings_as_errors(tmp_path):
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            str(ROOT / "docs"), str(tmp_path / "html")], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    assert (tmp_path / "html" / "parameters.html").exists()
