"""CLI start-up: the offline fetch of the demo target, wall clock, and the imports it needs.

``cli_wall_s``: ``python -m dashboard fetch AT2019dsg --offline`` as a user runs it (best of 3).
``cli_import_s``: importing, in a fresh interpreter, every module that command ends up with
(collected by running it once), in the order it imported them.
As on a user's machine, Python keeps its compiled modules (``__pycache__``): a machine that sets
PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile the project on every start.
Run: python benchmarks/cli_start.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from _common import ROOT

COMMAND = ["fetch", "AT2019dsg", "--offline"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

COLLECT = """
import json, sys
before = set(sys.modules)
from dashboard.__main__ import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    main({argv!r})
print(json.dumps([m for m in sys.modules if m not in before]))
"""

IMPORT = """
import importlib, json, sys, time
names = json.loads(sys.stdin.read())
start = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a private alias module; its parent imported it already
print(time.perf_counter() - start)
"""


def main() -> dict[str, float]:
    walls = []
    for _ in range(4):  # the first run compiles what is not compiled yet
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dashboard", *COMMAND], cwd=ROOT, env=ENV, check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - start)
    names = subprocess.run([sys.executable, "-c", COLLECT.format(argv=COMMAND)], cwd=ROOT, env=ENV, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    imports = [float(subprocess.run([sys.executable, "-c", IMPORT], cwd=ROOT, env=ENV, input=names, check=True,
                                    capture_output=True, text=True).stdout) for _ in range(3)]
    result = {"cli_wall_s": min(walls[1:]), "cli_import_s": min(imports)}
    print(f"CLI `python -m dashboard {' '.join(COMMAND)}`: {result['cli_wall_s']:.2f} s wall, of which the "
          f"{len(json.loads(names))} modules it imports {result['cli_import_s']:.2f} s")
    return result


if __name__ == "__main__":
    main()
