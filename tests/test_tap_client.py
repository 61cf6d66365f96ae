"""The real client (pyvo) against the local TAP server: rows, and every fault as a typed error."""

from __future__ import annotations

import pytest

from dashboard.archive import offline as archive
from dashboard.archive.adql import cone_query
from dashboard.archive.tap import IrsaTapClient
from dashboard.core.errors import IrsaHttpError, IrsaMalformedReply, IrsaQueryError, IrsaTimeout, IrsaUnreachable
from dashboard.core.model import Cone
from tap_server import Fault

AT2019DSG = Cone(314.26238, 14.20441, 2.5)


def run(tap, table="neowiser_p1bs_psd", cone=AT2019DSG, timeout=2.0, maxrec=50_000):
    return IrsaTapClient(tap.url, connect_timeout_s=1.0).run(cone_query(table, cone), read_timeout_s=timeout,
                                                           maxrec=maxrec)


def test_live_rows_equal_offline_archive_rows(tap):
    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        cone = Cone(314.26238, 14.20441, 2.5)
        live = run(tap, table, cone).rows
        offline = archive.query(table, cone).rows
        assert len(live) == len(offline) > 0
        common = [c for c in offline.columns]
        left = live[common].sort_values("mjd" if "mjd" in common else "ra").reset_index(drop=True)
        right = offline[common].sort_values("mjd" if "mjd" in common else "ra").reset_index(drop=True)
        for col in common:
            assert list(left[col].astype(str)) == list(right[col].astype(str)), (table, col)
        # allow-listed columns that were not recorded come back as NULL, not invented values
        missing = [c for c in live.columns if c not in offline.columns]
        assert missing and all(live[c].isna().all() for c in missing)


def test_raw_votable_is_kept_as_received(tap):
    reply = run(tap)
    assert reply.raw.startswith(b"<?xml") and b"QUERY_STATUS" in reply.raw
    assert not reply.truncated and len(reply.rows) == 253


def test_empty_cone_is_not_an_error(tap):
    reply = run(tap, "allwise_p3as_psd", Cone(10.0, -10.0, 10.0))
    assert len(reply.rows) == 0 and not reply.truncated


def test_zero_rows_fault(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(zero_rows=True)
    assert len(run(tap).rows) == 0


@pytest.mark.parametrize("status", [500, 503])
def test_http_error(tap, status):
    tap.faults["neowiser_p1bs_psd"] = Fault(http_status=status)
    with pytest.raises(IrsaHttpError, match=str(status)):
        run(tap)


def test_hang_past_timeout(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(hang_s=3.0)
    with pytest.raises(IrsaTimeout, match="within 0.5 s"):
        run(tap, timeout=0.5)


def test_error_votable(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(error_votable="Query timed out in the database")
    with pytest.raises(IrsaQueryError, match="Query timed out in the database"):
        run(tap)


def test_asking_mep_for_qual_frame_is_an_irsa_error(tap):
    adql = cone_query("allwise_p3as_mep", AT2019DSG).replace("SELECT ", "SELECT qual_frame, ")
    with pytest.raises(IrsaQueryError, match="QUAL_FRAME"):
        IrsaTapClient(tap.url).run(adql, read_timeout_s=2.0, maxrec=100)


def test_truncated_xml(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(truncated=True)
    with pytest.raises(IrsaMalformedReply):
        run(tap)


def test_connection_cut_mid_reply(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(cut_connection=True)
    with pytest.raises(IrsaMalformedReply):
        run(tap)


def test_overflow_is_flagged_truncated(tap):
    tap.faults["neowiser_p1bs_psd"] = Fault(overflow_at=100)
    reply = run(tap)
    assert reply.truncated and len(reply.rows) == 100


def test_maxrec_cut_is_flagged(tap):
    reply = run(tap, maxrec=50)
    assert reply.truncated and len(reply.rows) == 50


def test_refused_connection():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = IrsaTapClient(f"http://127.0.0.1:{port}/tap", connect_timeout_s=1.0)
    with pytest.raises(IrsaUnreachable):
        client.run(cone_query("allwise_p3as_psd", AT2019DSG), read_timeout_s=1.0, maxrec=10)


def _service_columns(url: str) -> dict[str, set[str]]:
    from dashboard.archive.adql import schema_query
    from dashboard.archive.tap import IrsaTapClient, column_names
    from dashboard.core.tables import TABLES

    reply = IrsaTapClient(url, connect_timeout_s=10).run(schema_query(tuple(TABLES)), read_timeout_s=60, maxrec=10_000)
    return column_names(reply)


def _assert_allow_list_exists(columns: dict[str, set[str]]) -> None:
    from dashboard.core.tables import TABLES

    for name, spec in TABLES.items():
        missing = sorted(set(spec.columns) - columns.get(name, set()))
        assert not missing, f"{name}: allow-listed columns the service does not have: {missing}"


def test_every_allow_listed_column_is_in_the_services_tap_schema(tap):
    """Against the local server, whose TAP_SCHEMA is built from IRSA's own replies (irsa_schema.py)."""
    columns = _service_columns(tap.url)
    assert set(columns) == {"allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"}
    _assert_allow_list_exists(columns)


def test_the_schema_check_catches_a_column_the_service_lacks(tap):
    columns = _service_columns(tap.url)
    columns["allwise_p3as_mep"].discard("qi_fact")
    with pytest.raises(AssertionError, match="qi_fact"):
        _assert_allow_list_exists(columns)


@pytest.mark.remote_data
def test_every_allow_listed_column_is_at_the_real_irsa():
    """Opt-in (pytest --remote-data): catches a schema change at IRSA itself."""
    from dashboard.config import IRSA_TAP_URL

    _assert_allow_list_exists(_service_columns(IRSA_TAP_URL))
