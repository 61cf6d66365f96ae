"""Object names -> positions through CDS Sesame, at a configurable URL with a timeout.

Sesame's documented plain-text interface: ``GET <url>/-oI/A?<name>`` answers one block per
database it tried; a resolved name has a line ``%J <ra> <dec> ...`` (ICRS degrees). A name no
database knows has no ``%J`` line. The two failures are told apart: ``UnknownName`` (Sesame
answered, nobody knows the name) and ``ResolverUnreachable`` (no usable answer in time). The
default URL is the CDS mirror astropy uses; ``WISE_SESAME_URL`` points elsewhere (a mirror, or the
tests' stand-in on 127.0.0.1).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from dashboard.core.targets import TargetError

_J = re.compile(r"^%J\s+([-+]?\d+(?:\.\d*)?)\s+([-+]?\d+(?:\.\d*)?)", re.MULTILINE)


class UnknownName(TargetError):
    """Sesame answered, and no database it asked knows this name."""


class ResolverUnreachable(TargetError):
    """Sesame gave no usable answer in time: the name may be fine, try again or give coordinates."""


class SesameResolver:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def __call__(self, name: str) -> tuple[float, float]:
        import requests  # only when a name is resolved online

        try:
            reply = requests.get(f"{self.url}/-oI/A?{quote(name)}", timeout=(min(5.0, self.timeout_s), self.timeout_s),
                                 headers={"User-Agent": "wise-explorer"})
            reply.raise_for_status()
        except requests.RequestException as exc:
            raise ResolverUnreachable(
                f"The name resolver (Sesame) could not be reached ({type(exc).__name__}); "
                "try again, or give coordinates or an AllWISE designation.") from None
        match = _J.search(reply.text)
        if match is None:
            raise UnknownName(f"Sesame does not know the name {name[:60]!r}; check the spelling, or give "
                              "coordinates or an AllWISE designation.")
        return float(match.group(1)), float(match.group(2))
