"""Typed failures of the data layer, each with a message a user can read.

``NotCovered`` and the IRSA errors are failures, never "no data": an empty result is returned
as an empty table, not raised.
"""

from __future__ import annotations


class WiseError(Exception):
    """Base of every error the service layer raises on purpose."""


class NotCovered(WiseError):
    """The offline archive has no recording of this table around this position."""


class IrsaError(WiseError):
    """IRSA (or the configured TAP mirror) did not give a usable answer."""

    kind = "error"


class IrsaUnreachable(IrsaError):
    """The connection was refused or could not be made (DNS, network down)."""

    kind = "unreachable"


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
