"""Who is asking: sign-in for the group's server (``WISE_AUTH``), on Flask, before any route.

* ``none`` (the default): nobody is signed in; the group's notes are neither stored nor shown.
* ``oidc``: OpenID Connect through Authlib (the issuer's discovery document, the authorization
  code flow with PKCE and a nonce, the ID token checked by Authlib): ``/login`` goes to the
  issuer, ``/auth/callback`` comes back with the identity into the signed session cookie,
  ``/logout`` clears it.
* ``proxy``: an authenticating proxy (oauth2-proxy, say) in front sets ``X-Forwarded-User`` and
  ``X-Forwarded-Email``; they are believed only on connections from ``WISE_TRUSTED_PROXIES``.

Whatever the mode, those two headers are removed from every request whose peer is not a trusted
proxy, before anything reads them. Session cookies are ``Secure`` (unless the development switch
``WISE_DEV_INSECURE_COOKIES``, refused in production), ``HttpOnly`` and ``SameSite=Lax``.

Writes by a signed-in member (Dash's callbacks, the group's routes) are checked against
cross-site requests: the ``Origin`` header, when sent, must be this server's, and the
``X-CSRFToken`` header must equal the ``_csrf_token`` cookie (a double-submit token; Dash's
renderer sends that header from that cookie on every callback).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, abort, g, redirect, request, session, url_for

from dashboard.config import Settings
from dashboard.group.identity import Identity, Membership, peer_is_trusted, trusted_networks

IDENTITY_HEADERS = ("X-Forwarded-User", "X-Forwarded-Email")
CSRF_COOKIE, CSRF_HEADER = "_csrf_token", "X-CSRFToken"
#: The requests whose writes are checked (Dash's callbacks, the group's routes).
WRITES = ("/_dash-update-component", "/group/")


@dataclass(frozen=True)
class Caller:
    """The request's identity (None: anonymous) and whether it is a member of the group."""

    identity: Identity | None
    member: bool

    @property
    def email(self) -> str:
        return self.identity.email if self.identity else ""


ANONYMOUS = Caller(None, False)


def caller() -> Caller:
    """The current request's caller (anonymous outside a request, or before ``install``)."""
    try:
        return g.get("caller", ANONYMOUS)
    except RuntimeError:  # no request context (a background job): nobody
        return ANONYMOUS


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mode = settings.auth
        self.membership = Membership.parse(settings.members, settings.group_claim)
        self.trusted = trusted_networks(settings.trusted_proxies)
        self.oauth: Any = None

    def install(self, server: Flask) -> None:
        server.config.update(SESSION_COOKIE_SECURE=not self.settings.insecure_cookies, SESSION_COOKIE_HTTPONLY=True,
                             SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="wise_session")
        server.before_request(self._identify)
        server.after_request(self._csrf_cookie)
        if self.mode == "oidc":
            self._oidc_routes(server)
        server.add_url_rule("/logout", "logout", self._logout)

    # ---- every request ----
    def _identify(self) -> Response | None:
        trusted_peer = peer_is_trusted(request.remote_addr, self.trusted)
        if not trusted_peer:  # forged identity headers are dropped before anything reads them
            for header in IDENTITY_HEADERS:
                request.environ.pop("HTTP_" + header.upper().replace("-", "_"), None)
        who = self._identity(trusted_peer)
        g.caller = Caller(who, self.membership.admits(who))
        if g.caller.identity is not None and request.method == "POST" and request.path.startswith(WRITES):
            return self._check_cross_site()
        return None

    def _identity(self, trusted_peer: bool) -> Identity | None:
        if self.mode == "proxy" and trusted_peer:
            email = request.headers.get("X-Forwarded-Email", "").strip()
            user = request.headers.get("X-Forwarded-User", "").strip()
            return Identity(email=email or user, name=user, via="proxy") if (email or user) else None
        if self.mode == "oidc":
            saved = session.get("identity")
            if isinstance(saved, dict) and saved.get("email"):
                return Identity(email=str(saved["email"]), name=str(saved.get("name", "")),
                                claims=dict(saved.get("claims", {})),
                                email_verified=bool(saved.get("email_verified", True)), via="oidc")
        return None

    def _check_cross_site(self) -> Response | None:
        origin = request.headers.get("Origin")
        if origin and urlparse(origin).netloc != request.host:
            abort(403, description="a write from another site is refused (Origin)")
        token, cookie = request.headers.get(CSRF_HEADER, ""), request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(token, cookie):
            abort(403, description="a write without this page's CSRF token is refused")
        return None

    def _csrf_cookie(self, response: Response) -> Response:
        if self.mode != "none" and not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), secure=not self.settings.insecure_cookies,
                                httponly=False, samesite="Strict")  # read by Dash's renderer: never HttpOnly
        return response

    # ---- OpenID Connect ----
    def _oidc_routes(self, server: Flask) -> None:
        from authlib.integrations.flask_client import OAuth

        self.oauth = OAuth(server)
        self.oauth.register(
            "oidc", client_id=self.settings.oidc_client_id, client_secret=self.settings.oidc_client_secret,
            server_metadata_url=f"{(self.settings.oidc_issuer or '').rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={"scope": self.settings.oidc_scopes, "code_challenge_method": "S256"})
        server.add_url_rule("/login", "login", self._login)
        server.add_url_rule("/auth/callback", "auth_callback", self._callback)

    def _login(self) -> Any:
        session["next"] = _local(request.args.get("next", "/"))
        return self.oauth.oidc.authorize_redirect(url_for("auth_callback", _external=True))

    def _callback(self) -> Any:
        try:
            token = self.oauth.oidc.authorize_access_token()
        except Exception as exc:  # noqa: BLE001 - any failure of the exchange: told, never a traceback
            abort(400, description=f"sign-in failed ({type(exc).__name__}); try again")
        info = dict(token.get("userinfo") or {})
        if not info.get("email"):
            abort(403, description="the issuer gave no e-mail address: ask for the `email` scope")
        claim = self.membership.claim[0] if self.membership.claim else None
        back = _local(session.get("next", "/"))
        session.clear()  # a fresh session for the signed-in identity (no fixation)
        session["identity"] = {"email": info["email"], "name": info.get("name", ""),
                               "email_verified": info.get("email_verified", True) is not False,
                               "claims": {claim: info.get(claim)} if claim else {}}
        return redirect(back)

    def _logout(self) -> Any:
        session.clear()
        if self.mode == "proxy":  # the proxy holds the sign-in: its own sign-out ends it
            return redirect("/oauth2/sign_out")
        return redirect("/")


def _local(target: str | None) -> str:
    """Only a path on this server (never another site: an open redirect)."""
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (target or "/").startswith("/") or (target or "").startswith("//"):
        return "/"
    return target or "/"


def require_member() -> Caller:
    """The caller, when a member; else the request ends: 401 anonymous, 403 signed in, not a member."""
    who = caller()
    if who.identity is None:
        abort(401, description="sign in as a member of the group to see its notes")
    if not who.member:
        abort(403, description="the group's notes are for its members")
    return who
