"""Load test of the group server: N simulated users opening shared links of cached targets and
downloading bundles, against gunicorn (the README's configuration: 2 workers x 4 threads) and
the local TAP server on 127.0.0.1, with workers recycled during the run.

Each target is fetched once through the page's background fetch; then each user loop is the page
(GET /?…), its layout and dependencies, the render callback of that fetched view (the warm view,
as the browser posts it; a reply without the light-curve figure counts as an error), and every
third loop the bundle. A dropped connection is an error (never retried). Bounded in time.
Prints requests/s, p50/p95/p99 latency, errors, recycled workers and each worker's memory.
Run: python benchmarks/load.py [--users 20] [--workers 2] [--seconds 30] [--max-requests 300]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import asdict

import numpy as np
import psutil
import requests

from _common import fetch_through_page, render_body
from dashboard.ui.urlstate import ViewState, to_query
from servers import start_gunicorn, stop
from tap_server import LocalTap

TARGETS = [("314.26238 14.20441", 2.5), ("192.06346 17.77402", 2.5), ("268.233229 58.636443", 6.0)]


def main() -> dict[str, float]:
    args = argparse.ArgumentParser()
    args.add_argument("--users", type=int, default=20)
    args.add_argument("--workers", type=int, default=2)
    args.add_argument("--seconds", type=float, default=30.0)
    args.add_argument("--max-requests", type=int, default=1000, help="recycle workers by count (0: off, the default)")
    opts = args.parse_args()
    return run_load(opts.users, opts.workers, opts.seconds, opts.max_requests)


def run_load(users: int, workers: int, seconds: float, max_requests: int) -> dict[str, float]:
    opts = argparse.Namespace(users=users, workers=workers, seconds=seconds)
    tap = LocalTap().start()
    with tempfile.TemporaryDirectory() as cache:
        env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": cache, "SECRET_KEY": "bench",
               "WEB_CONCURRENCY": str(opts.workers), "WISE_RATE_LIMIT_PER_MINUTE": "1000000",
               "WISE_RESOLVE_NAMES_ONLINE": "0", "WISE_MAX_REQUESTS": str(max_requests)}
        base, server = start_gunicorn(env)
        try:
            deps = requests.get(base + "/_dash-dependencies", timeout=10).json()
            session = requests.Session()
            fetched = {t: fetch_through_page(base, session, *t) for t in TARGETS}  # the links' views
            upstream = sum(tap.requests.values())
            pids: set[int] = set()
            result = run(base, deps, opts, fetched, server.pid, pids)
            alive = [p for p in psutil.Process(server.pid).children() if "gunicorn" in " ".join(p.cmdline())]
            rss = ", ".join(f"{p.memory_info().rss / 2**20:.0f} MB" for p in alive)
            print(f"workers seen: {len(pids)} ({len(pids) - workers} recycled during the run); "
                  f"resident memory after the run: {rss}")
            print(f"upstream TAP requests during the run (all cache hits expected): "
                  f"{sum(tap.requests.values()) - upstream}")
            return result | {"recycled": float(len(pids) - workers)}
        finally:
            stop(server)
            tap.stop()


def run(base: str, deps: list[dict], opts: argparse.Namespace, fetched: dict, master: int,
        pids: set[int]) -> dict[str, float]:
    latencies: list[float] = []
    by_step: dict[str, list[float]] = {}
    reasons: dict[str, list[int]] = {}
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
            body = render_body(deps, fetched[(target, radius)], asdict(ViewState(target=target, radius=radius)),
                               base + "/" + query)
            steps = [("GET", "/" + query, None), ("GET", "/_dash-layout", None),
                     ("GET", "/_dash-dependencies", None), ("POST", "/_dash-update-component", body)]
            if n % 3 == 0:
                steps.append(("GET", "/bundle.zip" + query, None))
            for method, url, payload in steps:
                start = time.perf_counter()
                try:
                    reply = session.request(method, base + url, json=payload, timeout=60)
                    ok = reply.status_code < 400 and (method != "POST" or b"W1 visit median" in reply.content)
                    why = f"HTTP {reply.status_code}" if reply.status_code >= 400 else "no light curve in the reply"
                except requests.RequestException as exc:
                    ok, why = False, type(exc).__name__ + ": " + str(exc)[:120]
                with lock:
                    latencies.append(time.perf_counter() - start)
                    by_step.setdefault(f"{method} {url.split('?')[0]}", []).append(latencies[-1])
                    errors += 0 if ok else 1
                    if not ok:
                        reasons.setdefault(f"{method} {url.split('?')[0]}: {why}", []).append(1)
            n += 1

    def watch() -> None:  # which worker pids served during the run
        while time.monotonic() < stop:
            pids.update(p.pid for p in psutil.Process(master).children() if "gunicorn" in " ".join(p.cmdline()))
            time.sleep(0.2)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(opts.users)]
    threads.append(threading.Thread(target=watch))
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
    for step, values in by_step.items():
        print(f"  {step:32s} n={len(values):5d} p50 {np.median(values) * 1e3:6.0f} ms  "
              f"p95 {np.percentile(values, 95) * 1e3:6.0f} ms")
    for reason, count in reasons.items():
        print(f"  error x{len(count)}: {reason}")
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)), "errors": float(errors),
            "requests": float(len(ms))}


if __name__ == "__main__":
    main()
