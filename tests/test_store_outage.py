"""Redis (the shared store of several hosts) goes down and comes back: clear 503s, a liveness
check that stays 200 and says so, a readiness check that fails, and recovery by itself."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import replace

import pytest

from dashboard.app import create_app
from servers import free_port

pytestmark = [pytest.mark.cluster]
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
BUNDLE = "/bundle.zip?target=314.26238+14.20441&r=2.5"


def start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def test_redis_down_then_back(settings, tap):
    port = free_port()
    redis = start_redis(port)
    client = create_app(replace(settings, redis_url=f"redis://127.0.0.1:{port}/0")).server.test_client()
    try:
        assert client.get(BUNDLE).status_code == 200
        assert client.get("/readyz").status_code == 200
        redis.kill()
        redis.wait()
        started = time.monotonic()
        down = client.get(BUNDLE)
        assert down.status_code == 503 and b"shared cache is unavailable" in down.data
        assert time.monotonic() - started < 10  # fails fast
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json["shared_store"] == "down"
        assert client.get("/readyz").status_code == 503
        redis = start_redis(port)
        assert client.get("/readyz").status_code == 200
        assert client.get(BUNDLE).status_code == 200  # recovered by itself
    finally:
        redis.kill()
        redis.wait()
