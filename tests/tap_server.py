"""A local TAP server on 127.0.0.1 for the tests: real IRSA rows, IRSA's table names, faults on demand.

It speaks the part of TAP the client uses (``POST /sync`` with REQUEST=doQuery, LANG=ADQL,
QUERY, MAXREC) and answers the cone queries ``adql.py`` writes, from the real rows recorded
from IRSA that the offline archive ships (plus rows a test adds). Columns of a table that were
not recorded come back NULL; a column the table does not have at IRSA (``irsa_schema.py``,
built from IRSA's own replies, not from the app's allow-list) gets an ERROR VOTable, as IRSA
answers, and ``TAP_SCHEMA.columns`` lists those real columns. Faults per table: latency, HTTP
500/503, a hang past the client's timeout, an ERROR VOTable, truncated XML, zero rows, and a
MAXREC overflow.

Uploads and asynchronous jobs (the batch path): ``UPLOAD=targets,param:targets`` with the VOTable
as a multipart part (IVOA TAP 1.1 §2.5.2, DALI 1.1 §3.4.5), answered for the join that
``adql.upload_cone_query`` writes, each row tagged with its ``upload_id``; and UWS 1.1 jobs at
``/async`` (create -> 303 to the job, PHASE=RUN, the job document with its phase and result,
``/results/result``, DELETE). ``jobs`` keeps every job (deleted ones marked), ``uploads`` each
executed upload query with its row count: one per table per chunk is what a test checks.
A fault's ``job_failures`` makes that many jobs on the table end in ERROR (a chunk retried alone).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pandas as pd

from dashboard.archive import offline as archive
from dashboard.archive.votable import frame_to_votable
from dashboard.core.geometry import separation_arcsec
from dashboard.core.tables import ALL_TABLES as TABLES
from irsa_schema import irsa_columns
from servers import LocalHttp

_QUERY = re.compile(
    r"^SELECT (?P<cols>.+?) FROM (?P<table>\w+) WHERE CONTAINS\(POINT\('ICRS', ra, dec\), "
    r"CIRCLE\('ICRS', (?P<ra>[-+\d.]+), (?P<dec>[-+\d.]+), (?P<r>[-+\d.eE]+)\)\)=1$"
)

_SCHEMA = re.compile(
    r"^SELECT table_name, column_name FROM TAP_SCHEMA\.columns WHERE table_name IN \((?P<names>[^)]*)\)$", re.I)


def recorded_rows(table: str, extra: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every real row the offline archive recorded of ``table`` (only recordings of that very
    table), plus ``extra``: what this server answers from, and what the Parquet mirror holds."""
    frames = [rec.rows() for rec in archive.recordings(table) if rec.recorded_table == table] + list(extra or [])
    ints = [c for c, kind in TABLES[table].columns.items() if kind == "i8"]
    # nullable integers, so that concatenating recordings never turns a cntr into a float
    frames = [f.astype({c: "Int64" for c in ints if c in f.columns}) for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
    job_failures: int = 0  # async jobs on this table that end in ERROR before the next succeeds


_UPLOAD_QUERY = re.compile(
    r"^SELECT u\.upload_id, (?P<cols>.+?) FROM TAP_UPLOAD\.(?P<upload>\w+) AS u, (?P<table>\w+) AS t "
    r"WHERE CONTAINS\(POINT\('ICRS', t\.ra, t\.dec\), CIRCLE\('ICRS', u\.ra, u\.dec, u\.radius_deg\)\)=1$")


@dataclass
class Job:
    """One UWS job as the server keeps it."""

    id: str
    query: str
    maxrec: int | None
    upload: pd.DataFrame | None
    phase: str = "PENDING"
    result: bytes = b""
    error: str = ""
    deleted: bool = False


def uws_job(job: Job, base: str) -> bytes:
    result = (f'<uws:results><uws:result id="result" xlink:href="{base}/async/{job.id}/results/result"/></uws:results>'
              if job.phase == "COMPLETED" else "<uws:results/>")
    error = (f'<uws:errorSummary type="fatal" hasDetail="false"><uws:message>{job.error}</uws:message>'
             "</uws:errorSummary>" if job.phase == "ERROR" else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'version="1.1"><uws:jobId>{job.id}</uws:jobId><uws:runId/><uws:ownerId xsi:nil="true"/>'
        f'<uws:phase>{job.phase}</uws:phase><uws:quote xsi:nil="true"/>'
        '<uws:creationTime>2026-01-01T00:00:00Z</uws:creationTime><uws:startTime xsi:nil="true"/>'
        '<uws:endTime xsi:nil="true"/><uws:executionDuration>0</uws:executionDuration>'
        '<uws:destruction xsi:nil="true"/><uws:parameters/>'
        f"{result}{error}</uws:job>").encode()


def read_upload(data: bytes) -> pd.DataFrame:
    import io

    from astropy.io.votable import parse_single_table

    return parse_single_table(io.BytesIO(data)).to_table().to_pandas()


def multipart_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by name (the stdlib's email parser reads them)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


def error_votable(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        f'<RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">{message}</INFO></RESOURCE></VOTABLE>'
    ).encode()


class LocalTap(LocalHttp):
    """Start with ``LocalTap().start()``; ``url`` is the TAP base URL; ``stop()`` ends it."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.extra_rows: dict[str, pd.DataFrame] = {}
        self.requests: dict[str, int] = {}
        self.queries: list[str] = []
        self.jobs: dict[str, Job] = {}
        self.uploads: list[tuple[str, int]] = []  # (table, uploaded rows) per executed upload query
        super().__init__()

    @property
    def url(self) -> str:
        return self.base + "/tap"

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.extra_rows.clear()
            self.requests.clear()
            self.queries.clear()
            self.jobs.clear()
            self.uploads.clear()

    def rows_for(self, table: str) -> pd.DataFrame:
        """Every recorded real row of ``table`` (only recordings of that very table)."""
        return recorded_rows(table, [self.extra_rows[table]] if table in self.extra_rows else [])

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

    def run_upload(self, query: str, upload: pd.DataFrame, maxrec: int | None) -> tuple[str, bytes]:
        """(phase, body) of an upload join: COMPLETED with the rows, or ERROR and why."""
        match = _UPLOAD_QUERY.match(" ".join(query.split()))
        if not match or match["table"] not in TABLES:
            return "ERROR", b"Cannot parse ADQL"
        table = match["table"]
        columns = [c.strip().removeprefix("t.") for c in match["cols"].split(",")]
        for col in columns:
            if col not in irsa_columns()[table]:
                return "ERROR", f'ORA-00904: "{col.upper()}": invalid identifier'.encode()
        with self._lock:
            self.uploads.append((table, len(upload)))
            self.requests[table] = self.requests.get(table, 0) + 1
            self.queries.append(query)
            fault = self.faults.setdefault(table, Fault())
            failing = fault.job_failures > 0
            if failing:
                fault.job_failures -= 1
        time.sleep(fault.latency_s + fault.hang_s)
        if failing or fault.http_status:
            return "ERROR", b"ORA-01013: user requested cancel of current operation"
        rows = self.rows_for(table)
        parts = []
        if len(rows):
            ra, dec = rows["ra"].to_numpy(float), rows["dec"].to_numpy(float)
            for uid, ura, udec, urad in upload[["upload_id", "ra", "dec", "radius_deg"]].itertuples(index=False):
                near = rows[separation_arcsec(ra, dec, float(ura), float(udec)) <= float(urad) * 3600 + 1e-9]
                parts.append(near.assign(upload_id=int(uid)))
        found = pd.concat(parts, ignore_index=True) if parts else rows.iloc[0:0].assign(upload_id=pd.Series(dtype=int))
        status = "OK"
        if maxrec is not None and len(found) > maxrec:
            found, status = found.iloc[:maxrec], "OVERFLOW"
        known = TABLES[table].columns
        present = [c for c in ("upload_id", *columns) if c in found.columns]  # unrecorded columns come back NULL
        return "COMPLETED", frame_to_votable(found[present].reset_index(drop=True),
                                             dtypes={"upload_id": "i4"} | {c: known[c] for c in columns},
                                             status=status)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tap = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _params(self) -> dict[str, str]:
                parsed = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                self.files: dict[str, bytes] = {}
                if self.command == "POST":
                    length = int(self.headers.get("Content-Length", 0))
                    raw = self.rfile.read(length)
                    kind = self.headers.get("Content-Type", "")
                    if kind.startswith("multipart/form-data"):
                        fields = multipart_fields(kind, raw)
                        params |= {k: v.decode() for k, v in fields.items() if k.upper() in
                                   ("REQUEST", "LANG", "QUERY", "MAXREC", "UPLOAD", "FORMAT", "PHASE")}
                        self.files = fields
                    else:
                        params |= {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                return {k.upper(): v for k, v in params.items()}

            def _reply(self, status: int, body: bytes = b"", kind: str = "text/xml", location: str = "") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    if location:
                        self.send_header("Location", location)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _async(self, path: str) -> None:
                base = tap.url
                parts = path.split("/async", 1)[1].strip("/").split("/")
                params = self._params()
                if parts == [""] and self.command == "POST":  # create
                    upload = None
                    if "UPLOAD" in params:
                        name, _, ref = params["UPLOAD"].partition(",")
                        upload = read_upload(self.files[ref.removeprefix("param:")])
                    job = Job(uuid.uuid4().hex[:12], params.get("QUERY", ""),
                              int(params["MAXREC"]) if "MAXREC" in params else None, upload)
                    with tap._lock:
                        tap.jobs[job.id] = job
                    self._reply(303, location=f"{base}/async/{job.id}")
                    return
                job = tap.jobs.get(parts[0])
                if job is None or job.deleted:
                    self._reply(404, b"no such job", "text/plain")
                    return
                if self.command == "DELETE" or params.get("ACTION", "").upper() == "DELETE":
                    job.deleted = True
                    self._reply(303, location=f"{base}/async")
                elif parts[1:] == ["phase"] and self.command == "POST" and params.get("PHASE") == "RUN":
                    job.phase = "EXECUTING"

                    def execute() -> None:
                        try:
                            phase, body = tap.run_upload(job.query, job.upload if job.upload is not None
                                                         else pd.DataFrame(), job.maxrec)
                        except Exception as exc:  # a defect of the stand-in: the job says so
                            phase, body = "ERROR", repr(exc).encode()
                        job.result, job.error = (body, "") if phase == "COMPLETED" else (b"", body.decode())
                        job.phase = phase

                    threading.Thread(target=execute, daemon=True).start()
                    self._reply(303, location=f"{base}/async/{job.id}")
                elif parts[1:] == ["phase"]:
                    self._reply(200, job.phase.encode(), "text/plain")
                elif parts[1:] == ["results", "result"] and job.phase == "COMPLETED":
                    self._reply(200, job.result, "application/x-votable+xml")
                elif parts[1:] == []:
                    self._reply(200, uws_job(job, base))
                else:
                    self._reply(404, b"not found", "text/plain")

            def _serve(self) -> None:
                path = urlparse(self.path).path
                if "/async" in path:
                    self._async(path)
                    return
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
            do_DELETE = _serve

        return Handler
