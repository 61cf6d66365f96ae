"""Several hosts: a real redis-server, a Celery worker and two gunicorn 'hosts' (separate cache
directories, one Redis), all started here on 127.0.0.1. The page is opened in headless Chromium
so the background fetch runs through Celery."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

from servers import free_port, server_log, start, start_gunicorn, stop

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BUNDLE = "/bundle.zip?target=314.26238+14.20441&r=2.5"


pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def wait_celery_ready(redis_url: str, worker: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Block until the Celery worker answers a ping through the broker (it once timed out cold)."""
    from celery import Celery

    probe = Celery("probe", broker=redis_url, backend=redis_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited: " + server_log(worker)[-2000:])
        if probe.control.ping(timeout=1.0):
            return
    raise RuntimeError(f"the Celery worker did not answer a ping within {timeout_s:g} s")


@pytest.fixture(scope="module")
def cluster(tap_server, tmp_path_factory):
    redis_port = free_port()
    redis = subprocess.Popen([REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", redis_port)) == 0:
                break
        time.sleep(0.1)
    common = {"REDIS_URL": redis_url, "SECRET_KEY": "cluster-secret", "WISE_TAP_URL": tap_server.url,
              "WISE_RESOLVE_NAMES_ONLINE": "0", "WISE_RATE_LIMIT_PER_MINUTE": "1000"}
    worker = start([sys.executable, "-m", "celery", "-A", "dashboard.worker", "worker", "--concurrency=2",
                    "--loglevel=warning"], common | {"WISE_CACHE_DIR": str(tmp_path_factory.mktemp("worker"))})
    wait_celery_ready(redis_url, worker)
    hosts = [start_gunicorn(common | {"WISE_CACHE_DIR": str(tmp_path_factory.mktemp(name))}) for name in "ab"]
    yield {"hosts": [url for url, _ in hosts], "redis_url": redis_url}
    for proc in (*(p for _, p in hosts), worker, redis):
        stop(proc)


def cache_states(reply: requests.Response) -> set[str]:
    """How each table was served (the X-WISE-Cache header; the zip itself describes only the data)."""
    return {part.split("=")[1] for part in reply.headers["X-WISE-Cache"].split(", ")}


def test_a_target_fetched_on_one_host_is_a_cache_hit_on_the_other(cluster, tap_server):
    tap_server.requests.clear()
    host_a, host_b = cluster["hosts"]
    first = requests.get(host_a + BUNDLE, timeout=60)
    assert first.status_code == 200 and cache_states(first) == {"live"}
    second = requests.get(host_b + BUNDLE, timeout=60)
    assert cache_states(second) == {"hit"}
    assert sum(tap_server.requests.values()) == 3


def test_rate_limit_counts_across_hosts(cluster):
    import redis

    client = redis.Redis.from_url(cluster["redis_url"])
    keys = [k for k in client.scan_iter("wise:rate:*")]
    assert keys  # the counters live in Redis, shared by every host


def test_page_renders_with_background_fetch_on_celery(cluster):
    import redis
    from playwright.sync_api import sync_playwright

    client = redis.Redis.from_url(cluster["redis_url"])
    before = len(list(client.scan_iter("celery-task-meta-*")))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(cluster["hosts"][1] + "/?target=192.06346+17.77402&r=2.5")
        page.wait_for_function("(t) => (document.querySelector('#share-url') || {}).value?.includes(t)",
                               arg="target=192.06346", timeout=60_000)
        assert page.locator("#sed-graph .scatterlayer .point").count() == 4 + 3  # WISE and its 2MASS association
        assert page.locator("#lc-graph .scatterlayer .point").count() > 100
        browser.close()
    assert len(list(client.scan_iter("celery-task-meta-*"))) > before  # the fetch ran as a Celery task
