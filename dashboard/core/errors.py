"""Typed failures of the service layer, each with a message a user can read.

Callers switch on the type (or its ``kind``), never on the message text. ``NotCovered`` and the
IRSA errors are failures, never "no data": an empty result is returned as an empty table.
"""

from __future__ import annotations


class WiseError(Exception):
    """Base of every error the service layer raises on purpose."""

    kind = "error"

    @property
    def data_message(self) -> str:
        """What failed, without how this delivery noticed it (asked now, or remembered from an
        earlier try): the words a bundle records, the same on every download of the same data."""
        return str(self)


class ComputationFailed(WiseError):
    """An optional computation of a view (the periodogram) failed: its own panel says so with
    ``reason``; the rest of the view stands."""

    kind = "computation_failed"

    def __init__(self, computation: str, reason: str) -> None:
        super().__init__(f"the {computation} could not be computed ({reason})")
        self.computation = computation
        self.reason = reason


class NotCovered(WiseError):
    """The offline archive has no recording of this table around this position."""

    kind = "not_covered"


class ServerBusy(WiseError):
    """This server's own limits refused the request (all upstream-query slots are taken)."""

    kind = "busy"


class Cancelled(WiseError):
    """The user cancelled while this waited or ran (a batch's UWS job, deleted; a wait for an
    upstream slot, given up)."""

    kind = "cancelled"


class StoreUnavailable(WiseError):
    """The store the workers and hosts share (Redis) cannot be reached: the host is not ready."""

    kind = "store"


class IrsaError(WiseError):
    """IRSA (or the configured TAP mirror) did not give a usable answer."""

    kind = "irsa"


class IrsaUnreachable(IrsaError):
    """The connection was refused or could not be made (DNS, network down)."""

    kind = "unreachable"

    def __init__(self, reason: str, *, remembered: bool = False) -> None:
        super().__init__(reason + (" (remembered; retrying soon)" if remembered else ""))
        self.reason, self.remembered = reason, remembered

    def __reduce__(self) -> tuple:  # picklable with its keyword
        return (_unreachable, (type(self), self.reason, self.remembered))

    @property
    def data_message(self) -> str:
        return self.reason

    def offline_note(self) -> str:
        """The one wording the page and the bundle use for answering from the offline archive: the
        same whether this table found IRSA unreachable itself or was told by an earlier one."""
        return f"IRSA is unreachable ({self.reason}); showing the offline archive."


def _unreachable(cls: type[IrsaUnreachable], reason: str, remembered: bool) -> IrsaUnreachable:
    return cls(reason, remembered=remembered)


class NotRecordedOffline(IrsaUnreachable):
    """IRSA is unreachable and the offline archive has no recording of this table here: both
    causes kept, so the page tells the first once and the second per table."""

    def __init__(self, unreachable: IrsaUnreachable, missing: NotCovered) -> None:
        super().__init__(unreachable.reason, remembered=unreachable.remembered)
        self.args = (f"{unreachable}; {missing}",)
        self.unreachable, self.missing = unreachable, missing

    @property
    def data_message(self) -> str:
        return f"{self.unreachable.reason}; {self.missing}"

    def __reduce__(self) -> tuple:  # picklable (results are handed between processes)
        return (NotRecordedOffline, (self.unreachable, self.missing))


class IrsaTimeout(IrsaError):
    """The service did not answer within the table's timeout."""

    kind = "timeout"


class IrsaHttpError(IrsaError):
    """The service answered with an HTTP error status."""

    kind = "http"


class IrsaQueryError(IrsaError):
    """The service answered with a VOTable whose QUERY_STATUS is ERROR."""

    kind = "query"


class IrsaMalformedReply(IrsaError):
    """The reply was cut short or is not a readable VOTable."""

    kind = "malformed"


class ServiceError(WiseError):
    """A service of the sky context (IRSA's SIA, SIMBAD, the Gaia archive) gave no usable answer.

    Kept apart from the IRSA TAP errors: such a failure never sends the WISE tables to the offline
    archive, and it is told in the sky-context panel only. ``service`` is its name as shown."""

    kind = "service"

    def __init__(self, service: str, detail: str, noticed: str = "") -> None:
        super().__init__(f"{service} {detail}" + (f" ({noticed})" if noticed else ""))
        self.service, self.detail, self.noticed = service, detail, noticed

    def __reduce__(self) -> tuple:  # picklable (results are handed between processes)
        return (type(self), (self.service, self.detail, self.noticed))

    @property
    def data_message(self) -> str:
        return f"{self.service} {self.detail}"


class ServiceTimeout(ServiceError):
    kind = "timeout"


class ServiceHttpError(ServiceError):
    kind = "http"


class ServiceUnreachable(ServiceError):
    kind = "unreachable"


class ServiceMalformedReply(ServiceError):
    kind = "malformed"


class ServiceQueryError(ServiceError):
    kind = "query"


class ServiceOffline(ServiceError):
    """The app runs offline (``WISE_OFFLINE``): this service is not asked at all."""

    kind = "offline"


class ParquetError(WiseError):
    """IRSA's Parquet catalogs (``archive/parquet.py``) could not be read: the root is unreachable,
    a dataset is not where IRSA's layout puts it, or its schema lacks a column this app reads.
    Told apart from "no rows here": a pixel with no file is simply empty, never this."""

    kind = "parquet"


class ParquetSchemaMismatch(ParquetError):
    """A dataset's schema (its ``_common_metadata``) lacks columns the cuts or the analysis read."""

    kind = "parquet_schema"

    def __init__(self, dataset: str, missing: tuple[str, ...]) -> None:
        super().__init__(f"the Parquet dataset {dataset} has no column {', '.join(missing)}: the quality cuts and "
                         "the analysis read them (give a root whose datasets hold IRSA's columns, or use "
                         "--service tap)")
        self.dataset, self.missing = dataset, missing

    def __reduce__(self) -> tuple:  # picklable (raised on a Dask worker, re-raised on the client)
        return (type(self), (self.dataset, self.missing))


class ClusterUnavailable(WiseError):
    """The Dask cluster (``--scheduler`` / ``WISE_DASK_SCHEDULER``) could not be reached or started."""

    kind = "cluster"


class ClusterNotReady(ClusterUnavailable):
    """The cluster answers but cannot run the work: its scheduler or a worker cannot import this
    package, or runs another version of it (``batch/cluster.check_cluster``)."""

    kind = "cluster-not-ready"
