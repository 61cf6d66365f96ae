"""The IRSA TAP client: one cone query on one table, with a timeout and typed errors.

astroquery's IRSA interface (``IrsaClass``) builds the TAP service (pyvo underneath), pointed at
the configured URL and given a requests session whose every request carries (connect, read)
timeouts: neither astroquery nor pyvo sets a timeout of its own. The query is submitted through
pyvo's query object so the reply is kept as the raw VOTable bytes, as received, for the bundle.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.core.errors import (
    IrsaError,
    IrsaHttpError,
    IrsaMalformedReply,
    IrsaQueryError,
    IrsaTimeout,
    IrsaUnreachable,
)

if TYPE_CHECKING:
    import requests


@lru_cache(maxsize=1)
def timeout_session() -> type[requests.Session]:
    """A requests session that applies a default (connect, read) timeout to every request
    (defined when a query is first made: requests is not imported by offline use)."""
    import requests

    class TimeoutSession(requests.Session):
        def __init__(self, connect_s: float, read_s: float) -> None:
            super().__init__()
            self.default_timeout = (connect_s, read_s)
            self.headers["User-Agent"] = "wise-explorer (pyvo)"

        def request(self, method, url, **kwargs):  # type: ignore[override]  # adds a default timeout only
            kwargs.setdefault("timeout", self.default_timeout)
            return super().request(method, url, **kwargs)

    return TimeoutSession


@dataclass
class TapReply:
    """One successful answer: the raw bytes, the rows, and whether MAXREC cut it."""

    raw: bytes
    rows: pd.DataFrame
    truncated: bool
    retrieved_utc: str


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=1)
def _irsa_class() -> type:
    """astroquery's IRSA interface on a given TAP URL and requests session (imported when a
    query is first made: astroquery and pyvo take a fifth of a second to import)."""
    from astroquery.ipac.irsa import IrsaClass

    class _Irsa(IrsaClass):
        def __init__(self, tap_url: str, session: requests.Session) -> None:
            self._session = session  # BaseVOQuery keeps a session that is already set
            super().__init__()
            self.tap_url = tap_url

    return _Irsa


class IrsaTapClient:
    """Runs ADQL on one TAP service (IRSA's by default, or a mirror from ``WISE_TAP_URL``)."""

    def __init__(self, url: str, *, connect_timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.connect_timeout_s = connect_timeout_s

    def run(self, adql: str, *, read_timeout_s: float, maxrec: int) -> TapReply:
        """Run a synchronous query; raise an ``IrsaError`` subclass on any failure."""
        import requests

        session = timeout_session()(self.connect_timeout_s, read_timeout_s)  # type: ignore[call-arg]
        query = _irsa_class()(self.url, session).tap.create_query(adql, maxrec=maxrec)
        retrieved = now_utc()
        try:
            response = query.submit(post=True)
            response.raise_for_status()
            raw = response.content
        except requests.exceptions.RequestException as exc:
            raise irsa_error(exc, read_timeout_s, self.url) from exc
        finally:
            session.close()
        return self.parse_reply(raw, maxrec, retrieved)

    def parse_reply(self, raw: bytes, maxrec: int, retrieved: str) -> TapReply:
        import pyvo
        from astropy.io.votable import parse as parse_votable

        from dashboard.archive.votable import table_to_frame

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                votable = parse_votable(io.BytesIO(raw), verify="ignore")
                results = pyvo.dal.TAPResults(votable, url=self.url)
                table = results.to_table()
        except pyvo.dal.DALQueryError as exc:
            raise IrsaQueryError(f"IRSA refused the query: {exc.reason}") from exc
        except IrsaError:
            raise
        except Exception as exc:  # malformed XML surfaces as many astropy/expat error types
            raise IrsaMalformedReply(f"IRSA's reply is not a readable VOTable ({type(exc).__name__})") from exc
        status = (results.status[0] or "").upper()
        truncated = status == "OVERFLOW" or len(table) >= maxrec
        return TapReply(raw=raw, rows=table_to_frame(table), truncated=truncated, retrieved_utc=retrieved)


def request_failure(exc: Exception) -> str:
    """What went wrong with an HTTP request: "http", "timeout", "unreachable", "cut" (the reply
    stopped short) or "malformed": the one classification every client of an outside service uses. pyvo wraps
    the requests exception (``DALServiceError``); the chain is followed to it."""
    import requests

    seen: Exception | None = exc
    while seen is not None and not isinstance(seen, requests.exceptions.RequestException):
        seen = getattr(seen, "cause", None) or seen.__cause__ or seen.__context__  # type: ignore[assignment]
    if seen is None:
        return "http" if getattr(exc, "code", None) else "malformed"
    if isinstance(seen, requests.exceptions.HTTPError):
        return "http"
    if isinstance(seen, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
        return "timeout"
    if isinstance(seen, requests.exceptions.ConnectionError):
        if "timed out" in str(seen):  # a read timeout while streaming the body arrives wrapped
            return "timeout"
        text = repr(seen)
        if any(s in text for s in ("ChunkedEncodingError", "IncompleteRead", "Connection broken",
                                   "RemoteDisconnected", "Response ended prematurely")):
            return "cut"
        return "unreachable"
    return "malformed"


def http_status(exc: Exception) -> object:
    """The HTTP status of a failed request (requests' or pyvo's error), or "?"."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) or getattr(exc, "code", None) or "?"


def irsa_error(exc: Exception, read_timeout_s: float, url: str) -> IrsaError:
    failure = request_failure(exc)
    if failure == "http":
        return IrsaHttpError(f"IRSA answered HTTP {http_status(exc)}; try again later")
    if failure == "timeout":
        return IrsaTimeout(f"IRSA did not answer within {read_timeout_s:g} s")
    if failure == "unreachable":
        return IrsaUnreachable(f"cannot connect to {url}")
    if failure == "cut":
        return IrsaMalformedReply("IRSA's reply was cut short")
    return IrsaMalformedReply(f"IRSA's reply could not be read ({type(exc).__name__})")


def column_names(reply: TapReply) -> dict[str, set[str]]:
    """table -> column names, from the reply to ``adql.schema_query``."""
    rows = reply.rows
    out: dict[str, set[str]] = {}
    for table, column in zip(rows["table_name"], rows["column_name"], strict=True):
        out.setdefault(str(table).split(".")[-1], set()).add(str(column))
    return out

