"""The uploaded target table and the asynchronous (UWS) TAP job that joins it to one WISE table.

The table is built here from parsed numbers only (``BatchTarget``): ``upload_id``, ``ra``, ``dec``,
``radius_deg`` — the user's text never reaches the service. The query is ``adql.upload_cone_query``.
Jobs follow IVOA UWS 1.1 through pyvo's ``AsyncTAPJob``: create (POST /async with the VOTable as
``UPLOAD=targets,param:targets``), run (PHASE=RUN), wait, fetch the result, and always delete
the job (on success, failure and cancel). Its URL is reported as soon as it exists
(``on_job``) so a cancel or a clean-up after a killed process can delete it.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable, Sequence

from dashboard.archive.adql import UPLOAD_NAME
from dashboard.archive.tap import IrsaTapClient, TapReply, irsa_error, now_utc, timeout_session
from dashboard.batch.targets import BatchTarget
from dashboard.core.errors import Cancelled, IrsaQueryError, IrsaTimeout


def upload_table(targets: Sequence[BatchTarget]):  # astropy.table.Table
    """The uploaded rows: ``upload_id`` is the target's index in ``targets``."""
    from astropy.table import Table

    return Table({"upload_id": list(range(len(targets))), "ra": [t.target.ra for t in targets],
                  "dec": [t.target.dec for t in targets], "radius_deg": [t.radius_arcsec / 3600 for t in targets]},
                 dtype=("i4", "f8", "f8", "f8"))


def upload_votable(targets: Sequence[BatchTarget]) -> bytes:
    """The VOTable that is uploaded (also what the cache key and the manifest describe)."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        upload_table(targets).write(out, format="votable")
    return out.getvalue()


class UploadJobs:
    """Asynchronous TAP jobs with an uploaded table, on one TAP service (IRSA's or a mirror)."""

    POLL_S = 0.5

    def __init__(self, client: IrsaTapClient, *, read_timeout_s: float, max_wait_s: float) -> None:
        self.client = client
        self.read_timeout_s, self.max_wait_s = read_timeout_s, max_wait_s

    def run(self, adql: str, targets: Sequence[BatchTarget], *, maxrec: int,
            on_job: Callable[[str], None] = lambda url: None,
            cancelled: Callable[[], bool] = lambda: False) -> TapReply:
        import pyvo
        import requests

        session = timeout_session()(self.client.connect_timeout_s, self.read_timeout_s)  # type: ignore[call-arg]
        retrieved = now_utc()
        job = None
        try:
            job = pyvo.dal.AsyncTAPJob.create(self.client.url, adql, maxrec=maxrec, session=session,
                                              uploads={UPLOAD_NAME: io.BytesIO(upload_votable(targets))})
            on_job(job.url)
            job.run()
            deadline = time.monotonic() + self.max_wait_s
            while True:
                if cancelled():
                    raise Cancelled(f"cancelled: the job {job.url} is deleted")
                phase = job.phase
                if phase in ("COMPLETED", "ERROR", "ABORTED"):
                    break
                if time.monotonic() > deadline:
                    raise IrsaTimeout(f"IRSA's job did not finish within {self.max_wait_s:g} s")
                time.sleep(self.POLL_S)
            if phase != "COMPLETED":
                job.raise_if_error()
                raise IrsaQueryError(f"IRSA's job ended {phase}")
            response = session.get(job.result_uri)
            response.raise_for_status()
            raw = response.content
        except pyvo.dal.DALQueryError as exc:
            raise IrsaQueryError(f"IRSA refused the query: {exc.reason}") from exc
        except (pyvo.dal.DALServiceError, requests.exceptions.RequestException) as exc:
            raise irsa_error(exc, self.read_timeout_s, self.client.url) from exc
        finally:
            if job is not None and job.url is not None:
                delete_job(job.url, self.client.connect_timeout_s)
            session.close()
        return self.client.parse_reply(raw, maxrec, retrieved)


def delete_job(url: str, connect_timeout_s: float = 5.0) -> bool:
    """DELETE a UWS job (IVOA UWS 1.1 §2.2.3.1); True when the service answered. Never raises."""
    import requests

    try:
        return requests.delete(url, timeout=(connect_timeout_s, 10.0), allow_redirects=False).status_code < 500
    except requests.RequestException:
        return False

