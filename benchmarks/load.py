"""Load test of the group server: N simulated users opening shared links of cached targets and
downloading bundles, against gunicorn (production config) and the local TAP server on 127.0.0.1.

Each user loop: the page (GET /?…), its layout and dependencies, the render callback (the
warm view, as the browser posts it), and every third loop the bundle. Bounded in time.
Prints requests/s, p50/p95/p99 latency, errors, and each worker's resident memory.
Run: python benchmarks/load.py [--users 20] [--workers 2] [--seconds 30]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import asdict
from urllib.parse import quote_plus

import numpy as np
import psutil
import requests

import _common  # noqa: F401  (puts the project and tests/ on sys.path)
from dashboard.ui.urlstate import ViewState, to_query
from servers import start_gunicorn, stop
from tap_server import LocalTap

TARGETS = [("314.26238 14.20441", 2.5), ("192.06346 17.77402", 2.5), ("268.233229 58.636443", 6.0)]


def render_request(deps: list[dict], target: str, radius: float, href: str) -> tuple[str, dict]:
    callback = next(d for d in deps if "sed-graph.figure" in d["output"])
    state = asdict(ViewState(target=target, radius=radius))
    body = {
        "output": callback["output"],
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
                    for o in callback["output"].strip(".").split("...")],
        "inputs": [{"id": "fetched", "property": "data",
                    "value": {"query": {"target": target, "radius": radius}, "fetch_id": "none", "error": None}},
                   {"id": "view-state", "property": "data", "value": state}],
        "changedPropIds": ["view-state.data"],
        "state": [{"id": "url", "property": "href", "value": href}],
    }
    return "/_dash-update-component", body


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--users", type=int, default=20)
    args.add_argument("--workers", type=int, default=2)
    args.add_argument("--seconds", type=float, default=30.0)
    opts = args.parse_args()
    tap = LocalTap().start()
    with tempfile.TemporaryDirectory() as cache:
        env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": cache, "SECRET_KEY": "bench",
               "WEB_CONCURRENCY": str(opts.workers), "WISE_RATE_LIMIT_PER_MINUTE": "1000000",
               "WISE_RESOLVE_NAMES_ONLINE": "0"}
        base, server = start_gunicorn(env)
        try:
            deps = requests.get(base + "/_dash-dependencies", timeout=10).json()
            for target, radius in TARGETS:  # warm the shared cache: the users open cached targets
                requests.get(f"{base}/bundle.zip?target={quote_plus(target)}&r={radius}", timeout=60)
            run(base, deps, opts)
            workers = [p for p in psutil.Process(server.pid).children() if "gunicorn" in " ".join(p.cmdline())]
            rss = ", ".join(f"{p.memory_info().rss / 2**20:.0f} MB" for p in workers)
            print(f"worker resident memory after the run: {rss}")
            print(f"upstream TAP requests during the run (all cache hits expected): {sum(tap.requests.values()) - 9}")
        finally:
            stop(server)
            tap.stop()


def run(base: str, deps: list[dict], opts: argparse.Namespace) -> None:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + opts.seconds

    def user(i: int) -> None:
        nonlocal errors
        session = requests.Session()
        n = 0
        while time.monotonic() < stop:
            target, radius = TARGETS[(i + n) % len(TARGETS)]
            query = to_query(ViewState(target=target, radius=radius))
            path, body = render_request(deps, target, radius, base + "/" + query)
            steps = [("GET", "/" + query, None), ("GET", "/_dash-layout", None),
                     ("GET", "/_dash-dependencies", None), ("POST", path, body)]
            if n % 3 == 0:
                steps.append(("GET", "/bundle.zip" + query, None))
            for method, url, payload in steps:
                start = time.perf_counter()
                try:
                    reply = session.request(method, base + url, json=payload, timeout=60)
                    ok = reply.status_code < 400 and (method != "POST" or b"sed-graph" in reply.content)
                except requests.RequestException:
                    ok = False
                with lock:
                    latencies.append(time.perf_counter() - start)
                    errors += 0 if ok else 1
            n += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(opts.users)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1e3
    print(f"{opts.users} users, {opts.workers} workers x 4 threads, {elapsed:.0f} s: {len(ms)} requests, "
          f"{len(ms) / elapsed:.1f} req/s, p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
          f"p99 {np.percentile(ms, 99):.0f} ms, errors {errors}")


if __name__ == "__main__":
    main()
