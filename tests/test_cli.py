"""The command line, run as a user would: no network, one-line errors, no tracebacks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    offline = {"WISE_TAP_URL": "http://127.0.0.1:9/tap", "WISE_RESOLVE_NAMES_ONLINE": "0"}
    environment = os.environ | offline | (env or {})
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment, timeout=120)


def test_fetch_at2019dsg_offline():
    out = cli("fetch", "AT2019dsg", "--offline")
    assert out.returncode == 0, out.stderr
    assert "neowiser_p1bs_psd: 253 rows from offline archive" in out.stdout
    assert "AllWISE sources in the cone (allwise_p3as_psd): 1" in out.stdout
    assert "selected source:" in out.stdout and "arcsec" in out.stdout
    assert "epochs from allwise_p3as_mep: 26" in out.stdout


def test_fetch_coordinates_offline_with_a_cone_larger_than_recorded():
    out = cli("fetch", "314.2624 +14.2044", "--offline", "--radius", "30")
    assert out.returncode == 0 and "covers only" in out.stdout


@pytest.mark.parametrize("name", ["AT2019dsg", "ASASSN-14li", "Gaia20fnr", "ASASSN-21qj", "AT2018lzs", "AT2018lhv",
                                  "AT2016eix", "HD 73108", "HD 186791", "HD 199101", "ASASSN-15lh"])
def test_every_demo_target_works_offline(name):
    out = cli("fetch", name, "--offline")
    assert out.returncode == 0, out.stderr


def test_unreachable_irsa_falls_back_without_offline_flag(tmp_path):
    out = cli("fetch", "AT2019dsg", env={"WISE_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 0 and "offline archive" in out.stdout and "unreachable" in out.stdout


@pytest.mark.parametrize("args", [("fetch", "not a target !!"), ("fetch", "10 20", "--radius", "-3"),
                                  ("fetch", "10 20", "--radius", "9999")])
def test_bad_input_is_one_line_no_traceback(args):
    out = cli(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bundle_offline(tmp_path):
    path = tmp_path / "out.zip"
    out = cli("bundle", "AT2019dsg", "--offline", "-o", str(path))
    assert out.returncode == 0, out.stderr
    assert "manifest.json" in zipfile.ZipFile(path).namelist()


def test_exit_codes_ok_partial_all_failed_bad_input(tap, tmp_path):
    """0 every table, 3 some tables failed, 1 every table failed, 2 bad input (README)."""
    from tap_server import Fault

    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "c"), "WISE_TIMEOUT_CONNECT_S": "2"}
    assert cli("fetch", "314.26238 14.20441", "--radius", "2.5", env=env).returncode == 0
    tap.faults["neowiser_p1bs_psd"] = Fault(http_status=500)
    partial = cli("fetch", "314.26238 14.20441", "--radius", "2.4", env=env)
    assert partial.returncode == 3 and "neowiser_p1bs_psd: FAILED" in partial.stdout
    for table in ("allwise_p3as_psd", "allwise_p3as_mep"):
        tap.faults[table] = Fault(http_status=500)
    none = cli("bundle", "314.26238 14.20441", "--radius", "2.3", "-o", str(tmp_path / "x.zip"), env=env)
    assert none.returncode == 1 and not (tmp_path / "x.zip").exists()
    assert cli("fetch", "not a target !!", env=env).returncode == 2


def test_bundle_route_504_when_irsa_does_not_answer(settings, tap):
    from dataclasses import replace

    from dashboard.app import create_app
    from tap_server import Fault

    for table in ("allwise_p3as_psd", "allwise_p3as_mep", "neowiser_p1bs_psd"):
        tap.faults[table] = Fault(hang_s=3.0)  # past the 2 s read timeout of the test settings
    reply = create_app(replace(settings, rate_limit_per_minute=0)).server.test_client().get(
        "/bundle.zip?target=314.26238+14.20441&r=2.5")
    assert reply.status_code == 504 and "allwise_p3as_mep=timeout" in reply.headers["X-WISE-Failures"]


@pytest.mark.parametrize("query", ["target=AT2019dsg&r=2.5&cuts=nb,na&bin=1&gap=50&othr=3&oq=0.9&alpha=2&w4red=1",
                                   "target=HD+73108&r=5&ph=AB&unit=flux&xr=56000,59000&yr=1,2"])
def test_bundle_of_a_page_link_is_the_bytes_the_server_serves(tmp_path, settings, query):
    from dataclasses import replace

    from dashboard.app import create_app

    served = create_app(replace(settings, offline=True)).server.test_client().get("/bundle.zip?" + query)
    assert served.status_code == 200
    path = tmp_path / "view.zip"
    same_server = {"WISE_CACHE_DIR": str(tmp_path / "c"), "WISE_TAP_URL": settings.tap_url}  # the manifest names it
    out = cli("bundle", "--url", query, "--offline", "-o", str(path), env=same_server)
    assert out.returncode == 0, out.stderr
    mine, theirs = zipfile.ZipFile(path), zipfile.ZipFile(io.BytesIO(served.data))
    differ = [n for n in theirs.namelist() if n not in mine.namelist() or mine.read(n) != theirs.read(n)]
    assert mine.namelist() == theirs.namelist() and not differ, (differ, out.stderr)  # which file, if any
    assert path.read_bytes() == served.data


def test_bundle_of_a_bad_link_says_what_to_fix(tmp_path):
    out = cli("bundle", "--url", "target=AT2019dsg&gap=-4", "--offline", "-o", str(tmp_path / "x.zip"))
    assert out.returncode == 2 and "visit gap is 1 to 1000 days" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x.zip").exists()


def test_fetch_with_a_periodogram_prints_each_bands_best_period():
    import re

    out = cli("fetch", "AT2019dsg", "--radius", "2.5", "--offline", "--periodogram")
    assert out.returncode == 0, out.stderr
    for band in ("W1", "W2"):
        line = next(x for x in out.stdout.splitlines() if x.startswith(f"{band} best period"))
        assert re.fullmatch(rf"{band} best period: \d+\.\d{{5}} d \(FAP [0-9.e+-]+, 2\d\d epochs\)(; on .*)?", line)
    # AT2019dsg is a flare, not a periodic source: its W1 peak sits by the visit cadence and is called so
    assert "visit cadence" in out.stdout


def test_fetch_prints_variability_with_its_error_floor_and_the_colour_track():
    out = cli("fetch", "AT2019dsg", "--radius", "2.5", "--offline")
    assert out.returncode == 0, out.stderr
    assert "visits: 20 (gap mode)" in out.stdout
    assert "W1: 20 visits" in out.stdout and "mag error floor (from the scatter within visits)" in out.stdout
    assert "colour-magnitude slope dW1/d(W1-W2): -0.91 +- 0.10 over 20 visits (reddening would give 3.0)" in out.stdout


def test_batch_command_writes_the_bundle_and_says_what_happened(tap, tmp_path):
    """python -m dashboard batch FILE -o OUT.zip on the local TAP server (uploads, UWS jobs): real
    recorded targets and a bad line; exit 3 (a bad line), each line's fate on stderr."""
    listing = tmp_path / "list.csv"
    listing.write_text("id,target,radius\nTDE,AT2019dsg,2.5\nnope,not a target !!,\nhost,192.06346 17.77402,2.5\n")
    env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": str(tmp_path / "c")}
    done = cli("batch", str(listing), "-o", str(tmp_path / "b.zip"), env=env)
    assert done.returncode == 3, done.stderr
    assert "line 3:" in done.stderr and "chunk 0 neowiser_p1bs_psd: done" in done.stderr  # not a terminal: lines
    assert "2 ok, 0 no_source, 0 failed, 1 bad_input" in done.stdout
    names = zipfile.ZipFile(tmp_path / "b.zip").namelist()
    assert "summary.csv" in names and any(n.startswith("targets/0001_TDE/") for n in names)
    missing = cli("batch", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "m.zip"), env=env)
    assert missing.returncode == 2 and "cannot read the list" in missing.stderr and "Traceback" not in missing.stderr


