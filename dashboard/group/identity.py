"""Who a request is, and whether they are a member of the group.

An identity comes from the OpenID Connect provider's ID token and userinfo (``WISE_AUTH=oidc``) or
from the authenticating proxy's ``X-Forwarded-User``/``X-Forwarded-Email`` headers, believed only
from a peer in ``WISE_TRUSTED_PROXIES`` (``WISE_AUTH=proxy``). Membership: the e-mail is in
``WISE_MEMBERS`` (an address, or ``@domain`` for a whole domain, compared without case), or the
identity's claim named by ``WISE_GROUP_CLAIM`` (``claim:value``) holds the value. An e-mail an
issuer has not verified (``email_verified`` false) never makes a member by the list.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Identity:
    email: str
    name: str = ""
    #: the claims the membership rule may read (OIDC), e.g. {"groups": ["tde-team"]}
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    email_verified: bool = True
    via: str = ""  # oidc or proxy

    @property
    def label(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class Membership:
    """The membership rule of ``WISE_MEMBERS`` and ``WISE_GROUP_CLAIM``."""

    addresses: frozenset[str]
    domains: frozenset[str]
    claim: tuple[str, str] | None

    @classmethod
    def parse(cls, members: str, group_claim: str | None) -> Membership:
        items = [m.strip().lower() for m in members.split(",") if m.strip()]
        claim = None
        if group_claim and ":" in group_claim:
            name, _, value = group_claim.partition(":")
            claim = (name.strip(), value.strip())
        return cls(frozenset(i for i in items if not i.startswith("@")),
                   frozenset(i[1:] for i in items if i.startswith("@")), claim)

    def admits(self, who: Identity | None) -> bool:
        if who is None or not who.email:
            return False
        email = who.email.strip().lower()
        if who.email_verified and (email in self.addresses or email.rpartition("@")[2] in self.domains):
            return True
        if self.claim is not None:
            held = who.claims.get(self.claim[0])
            values = held if isinstance(held, list | tuple) else [held]
            return self.claim[1] in [str(v) for v in values if v is not None]
        return False


def trusted_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``WISE_TRUSTED_PROXIES`` parsed: addresses and CIDRs; a bad entry stops the server, named."""
    out = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SystemExit(f"WISE_TRUSTED_PROXIES: {item!r} is not an address or CIDR") from None
    return tuple(out)


def peer_is_trusted(address: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    if not address:
        return False
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(peer in network for network in networks)
