"""The new user's first hour, in the environment a user has: ``.venv-runtime``, built from
``requirements.txt`` alone (``scripts/test.sh`` makes it; this module makes it when run alone),
never the dev list. The periodogram broke in exactly that environment (astropy's false-alarm
probability imports scipy, which only the dev list brought in) while every test passed.

Served offline as the README says (``serve --offline``), on the real recorded rows of the demo
archive: every demo target the page offers, the periodogram and a fold, a bundle, and a batch of
five demo targets; the same from the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import requests

from servers import ROOT, free_port, start, stop

DEMO_FIVE = "AT2019dsg\nASASSN-14li\nHD 73108\nGaia20fnr\nASASSN-21qj\n"


@pytest.fixture(scope="module")
def runtime_python() -> str:
    given = os.environ.get("WISE_RUNTIME_PYTHON")
    if given:
        return given
    subprocess.run(["bash", "-c", "source scripts/venv.sh requirements.txt .venv-runtime"], cwd=ROOT, check=True)
    return str(ROOT / ".venv-runtime" / "bin" / "python")


def _cli(runtime_python: str, tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "WISE_CACHE_DIR": str(tmp_path / "cache"),
           "WISE_RESOLVE_NAMES_ONLINE": "0"}
    return subprocess.run([runtime_python, "-m", "dashboard", *args], cwd=tmp_path, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_the_runtime_environment_is_requirements_txt_alone(runtime_python):
    probe = ("import importlib.util as u; print(' '.join(m for m in ('pytest', 'playwright', 'hypothesis', 'mypy') "
             "if u.find_spec(m)))")
    found = subprocess.run([runtime_python, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert found == [], f"dev packages in the user's environment: {found}"


def test_cli_fetch_with_a_periodogram(runtime_python, tmp_path):
    done = _cli(runtime_python, tmp_path, "fetch", "AT2019dsg", "--offline", "--radius", "2.5", "--periodogram")
    assert done.returncode == 0, done.stderr
    assert "W1 best period:" in done.stdout and "W2 best period:" in done.stdout and "FAP" in done.stdout
    assert "Traceback" not in done.stderr


def test_cli_bundle_of_a_link_with_the_periodogram(runtime_python, tmp_path):
    done = _cli(runtime_python, tmp_path, "bundle", "--url", "target=AT2019dsg&r=2.5&pg=1", "--offline",
                "-o", "view.zip")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "view.zip") as z:
        assert {"periodogram_w1.csv", "periodogram_w2.csv"} <= set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["periodogram"]["W1"]["best_period_d"] > 0


def test_cli_batch_of_five_demo_targets_offline(runtime_python, tmp_path):
    done = _cli(runtime_python, tmp_path, "batch", "-", "--offline", "--radius", "4", "-o", "batch.zip",
                stdin=DEMO_FIVE)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "batch.zip") as z:
        table = pd.read_csv(io.BytesIO(z.read("summary.csv")))
    assert table["input"].tolist() == DEMO_FIVE.split()[:2] + ["HD 73108"] + DEMO_FIVE.split()[-2:]
    assert (table["status"] == "ok").sum() >= 3 and "failed" not in set(table["status"])


@pytest.fixture(scope="module")
def runtime_app(runtime_python, tmp_path_factory):
    """The app as the README serves it (``serve --offline``), from the user's environment."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start([runtime_python, "-m", "dashboard", "serve", "--offline", "--port", str(port)],
                 {"WISE_CACHE_DIR": str(tmp_path_factory.mktemp("runtime-cache")), "WISE_RESOLVE_NAMES_ONLINE": "0"},
                 url + "/healthz")
    yield url
    stop(proc)


def test_the_bundle_route_with_the_periodogram(runtime_app):
    reply = requests.get(runtime_app + "/bundle.zip?target=AT2019dsg&r=2.5&pg=1&fold=best", timeout=120)
    assert reply.status_code == 200, reply.text[:500]
    assert "periodogram_w1.csv" in zipfile.ZipFile(io.BytesIO(reply.content)).namelist()


@pytest.mark.browser
@pytest.mark.slow
def test_the_new_users_pass_in_the_browser(browser, runtime_app):
    """Every demo target the empty page offers renders without the view's failure message; the
    periodogram and a fold render from a link; a batch of five demo targets runs on the page."""
    from test_browser import SHOTS, wait_rendered

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(runtime_app + "/")
    page.wait_for_selector("#welcome a")
    demos = [a.get_attribute("href") for a in page.locator("#welcome a.demo").all()]
    assert len(demos) >= 5
    for href in demos:
        page.goto(runtime_app + "/" + href.lstrip("/"))
        wait_rendered(page, timeout=60_000)
        assert "Something went wrong" not in page.inner_text("body"), href
    page.goto(runtime_app + "/?target=AT2019dsg&r=2.5&pg=1&fold=best")
    page.wait_for_function("() => (document.querySelector('#fold-graph .gtitle') || {}).textContent"
                           "?.includes('folded at P =')", timeout=60_000)
    assert "W1 best period" in page.text_content("#pg-graph .gtitle")
    assert "Something went wrong" not in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "new_user_periodogram.png"), full_page=True)
    page.goto(runtime_app + "/batch")
    page.wait_for_selector("#batch-section", state="visible")
    page.fill("#batch-text", DEMO_FIVE)
    page.fill("#batch-radius", "4")
    page.click("#batch-run")
    page.wait_for_function("() => document.querySelector('#batch-progress').textContent.includes('Done')",
                           timeout=90_000)
    page.wait_for_function("() => document.querySelectorAll('#batch-table .ag-center-cols-container .ag-row')"
                           ".length === 5", timeout=20_000)
    assert "\nok\n" in page.locator("#batch-table").inner_text()
    page.locator("#batch-section").screenshot(path=str(SHOTS / "new_user_batch.png"))
    assert errors == []
    context.close()
