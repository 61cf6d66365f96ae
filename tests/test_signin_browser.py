"""Sign-in with a real OpenID Connect provider on 127.0.0.1, from Chromium (#45 item 6).

The provider is ``oidc-provider-mock`` (PyPI): discovery, the authorization code flow, signed ID
tokens and userinfo, with three users whose ``groups`` claim says who is in the group. The
dashboard runs with ``WISE_AUTH=oidc`` and ``WISE_GROUP_CLAIM=groups:tde-team`` on the offline
demo archive (the real AT2019dsg rows). Two members and an outsider sign in in their own browser
contexts: a note one member adds shows for the other on the same link; the outsider sees none.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from servers import free_port, start, stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(os.environ.get("WISE_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "wise-explorer-screenshots")
USERS = {"ana": {"email": "ana@example.org", "name": "Ana", "groups": ["tde-team"]},
         "bo": {"email": "bo@example.org", "name": "Bo", "groups": ["tde-team", "other"]},
         "eve": {"email": "eve@example.org", "name": "Eve", "groups": ["other"]}}
LINK = "/?target=AT2019dsg&r=2.5"


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    with run_server_in_thread(free_port(), user_claims=users) as srv:
        yield f"http://127.0.0.1:{srv.server_port}"


@pytest.fixture(scope="module")
def app(provider, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start([sys.executable, "-m", "dashboard", "serve"], {
        "WISE_OFFLINE": "1", "WISE_PORT": str(port), "WISE_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        "WISE_DATA_DIR": str(tmp_path_factory.mktemp("data")), "SECRET_KEY": "browser-test", "WISE_AUTH": "oidc",
        "WISE_OIDC_ISSUER": provider, "WISE_OIDC_CLIENT_ID": "wise-explorer", "WISE_OIDC_CLIENT_SECRET": "s3cret",
        "WISE_GROUP_CLAIM": "groups:tde-team", "WISE_OIDC_SCOPES": "openid email profile",
        "WISE_DEV_INSECURE_COOKIES": "1", "AUTHLIB_INSECURE_TRANSPORT": "1", "WISE_RESOLVE_NAMES_ONLINE": "0"},
        url + "/healthz")
    yield url
    stop(proc)


def signed_in(browser, app: str, who: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{app}/login?next={LINK.replace('&', '%26').replace('?', '%3F')}")
    page.click(f"button[name=sub][value={who}]")  # the provider's own sign-in form: its predefined user
    page.wait_for_url(f"{app}/?target=AT2019dsg*", timeout=30_000)
    return context, page


def notes_ready(page) -> None:
    page.wait_for_function("() => { const p = document.querySelector('#notes-panel');"
                           " return p && p.style.display !== 'none' && document.querySelector('#notes-list')"
                           " && document.querySelector('#notes-list').textContent.length > 0; }", timeout=40_000)


def test_members_share_a_note_and_an_outsider_sees_none(browser, app):
    ana_context, ana = signed_in(browser, app, "ana")
    notes_ready(ana)
    assert "ana@example.org" in ana.locator("#who").inner_text()
    ana.fill("#note-text", "W1 and W2 rise together in 2019: a dust echo <b>not bold</b>")
    ana.locator("#note-tags input[value='dust echo']").check()
    ana.click("#note-add")
    ana.wait_for_function("() => document.querySelector('#note-status').textContent === 'Added.'", timeout=20_000)
    ana.fill("#list-name", "TDE hosts")
    ana.click("#list-add")
    ana.wait_for_function("() => document.querySelector('#list-status').textContent.startsWith('Added')",
                          timeout=20_000)
    bo_context, bo = signed_in(browser, app, "bo")
    notes_ready(bo)
    bo.wait_for_function("() => document.querySelector('#notes-list').textContent.includes('a dust echo')",
                         timeout=20_000)
    assert bo.locator("#notes-list b").count() == 0  # the typed markup is text
    assert "<b>not bold</b>" in bo.locator("#notes-list").inner_text()
    assert "TDE hosts" in bo.locator("#list-links").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    bo.locator("#notes-panel").screenshot(path=str(SHOTS / "notes_panel_1440.png"))
    bo.set_viewport_size({"width": 420, "height": 900})
    bo.wait_for_timeout(300)
    bo.locator("#notes-panel").screenshot(path=str(SHOTS / "notes_panel_420.png"))
    bo.set_viewport_size({"width": 1440, "height": 900})
    bo.goto(app + "/batch?list=TDE%20hosts")  # the list as a batch: its targets in the box
    bo.wait_for_function("() => (document.querySelector('#batch-text') || {}).value?.startsWith('target,id')",
                         timeout=20_000)
    assert bo.locator("#batch-tags").is_visible()
    bo.locator("#batch-section").screenshot(path=str(SHOTS / "list_as_batch_1440.png"))
    eve_context, eve = signed_in(browser, app, "eve")
    eve.wait_for_function("() => (document.querySelector('#who') || {}).textContent?.includes('not a member')",
                          timeout=40_000)
    assert not eve.locator("#notes-panel").is_visible()
    assert "a dust echo" not in eve.content()
    eve.goto(app + "/logout")
    eve.wait_for_function("() => (document.querySelector('#who') || {}).textContent === 'Sign in'", timeout=20_000)
    for context in (ana_context, bo_context, eve_context):
        context.close()
