"""The page path under a group's load (issue #12): N clients drive the callbacks a browser sends
(the background fetch, its polls, the render) and download bundles, against gunicorn with the
production config and the local TAP server on 127.0.0.1 (0.3 s latency per query, real rows).

During the run one worker is SIGKILLed and workers are recycled by ``max_requests``. Targets mix
repeated views (cache hits) with distinct cones (new upstream queries). Bounded in time and
loopback only. Prints views and bundles served, p50/p95 of a view, stuck views (a fetch with no
answer after 60 s; must be 0), views told "server restarted" (the killed worker's jobs), errors,
requests lost with the killed worker, and processes left under the gunicorn master after the run.
Run: python benchmarks/page_path.py [--users 20] [--seconds 60] [--max-requests 400]
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict

import numpy as np
import psutil
import requests

from _common import end_id, fetch_body, render_body
from dashboard.ui.urlstate import ViewState, to_query
from servers import start_gunicorn, stop
from tap_server import Fault, LocalTap

#: (ra dec, largest radius the recording covers) of real recorded targets
CENTRES = [("314.26238 14.20441", 2.5), ("192.06346 17.77402", 2.5), ("268.233229 58.636443", 6.0)]
POLL_S = 0.3
STUCK_S = 60.0


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.view_s: list[float] = []
        self.dropped_at: list[float] = []
        self.killed_at: float | None = None

    def add(self, what: str, seconds: float | None = None) -> None:
        with self.lock:
            self.counts[what] += 1
            if seconds is not None:
                self.view_s.append(seconds)


def post(session: requests.Session, url: str, body: dict, params: dict, tally: Tally) -> requests.Response | None:
    """One callback request; a dropped connection is retried as the page retries its polls."""
    for _ in range(3):
        try:
            return session.post(url, json=body, params=params, timeout=STUCK_S)
        except requests.RequestException:
            tally.add("connection_dropped")
            with tally.lock:
                tally.dropped_at.append(time.monotonic())
            time.sleep(0.2)
    return None


def one_view(base: str, deps: list[dict], session: requests.Session, end: str, target: str, radius: float,
             tally: Tally) -> None:
    started = time.monotonic()
    query = {"target": target, "radius": radius, "nonce": uuid.uuid4().hex}
    update = base + "/_dash-update-component"
    reply = post(session, update, fetch_body(query), {"endId": end}, tally)
    if reply is None or reply.status_code != 200:
        tally.add("errors")
        tally.add(f"error:fetch {reply.status_code if reply is not None else 'no reply'}")
        return
    handles = reply.json() | {"endId": end}
    handles.pop("cancel", None)
    fetched = None
    while time.monotonic() - started < STUCK_S:
        time.sleep(POLL_S)
        reply = post(session, update, fetch_body(query), handles, tally)
        if reply is None or reply.status_code >= 500:
            tally.add("errors")
            tally.add(f"error:poll {reply.status_code if reply is not None else 'no reply'}")
            continue
        if reply.status_code == 204:  # no output: the view would stay on "Fetching…"
            tally.add("stuck:204 no output")
            break
        data = reply.json().get("response", {}).get("fetched", {}).get("data")
        if data is not None:
            fetched = data
            break
    if fetched is None:
        tally.add("stuck")
        if time.monotonic() - started >= STUCK_S:
            tally.add(f"stuck:no answer in {STUCK_S:g} s")
        return
    if fetched.get("lost"):
        tally.add("told_server_restarted")
        return
    state = asdict(ViewState(target=target, radius=radius))
    reply = post(session, update, render_body(deps, fetched, state, base + "/" + to_query(ViewState(target=target,
                                                                                                   radius=radius))),
                 {"endId": end}, tally)
    if reply is None or reply.status_code != 200 or b"lc-graph" not in reply.content:
        tally.add("errors")
        tally.add(f"error:render {reply.status_code if reply is not None else 'no reply'}")
        return
    tally.add("views", time.monotonic() - started)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--users", type=int, default=20)
    args.add_argument("--seconds", type=float, default=60.0)
    args.add_argument("--max-requests", type=int, default=400, help="recycle by count during the run (0: never)")
    args.add_argument("--no-kill", dest="kill", action="store_false", help="recycles only, no SIGKILL")
    opts = args.parse_args()
    tap = LocalTap().start()
    tap.faults.update({t: Fault(latency_s=0.3) for t in ("allwise_p3as_psd", "allwise_p3as_mep",
                                                           "neowiser_p1bs_psd")})
    with tempfile.TemporaryDirectory() as cache:
        env = {"WISE_TAP_URL": tap.url, "WISE_CACHE_DIR": cache, "SECRET_KEY": "bench",
               "WISE_RATE_LIMIT_PER_MINUTE": "1000000", "WISE_RESOLVE_NAMES_ONLINE": "0",
               "WISE_MAX_REQUESTS": str(opts.max_requests)}
        base, server = start_gunicorn(env)
        try:
            deps = requests.get(base + "/_dash-dependencies", timeout=10).json()
            tally, pids = Tally(), set()
            run(base, deps, opts, tally, server, pids)
            time.sleep(3)
            master = psutil.Process(server.pid)
            children = master.children(recursive=True)
            workers = [p for p in master.children() if "gunicorn" in " ".join(p.cmdline())]
            left = [p for p in children if p not in workers]
            print_report(opts, tally, len(pids), len(left), sum(tap.requests.values()))
            print("worker resident memory after the run: "
                  + ", ".join(f"{p.memory_info().rss / 2**20:.0f} MB" for p in workers))
        finally:
            stop(server)
            tap.stop()


def run(base: str, deps: list[dict], opts: argparse.Namespace, tally: Tally, server, pids: set[int]) -> None:
    deadline = time.monotonic() + opts.seconds

    def user(i: int) -> None:
        session = requests.Session()
        end = end_id(base, session)
        n = 0
        while time.monotonic() < deadline:
            centre, r_max = CENTRES[(i + n) % len(CENTRES)]
            # two in three views repeat a link (cache hits); one in three asks a new cone
            radius = r_max if n % 3 else round(r_max - 0.01 * ((i * 97 + n) % 150), 2)
            one_view(base, deps, session, end, centre, radius, tally)
            if n % 4 == 0:
                try:
                    reply = session.get(base + "/bundle.zip" + to_query(ViewState(target=centre, radius=r_max)),
                                        timeout=STUCK_S)
                    tally.add("bundles" if reply.status_code == 200 else "errors")
                    if reply.status_code != 200:
                        tally.add(f"error:bundle {reply.status_code}")
                except requests.RequestException:
                    tally.add("connection_dropped")
                    with tally.lock:
                        tally.dropped_at.append(time.monotonic())
            n += 1

    def watch() -> None:  # which worker pids served; one SIGKILL a third of the way in
        killed = False
        while time.monotonic() < deadline:
            try:
                pids.add(requests.get(base + "/healthz", timeout=5).json()["pid"])
            except requests.RequestException:
                pass
            if not killed and opts.kill and time.monotonic() > deadline - opts.seconds * 2 / 3:
                workers = [p for p in psutil.Process(server.pid).children()]
                if workers:
                    os.kill(workers[0].pid, signal.SIGKILL)
                    tally.killed_at = time.monotonic()
                    tally.add("workers_killed")
                    killed = True
            time.sleep(0.5)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(opts.users)]
    threads.append(threading.Thread(target=watch))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def print_report(opts: argparse.Namespace, tally: Tally, n_pids: int, left: int, upstream: int) -> None:
    c = tally.counts
    ms = np.array(tally.view_s) * 1e3 if tally.view_s else np.array([np.nan])
    print(f"{opts.users} clients, {opts.seconds:.0f} s, gunicorn 2 workers x 4 threads, max_requests "
          f"{opts.max_requests} (+-10 %), one worker SIGKILLed: {c['workers_killed']}")
    print(f"views served {c['views']}, bundles {c['bundles']}; view p50 {np.nanpercentile(ms, 50):.0f} ms, "
          f"p95 {np.nanpercentile(ms, 95):.0f} ms")
    print(f"stuck views {c['stuck']}; views told 'server restarted' (jobs on the killed worker) "
          f"{c['told_server_restarted']}; errors {c['errors']}; connections dropped (retried) "
          f"{c['connection_dropped']}")
    if tally.killed_at is not None:
        with_kill = sum(1 for t in tally.dropped_at if 0 <= t - tally.killed_at <= 3.0)
        print(f"requests lost with the killed worker (dropped within 3 s of the SIGKILL, then retried): {with_kill}; "
              f"other dropped connections (recycles): {len(tally.dropped_at) - with_kill}")
    stuck = {k.removeprefix("stuck:"): v for k, v in c.items() if k.startswith("stuck:")}
    if stuck:
        print(f"stuck views by kind: {stuck}")
    kinds = {k.removeprefix("error:"): v for k, v in c.items() if k.startswith("error:")}
    if kinds:
        print(f"errors by kind: {kinds}")
    print(f"worker pids seen {n_pids} (recycles and the replacement); processes left under the master "
          f"besides its workers: {left}; upstream TAP queries {upstream}")


if __name__ == "__main__":
    main()
