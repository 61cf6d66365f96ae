"""WISE Explorer: AllWISE sources, W1-W4 SED and NEOWISE light curves on one linkable page.

Importing the package changes nothing in the process: the options a running product sets are
set where its processes start (``dashboard/runtime.py``)."""

__version__ = "0.12.0"