def _readme_commands() -> list[list[str]]:
    """The documented `python -m dashboard …` examples (docs/cli-and-routes.md, all but `serve`),
    split as a shell would."""
    import re
    import shlex

    text = (ROOT / "docs" / "cli-and-routes.md").read_text()
    lines = [ln.split("  #")[0].strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)
             for ln in block.splitlines()]
    return [shlex.split(ln)[3:] for ln in lines if ln.startswith("python -m dashboard ")
            and not ln.startswith("python -m dashboard serve")]


def test_every_readme_example_works_offline(tmp_path):
    """A new user's first commands: each example of the README, with no network, exits 0 and says
    no warning about its own cone (issue 26: the README examples must work offline)."""
    commands = _readme_commands()
    assert len(commands) >= 7
    for args in commands:
        args = [str(tmp_path / a) if a.endswith(".zip") else a for a in args]
        # IRSA unreachable (port 9); the group's database (`batch --tags`) in the test's folder
        out = cli(*args, env={"WISE_CACHE_DIR": str(tmp_path / "cache"), "WISE_DATA_DIR": str(tmp_path / "data")})
        assert out.returncode == 0, (args, out.stdout[-500:], out.stderr[-500:])
        assert "Traceback" not in out.stderr and "reaches beyond it" not in out.stdout, args
