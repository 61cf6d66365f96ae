"""Write the docs' view-parameter page from the one table (``dashboard/ui/viewparams.py``):
``python scripts/docs_parameters.py`` (a test fails while ``docs/parameters.md`` differs)."""

from pathlib import Path

from dashboard.ui.viewparams import markdown_table

if __name__ == "__main__":
    (Path(__file__).resolve().parents[1] / "docs" / "parameters.md").write_text(markdown_table())
