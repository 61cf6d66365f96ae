"""What a process running this product sets when it starts, in one place.

Called by each entry point (the web app's ``create_app``, the CLI's ``main``, the Celery worker
through ``create_app``, each Dask worker through ``batch/worker_setup.py``, a bundle's
``reproduce.py``, the tests' ``conftest.py`` and ``benchmarks/_common.py``), never on import: a
program that imports ``dashboard`` as a library keeps its own options.

* ``mode.string_storage = "python"``: text columns as Python strings. pyarrow is installed for
  the Parquet route (``batch/survey.py``); with it, pandas 3 keeps every text column of every
  frame in Arrow, and the page's frames (epochs, visits: a few short strings per row, taken and
  sorted often) pay for the round trips: the warm view at 10^5 epochs took 357 ms instead of 314
  (``benchmarks/warm_view.py``). Results are the same either way (the bundles' bytes do not
  depend on it); only speed does. The Parquet reader converts its text to Python strings itself
  (``archive/parquet.arrow_to_frame``).
"""

from __future__ import annotations

import pandas as pd


def configure() -> None:
    """Set this process's options (module docstring). Idempotent."""
    pd.set_option("mode.string_storage", "python")
