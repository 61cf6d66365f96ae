"""A local TAP server on 127.0.0.1 for the tests: real IRSA rows, IRSA's table names, faults on demand.

It speaks the part of TAP the client uses (``POST /sync`` with REQUEST=doQuery, LANG=ADQL,
QUERY, MAXREC) and answers the cone queries ``adql.py`` writes, from the real rows recorded
from IRSA that the offline archive ships (plus rows a test adds). Columns of a table that were
not recorded come back NULL; a column the table does not have at IRSA (``irsa_schema.py``,
built from IRSA's own replies, not from the app's allow-list) gets an ERROR VOTable, as IRSA
answers, and ``TAP_SCHEMA.columns`` lists those real columns. Faults per table: latency, HTTP
500/503, a hang past the client's timeout, an ERROR VOTable, truncated XML, zero rows, and a
MAXREC overflow.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd

from dashboard.wise import archive
from dashboard.wise.select import separation_arcsec
from dashboard.wise.tables import TABLES
from dashboard.wise.votable import frame_to_votable
from irsa_schema import irsa_columns

_QUERY = re.compile(
    r"^SELECT (?P<cols>.+?) FROM (?P<table>\w+) WHERE CONTAINS\(POINT\('ICRS', ra, dec\), "
    r"CIRCLE\('ICRS', (?P<ra>[-+\d.]+), (?P<dec>[-+\d.]+), (?P<r>[-+\d.eE]+)\)\)=1$"
)

_SCHEMA = re.compile(
    r"^SELECT table_name, column_name FROM TAP_SCHEMA\.columns WHERE table_name IN \((?P<names>[^)]*)\)$", re.I)


@dataclass
class Fault:
    latency_s: float = 0.0
    http_status: int | None = None
    hang_s: float = 0.0
    error_votable: str | None = None
    truncated: bool = False  # a complete HTTP reply whose XML stops halfway
    cut_connection: bool = False  # the connection closes before Content-Length bytes arrive
    zero_rows: bool = False
    overflow_at: int | None = None


def error_votable(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        f'<RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">{message}</INFO></RESOURCE></VOTABLE>'
    ).encode()


class LocalTap:
    """Start with ``LocalTap().start()``; ``url`` is the TAP base URL; ``stop()`` ends it."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.extra_rows: dict[str, pd.DataFrame] = {}
        self.requests: dict[str, int] = {}
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tap"

    def start(self) -> LocalTap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.extra_rows.clear()
            self.requests.clear()
            self.queries.clear()

    def rows_for(self, table: str) -> pd.DataFrame:
        """Every recorded real row of ``table`` (only recordings of that very table)."""
        frames = [rec.rows() for rec in archive.recordings(table) if rec.recorded_table == table]
        if table in self.extra_rows:
            frames.append(self.extra_rows[table])
        ints = [c for c, kind in TABLES[table].columns.items() if kind == "i8"]
        # nullable integers, so that concatenating recordings never turns a cntr into a float
        frames = [f.astype({c: "Int64" for c in ints if c in f.columns}) for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def answer(self, query: str, maxrec: int | None) -> tuple[int, bytes, int]:
        """(HTTP status, body, the Content-Length to announce)."""
        status, body = self._answer(query, maxrec)
        table = (_QUERY.match(" ".join(query.split())) or {"table": ""})["table"]  # type: ignore[index]
        fault = self.faults.get(table, Fault())
        return status, body, len(body) * 2 if fault.cut_connection and status == 200 else len(body)

    def _schema(self, names: str) -> bytes:
        wanted = [n.strip().strip("'") for n in names.split(",")]
        real = irsa_columns()
        rows = pd.DataFrame([(t, c) for t in wanted for c in sorted(real.get(t, ()))],
                            columns=["table_name", "column_name"])
        return frame_to_votable(rows, dtypes={"table_name": "U", "column_name": "U"})

    def _answer(self, query: str, maxrec: int | None) -> tuple[int, bytes]:
        schema = _SCHEMA.match(" ".join(query.split()))
        if schema:
            return 200, self._schema(schema["names"])
        match = _QUERY.match(" ".join(query.split()))
        if not match:
            return 200, error_votable("Cannot parse ADQL")
        table = match["table"]
        if table not in TABLES:
            return 200, error_votable(f"Table '{table}' does not exist")
        columns = [c.strip() for c in match["cols"].split(",")]
        known = TABLES[table].columns
        for col in columns:
            if col not in irsa_columns()[table]:
                return 200, error_votable(f'ORA-00904: "{col.upper()}": invalid identifier')
        with self._lock:
            self.requests[table] = self.requests.get(table, 0) + 1
            self.queries.append(query)
            fault = self.faults.get(table, Fault())
        if fault.latency_s:
            time.sleep(fault.latency_s)
        if fault.hang_s:
            time.sleep(fault.hang_s)
        if fault.http_status:
            return fault.http_status, b"<html>Service unavailable</html>"
        if fault.error_votable:
            return 200, error_votable(fault.error_votable)
        rows = self.rows_for(table)
        if len(rows) and not fault.zero_rows:
            sep = separation_arcsec(rows["ra"].to_numpy(float), rows["dec"].to_numpy(float),
                                    float(match["ra"]), float(match["dec"]))
            rows = rows[sep <= float(match["r"]) * 3600.0 + 1e-9]
        else:
            rows = rows.iloc[0:0]
        status = "OK"
        limit = fault.overflow_at if fault.overflow_at is not None else maxrec
        if limit is not None and len(rows) > limit:
            rows, status = rows.iloc[:limit], "OVERFLOW"
        body = frame_to_votable(rows.reset_index(drop=True), dtypes={c: known[c] for c in columns}, status=status)
        if fault.truncated:
            body = body[: len(body) // 2]
        return 200, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tap = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _params(self) -> dict[str, str]:
                parsed = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                if self.command == "POST":
                    length = int(self.headers.get("Content-Length", 0))
                    body = self.rfile.read(length).decode()
                    params |= {k: v[-1] for k, v in parse_qs(body).items()}
                return {k.upper(): v for k, v in params.items()}

            def _serve(self) -> None:
                path = urlparse(self.path).path
                if not path.endswith("/sync"):
                    self.send_error(404)
                    return
                params = self._params()
                maxrec = int(params["MAXREC"]) if "MAXREC" in params else None
                status, body, length = tap.answer(params.get("QUERY", ""), maxrec)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-votable+xml" if status == 200 else "text/html")
                    self.send_header("Content-Length", str(length))
                    if length != len(body):
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _serve
            do_POST = _serve

        return Handler
