"""The one table of view parameters (``ui.viewparams``): every link that worked before the table
keeps its meaning and bytes, the docs page is the table, and the state's fields are the table's.

``tests/data/links_before_view_table.json`` was recorded from ``ui/urlstate.py`` as it was at
0d27aae (before the table): 58 links, hostile ones included, with their canonical query, notices,
the exact parser's refusal and the manifest's ``view`` section.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from dashboard.core.targets import TargetError
from dashboard.ui.urlstate import ViewState, page_view, parse_exact, parse_query, to_query
from dashboard.ui.viewparams import BY_KEY, VIEW_PARAMETERS, markdown_table

ROOT = Path(__file__).resolve().parents[1]
LINKS = json.loads((Path(__file__).parent / "data" / "links_before_view_table.json").read_text())


@pytest.mark.parametrize("case", LINKS, ids=[str(i) for i in range(len(LINKS))])
def test_links_of_before_the_table_keep_their_meaning_and_bytes(case):
    state = parse_query(case["link"], max_radius=120.0)
    assert to_query(state) == case["query"]
    assert list(state.notices) == case["notices"]
    assert page_view(state) == case["view"]
    if case["exact_error"] is None:
        parse_exact(case["link"], max_radius=120.0)
    else:
        with pytest.raises(TargetError) as refused:
            parse_exact(case["link"], max_radius=120.0)
        assert str(refused.value) == case["exact_error"]


def test_the_state_has_one_field_per_parameter_in_the_table_order_with_its_default():
    names = [f.name for f in fields(ViewState) if f.name != "notices"]
    assert names == [p.name for p in VIEW_PARAMETERS]
    assert all(getattr(ViewState(), p.name) == p.default for p in VIEW_PARAMETERS)
    assert len(BY_KEY) == len(VIEW_PARAMETERS)


@pytest.mark.parametrize("parameter", VIEW_PARAMETERS, ids=lambda p: p.key)
def test_every_value_written_reads_back(parameter):
    """The canonical text of each default (and of a set value) is read as the same value."""
    samples = {"t0": 58603.1, "tax": "date", "fold": "best", "flare": True, "z": 0.0512,
               "base": (56000.0, 58400.0), "fit": ("W1", "W2", "W3"), "visit": 3, "ref": 1, "xr": (56000.0, 59000.0),
               "yr": (14.0, 15.0), "add": ("psr",), "alpha": 2, "src": "J205702.96+141216.2"}
    for value in (parameter.default, samples.get(parameter.key)):
        if value is None or value in ("", ()):
            continue
        state = ViewState(target="x", **{parameter.name: value}, **({"event_mjd": 58603.1} if parameter.key == "tax"
                                                                   else {}))
        assert parse_query(to_query(state)) == state


def test_a_new_parameter_at_its_default_is_neither_in_the_link_nor_in_the_manifest():
    state = ViewState(target="AT2019dsg")
    for p in VIEW_PARAMETERS:
        if p.at_default == "absent":
            assert f"{p.key}=" not in to_query(state) and p.key not in page_view(state)["parameters"]


def test_an_event_date_is_an_mjd_or_an_iso_date_written_as_mjd():
    iso = parse_query("target=AT2019dsg&t0=2019-04-09")
    assert iso.event_mjd == 58582.0 and "t0=58582" in to_query(iso) and not iso.notices
    assert parse_query("target=x&t0=2019-04-09T12:00:00Z").event_mjd == 58582.5
    for bad in ("1999-01-01", "70000", "yesterday", "2019-13-01", "nan"):
        state = parse_query(f"target=x&t0={bad}")
        assert state.event_mjd is None and any("an event date is an MJD or an ISO date" in n for n in state.notices)
    alone = parse_query("target=x&tax=t0")
    assert alone.time_axis == "mjd" and any("need an event date" in n for n in alone.notices)
    assert parse_query("target=x&t0=58582&tax=t0").time_axis == "t0"


def test_the_docs_parameter_page_is_the_table():
    """Regenerate with ``python scripts/docs_parameters.py``."""
    assert (ROOT / "docs" / "parameters.md").read_text() == markdown_table()
