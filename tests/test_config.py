"""Settings: each is read from its variable, and each is in the docs' configuration table."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from dashboard.config import Settings, documented, from_environment


def test_every_setting_is_documented_in_the_docs():
    table = (ROOT / "docs" / "group.md").read_text()
    missing = [name for name, _, _ in documented() if f"`{name}`" not in table]
    assert not missing, f"settings missing from the configuration table of docs/group.md: {missing}"


def test_variables_are_parsed_and_empty_means_default():
    env = {"WISE_MAX_RADIUS_ARCSEC": "60", "WISE_OFFLINE": "yes", "WISE_CACHE_DIR": "/tmp/x",
           "WISE_TAP_URL": "http://mirror.example/tap/", "WISE_TIMEOUT_NEOWISE_S": "12", "WISE_THREADS": "",
           "SECRET_KEY": "k"}
    s = from_environment(env)
    assert s.max_radius_arcsec == 60.0 and s.offline and s.cache_dir == Path("/tmp/x")
    assert s.tap_url == "http://mirror.example/tap" and s.read_timeout("neowiser_p1bs_psd") == 12.0
    assert s.read_timeout("allwise_p3as_psd") == Settings().read_timeout("allwise_p3as_psd")
    assert s.threads == Settings().threads and s.secret_key == "k"


def test_a_bad_number_stops_with_the_variable_named():
    with pytest.raises(SystemExit, match="WISE_MAX_ROWS must be a number"):
        from_environment({"WISE_MAX_ROWS": "lots"})


def test_the_per_table_timeouts_name_exactly_the_queried_tables():
    """config.py holds the read timeouts as plain values (it imports no domain module); they must
    name the same tables as core/tables.py, or a table would have no timeout."""
    from dashboard.config import TABLE_TIMEOUTS
    from dashboard.core.tables import ALL_TABLES

    assert set(TABLE_TIMEOUTS) == set(ALL_TABLES)
    assert set(Settings().read_timeouts_s) == set(ALL_TABLES)


def test_config_imports_no_module_of_the_package():
    import ast

    tree = ast.parse((ROOT / "dashboard" / "config.py").read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and (m.startswith("dashboard") or m.startswith("."))]
