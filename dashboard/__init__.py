"""WISE Explorer: AllWISE sources, W1-W4 SED and NEOWISE light curves on one linkable page."""

import pandas as _pd

__version__ = "0.12.0"

# Text columns as Python strings. pyarrow is installed for the Parquet route (batch/survey.py);
# with it, pandas 3 would keep every text column of every frame in Arrow, and the page's frames
# (epochs, visits: a few short strings per row, taken and sorted often) paid for the round trips:
# the warm view at 10^5 epochs took 357 ms instead of 314 (benchmarks/warm_view.py). The Parquet
# reader converts its text to Python strings itself (archive/parquet.arrow_to_frame).
_pd.set_option("mode.string_storage", "python")
