"""Starting the app's servers on 127.0.0.1 for tests and benchmarks: free ports, gunicorn, waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, tries: int = 200) -> None:
    """Wait until ``url`` answers 200; if it never does, kill ``proc`` and say why."""
    for _ in range(tries):
        try:
            if requests.get(url, timeout=5).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode()[-3000:] if proc.stderr else f"{url} did not start")


def start(args: list[str], env: dict[str, str], health_url: str | None = None) -> subprocess.Popen:
    """A subprocess in the project root with ``env`` added; waits for ``health_url`` if given."""
    proc = subprocess.Popen(args, cwd=ROOT, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if health_url:
        wait_healthy(health_url, proc)
    return proc


def start_gunicorn(env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    """gunicorn with the production config on a free port; returns (base URL, process)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "dashboard.app:server"],
                 {k: v for k, v in env.items() if k != "PORT"} | {"WISE_PORT": str(port), "WISE_HOST": "127.0.0.1"},
                 url + "/healthz")
    return url, proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
