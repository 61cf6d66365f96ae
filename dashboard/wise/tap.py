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

from .errors import (
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
def _session_class() -> type[requests.Session]:
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

        session = _session_class()(self.connect_timeout_s, read_timeout_s)  # type: ignore[call-arg]
        query = _irsa_class()(self.url, session).tap.create_query(adql, maxrec=maxrec)
        retrieved = now_utc()
        try:
            response = query.submit(post=True)
            response.raise_for_status()
            raw = response.content
        except requests.exceptions.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else "?"
            raise IrsaHttpError(f"IRSA answered HTTP {code}; try again later") from exc
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as exc:
            raise IrsaTimeout(f"IRSA did not answer within {read_timeout_s:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc):  # a read timeout while streaming the body arrives wrapped
                raise IrsaTimeout(f"IRSA did not answer within {read_timeout_s:g} s") from exc
            if _is_broken_reply(exc):
                raise IrsaMalformedReply("IRSA's reply was cut short") from exc
            raise IrsaUnreachable(f"cannot connect to {self.url}") from exc
        except requests.exceptions.RequestException as exc:
            raise IrsaMalformedReply(f"IRSA's reply could not be read ({type(exc).__name__})") from exc
        finally:
            session.close()
        return self._parse(raw, maxrec, retrieved)

    def _parse(self, raw: bytes, maxrec: int, retrieved: str) -> TapReply:
        import pyvo
        from astropy.io.votable import parse as parse_votable

        from .votable import table_to_frame

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


def _is_broken_reply(exc: Exception) -> bool:
    text = repr(exc)
    return any(s in text for s in ("ChunkedEncodingError", "IncompleteRead", "Connection broken",
                                   "RemoteDisconnected", "Response ended prematurely"))


def column_names(reply: TapReply) -> dict[str, set[str]]:
    """table -> column names, from the reply to ``adql.schema_query``."""
    rows = reply.rows
    out: dict[str, set[str]] = {}
    for table, column in zip(rows["table_name"], rows["column_name"], strict=True):
        out.setdefault(str(table).split(".")[-1], set()).add(str(column))
    return out

