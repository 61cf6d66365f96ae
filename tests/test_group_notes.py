"""The group's notes on a real server, tried as an attacker would (#45 item 5).

The server (``python -m dashboard serve``, offline demo archive, the real AT2019dsg rows) runs
with ``WISE_AUTH=proxy``: ``X-Forwarded-Email`` is believed only from 127.0.0.1 (the stand-in for
the authenticating proxy). Requests go over real sockets, some from a second loopback address,
127.0.0.2, that is not trusted. Identities: ana@example.org and bo@tde.example are members (an
address and a domain), eve@other.org is signed in and not a member, and an anonymous visitor.
"""

from __future__ import annotations

import http.client
import io
import json
import uuid
import zipfile
from dataclasses import replace
from urllib.parse import urlparse

import pytest
import requests

from dashboard.config import Settings
from dashboard.pipeline import observe
from dashboard.web.handover import handover
from servers import free_port, start, stop

ANA, BO, EVE = "ana@example.org", "bo@tde.example", "eve@other.org"
HOSTILE = '<img src=x onerror=alert(1)> =HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cache, data = tmp_path_factory.mktemp("cache"), tmp_path_factory.mktemp("data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"WISE_OFFLINE": "1", "WISE_CACHE_DIR": str(cache), "WISE_DATA_DIR": str(data), "WISE_PORT": str(port),
           "WISE_HOST": "0.0.0.0", "SECRET_KEY": "test-secret", "WISE_AUTH": "proxy",
           "WISE_TRUSTED_PROXIES": "127.0.0.1/32", "WISE_MEMBERS": f"{ANA},@tde.example",
           "WISE_DEV_INSECURE_COOKIES": "1", "WISE_NOTE_WRITES_PER_MINUTE": "12", "WISE_RESOLVE_NAMES_ONLINE": "0"}
    proc = start([__import__("sys").executable, "-m", "dashboard", "serve"], env, url + "/healthz")
    settings = replace(Settings(), offline=True, cache_dir=cache)
    fetch_id = uuid.uuid4().hex  # the view's observations, handed over as the fetch callback does
    handover(settings).put(fetch_id, observe("AT2019dsg", 2.5, settings))
    deps = requests.get(url + "/_dash-dependencies", timeout=10).json()
    yield {"url": url, "port": port, "fetch_id": fetch_id, "deps": deps}
    stop(proc)


