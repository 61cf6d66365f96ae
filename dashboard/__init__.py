"""WISE Explorer: AllWISE sources, W1-W4 SED and NEOWISE light curves on one linkable page."""

__version__ = "0.10.0"
