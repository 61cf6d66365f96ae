"""Sphinx configuration: the user's documentation of WISE Explorer.

Built offline with warnings as errors (``sphinx-build -W -b html docs docs/_build``; the test
command runs it): no intersphinx inventory is fetched, the PyData theme is the one astropy-affiliated
packages use, and the pages are Markdown (MyST) so they read the same on a repository host.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard import __version__  # noqa: E402

project = "WISE Explorer"
author = "WISE Explorer developers"
release = version = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "numpydoc"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": True, "show_toc_level": 2}
html_title = f"WISE Explorer {release}"
numpydoc_show_class_members = False
