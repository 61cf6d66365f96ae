"""Importing the package changes no option of the process; the entry points set them (runtime.py)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = """
import pandas as pd
before = pd.get_option("mode.string_storage")
import dashboard, dashboard.science.lightcurve, dashboard.provenance.bundle, dashboard.pipeline
after_import = pd.get_option("mode.string_storage")
from dashboard.app import create_app
create_app()
print(before, after_import, pd.get_option("mode.string_storage"))
"""


def test_importing_the_package_changes_no_option_and_the_app_sets_its_own(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "WISE_CACHE_DIR": str(tmp_path), "WISE_OFFLINE": "1",
                               "SECRET_KEY": "x", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    before, after_import, after_app = done.stdout.split()
    assert before != "python" and after_import == before  # nothing changed by an import
    assert after_app == "python"  # the app's process start set it


def test_a_dask_worker_sets_the_options_when_it_starts():
    from dashboard.batch.cluster import dask_client

    with dask_client(None, workers=1, memory_limit="1GiB") as client:
        seen = client.run(lambda: __import__("pandas").get_option("mode.string_storage"))
    assert set(seen.values()) == {"python"}
