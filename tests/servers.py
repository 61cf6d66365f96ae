"""Starting the app's servers on 127.0.0.1 for tests and benchmarks: free ports, gunicorn, waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
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
    raise RuntimeError(server_log(proc)[-3000:] or f"{url} did not start")


def server_log(proc: subprocess.Popen) -> str:
    """What a process started by ``start`` wrote to stderr so far."""
    log = getattr(proc, "log_file", None)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def start(args: list[str], env: dict[str, str], health_url: str | None = None) -> subprocess.Popen:
    """A subprocess in the project root with ``env`` added; waits for ``health_url`` if given.
    Its stderr goes to a temporary file, never an unread pipe: a server that logs every request
    would fill a pipe's 64 kB and then hang on its next log line."""
    keep = os.environ.get("WISE_TEST_SERVER_LOGS")  # a folder: keep each server's log there (debugging)
    log = (tempfile.NamedTemporaryFile(dir=keep, prefix=Path(args[-1]).name + "-", suffix=".log", delete=False)
           if keep else tempfile.TemporaryFile())
    proc = subprocess.Popen(args, cwd=ROOT, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log_file = log  # type: ignore[attr-defined]
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


def send(handler, status: int, body: bytes, kind: str) -> None:  # noqa: ANN001 (a BaseHTTPRequestHandler)
    """One whole reply of a stand-in; a client that hung up meanwhile is not an error."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


class LocalHttp:
    """A stand-in service on 127.0.0.1 with a free port, served from a thread: subclasses give
    ``_handler()`` (their protocol); ``base`` is http://127.0.0.1:<port>."""

    def __init__(self) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type:
        raise NotImplementedError

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):  # noqa: ANN201 - returns the subclass
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