class Client:
    """Requests over a socket from ``source`` (127.0.0.2: untrusted), with identity headers as
    given (the proxy's, or forged), and the page's CSRF cookie echoed unless told not to."""

    def __init__(self, server: dict, email: str | None, source: str = "127.0.0.1") -> None:
        self.server, self.email, self.source = server, email, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, *, csrf: bool = True,
                origin: str | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server["port"], timeout=30,
                                                source_address=(self.source, 0))
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.email:
            headers |= {"X-Forwarded-Email": self.email, "X-Forwarded-User": self.email.split("@")[0]}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf and "_csrf_token" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["_csrf_token"]
        if origin:
            headers["Origin"] = origin
        connection.request(method, path, body=body, headers=headers)
        reply = connection.getresponse()
        for value in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
        data = reply.read()
        connection.close()
        return reply.status, dict(reply.headers), data

    def open_page(self) -> None:
        self.request("GET", "/?target=AT2019dsg&r=2.5")  # the page sets the CSRF cookie

    def callback(self, output_has: str, values: dict[str, object], *, trigger: str | None = None,
                 **kwargs: object) -> tuple[int, dict]:
        dep = next(d for d in self.server["deps"] if output_has in d["output"]
                   and (trigger is None or d["inputs"][0]["id"] == trigger))
        body = {"output": dep["output"], "outputs": _outputs(dep["output"]),
                "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
                "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
                "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
        status, _, data = self.request("POST", "/_dash-update-component", json.dumps(body).encode(), **kwargs)
        return status, (json.loads(data) if status == 200 and data else {})


def _outputs(text: str) -> list[dict[str, str]]:
    parts = text.strip(".").split("...")
    return [{"id": p.rpartition(".")[0], "property": p.rpartition(".")[2]} for p in parts]


def view_values(server: dict) -> dict[str, object]:
    return {"fetched.data": {"fetch_id": server["fetch_id"]},
            "view-state.data": {"target": "AT2019dsg", "radius": 2.5}, "notes-refresh.data": 0,
            "url.pathname": "/"}


def shown(client: Client, server: dict) -> dict:
    if "_csrf_token" not in client.cookies:
        client.open_page()  # as a browser has loaded the page before its callbacks run
    status, reply = client.callback("notes-list.children", view_values(server))
    assert status == 200, status
    return reply["response"]


def add(client: Client, server: dict, text: str, tags: list[str], **kwargs: object) -> tuple[int, dict]:
    values = view_values(server) | {"note-add.n_clicks": 1, "note-text.value": text, "note-tags.value": tags,
                                    "note-editing.data": None}
    return client.callback("note-status.children", values, **kwargs)


def test_a_member_adds_a_note_the_other_member_sees_it_and_nobody_else_does(server):
    ana, bo = Client(server, ANA), Client(server, BO)
    ana.open_page()
    status, reply = add(ana, server, "W1 rises in 2019. " + HOSTILE, ["dust echo"])
    assert status == 200 and reply["response"]["note-status"]["children"] == "Added."
    seen = json.dumps(shown(bo, server))
    assert "W1 rises in 2019." in seen and "dust echo" in seen and ANA in seen
    assert json.dumps(HOSTILE)[1:-1] in seen  # a string child: React writes it as text
    for outsider in (Client(server, EVE), Client(server, None), Client(server, ANA, source="127.0.0.2")):
        response = shown(outsider, server)
        assert response["notes-panel"]["style"] == {"display": "none"}
        assert "W1 rises" not in json.dumps(response)


def test_forged_headers_from_an_untrusted_address_write_nothing(server):
    forged = Client(server, ANA, source="127.0.0.2")  # a member's address, sent from outside the proxy
    forged.open_page()
    status, reply = add(forged, server, "forged", [])
    assert status == 200 and "signed-in members" in reply["response"]["note-status"]["children"]
    assert "forged" not in json.dumps(shown(Client(server, BO), server))
    assert forged.request("GET", "/group/lists/any.csv")[0] == 401


def test_outsiders_are_refused_on_every_route(server):
    eve, anonymous = Client(server, EVE), Client(server, None)
    eve.open_page()
    status, reply = add(eve, server, "eve was here", [])
    assert "signed-in members" in reply["response"]["note-status"]["children"]
    assert eve.request("GET", "/bundle.zip?target=AT2019dsg&r=2.5&notes=1")[0] == 403
    assert anonymous.request("GET", "/bundle.zip?target=AT2019dsg&r=2.5&notes=1")[0] == 401
    assert eve.request("GET", "/group/lists/any.csv")[0] == 403
    status, _, body = anonymous.request("GET", "/bundle.zip?target=AT2019dsg&r=2.5")  # the public data, as before
    assert status == 200 and "group_notes.json" not in zipfile.ZipFile(io.BytesIO(body)).namelist()


def test_a_members_bundle_has_the_notes_and_is_never_served_to_another(server):
    ana = Client(server, ANA)
    ana.open_page()
    add(ana, server, "for the bundle", ["AGN"])
    status, headers, body = ana.request("GET", "/bundle.zip?target=AT2019dsg&r=2.5&notes=1")
    assert status == 200 and "no-store" in headers.get("Cache-Control", "")
    files = zipfile.ZipFile(io.BytesIO(body))
    notes = json.loads(files.read("group_notes.json"))
    assert notes["exported_by"] == ANA and "for the bundle" in [n["text"] for n in notes["notes"]]
    assert json.loads(files.read("manifest.json"))["group_notes"]["count"] == len(notes["notes"])
    assert Client(server, EVE).request("GET", "/bundle.zip?target=AT2019dsg&r=2.5&notes=1")[0] == 403


def test_cross_site_writes_are_refused(server):
    ana = Client(server, ANA)
    ana.open_page()
    assert add(ana, server, "no token", [], csrf=False)[0] == 403
    assert add(ana, server, "other site", [], origin="http://evil.example")[0] == 403
    assert "no token" not in json.dumps(shown(ana, server))


def test_a_member_editing_anothers_note_adds_a_version_and_loses_nothing(server):
    ana, bo = Client(server, ANA), Client(server, BO)
    ana.open_page()
    bo.open_page()
    add(ana, server, "ana's first reading", [])
    listed = json.dumps(shown(bo, server))
    thread = listed.split('"thread": "')[1].split('"')[0] if '"thread": "' in listed else None
    assert thread
    values = view_values(server) | {"note-add.n_clicks": 1, "note-text.value": "bo's reading", "note-tags.value": [],
                                    "note-editing.data": {"thread": thread, "version": 1}}
    status, reply = bo.callback("note-status.children", values)
    assert status == 200 and reply["response"]["note-status"]["children"].startswith("Saved")
    after = json.dumps(shown(ana, server))
    assert "bo's reading" in after and BO in after and "ana's first reading" in after  # in the history


def test_writes_are_limited_per_member(server):
    bo = Client(server, BO)
    bo.open_page()
    said = [add(bo, server, f"note {i}", [])[1]["response"]["note-status"]["children"] for i in range(14)]
    assert "At most 12 note and list writes a minute" in said[-1]


def test_settings_that_cannot_be_safe_are_refused_at_start():
    assert "WISE_TRUSTED_PROXIES" in replace(Settings(), auth="proxy", members="a@b").auth_problem()
    assert "SECRET_KEY" in replace(Settings(), auth="oidc", members="a@b", oidc_issuer="https://x",
                                   oidc_client_id="c").auth_problem()
    assert "nobody is a member" in replace(Settings(), auth="proxy", trusted_proxies="10.0.0.1").auth_problem()
    insecure = replace(Settings(), secret_key="s", insecure_cookies=True)
    assert "WISE_DEV_INSECURE_COOKIES" in insecure.production_problem()
    assert urlparse("http://127.0.0.1").hostname == "127.0.0.1"


def test_a_tagged_batch_is_for_members_only(server):
    """A member runs a batch whose summary carries the group's tags (the offline demo's
    AT2019dsg); its summary and page are refused to an outsider, an anonymous visitor and forged
    headers; an outsider cannot start one."""
    import time

    ana = Client(server, ANA)
    ana.open_page()
    add(ana, server, "tagged for the batch", ["needs spectrum"])
    values = {"batch-run.n_clicks": 1, "batch-text.value": "AT2019dsg", "batch-radius.value": "2.5",
              "batch-service.value": "tap", "batch-flare.value": [], "batch-tags.value": ["on"]}
    status, reply = ana.callback("url.pathname", values, trigger="batch-run")
    assert status == 200, reply
    path = reply["response"]["url"]["pathname"]
    assert path.startswith("/batch/")
    for _ in range(120):
        status, _, body = ana.request("GET", path + "/summary.csv")
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200 and "tags" in body.decode().splitlines()[0] and "needs spectrum" in body.decode()
    for _ in range(240):  # the bundle's own summary.csv carries the tags too
        status, _, zipped = ana.request("GET", path + "/bundle.zip")
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200 and "needs spectrum" in zipfile.ZipFile(io.BytesIO(zipped)).read("summary.csv").decode()
    assert Client(server, EVE).request("GET", path + "/bundle.zip")[0] == 403
    eve, anonymous, forged = Client(server, EVE), Client(server, None), Client(server, ANA, source="127.0.0.2")
    assert eve.request("GET", path + "/summary.csv")[0] == 403
    assert anonymous.request("GET", path + "/summary.csv")[0] == 401
    assert forged.request("GET", path + "/summary.csv")[0] == 401
    eve.open_page()
    status, reply = eve.callback("batch-progress.children", {"url.pathname": path, "batch-poll.n_intervals": 1,
                                                             "batch-shown.data": None}, trigger="url")
    assert "tagged for the batch" not in json.dumps(reply) and "needs spectrum" not in json.dumps(reply)
    assert "sign in as a member" in json.dumps(reply)
    status, reply = eve.callback("url.pathname", values, trigger="batch-run")
    assert "signed-in members" in json.dumps(reply)
