"""First paint of the page shell on localhost (issue 26, item 10), in Debian's headless Chromium.

Serves the app offline (``python -m dashboard serve --offline``, the README's command) and opens
``/`` in a fresh browser context (empty cache) N times. Per load: the time to first contentful
paint, the time until the page shell is usable (the target box and Go rendered by Dash), the
bytes transferred (compressed, as on the wire) and decoded, and the number of requests, all
until the landing page is idle. Then once more with the browser's cache warm (a second visit).
Prints the median of each; goal of the issue: shell <= 1.5 s and <= 1 MB on localhost.
Run: python benchmarks/first_paint.py [--loads 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests

from _common import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from screenshot import CHROMIUM_ARGS  # noqa: E402

SHELL = "() => !!document.querySelector('#target-input') && !!document.querySelector('#go')"
TOTALS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const sum = (k) => res.reduce((s, r) => s + (r[k] || 0), 0) + (nav[k] || 0);
  return {fcp_ms: fcp ? fcp.startTime : null, transfer: sum('transferSize'), decoded: sum('decodedBodySize'),
          requests: res.length + 1,
          js_decoded: res.filter(r => r.name.includes('.js')).reduce((s, r) => s + r.decodedBodySize, 0)};
}"""


def serve(port: int) -> subprocess.Popen:
    env = os.environ | {"WISE_CACHE_DIR": tempfile.mkdtemp(), "WISE_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--offline", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("the app did not start")


def load(context, url: str) -> dict:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(SHELL, timeout=30_000, polling=20)
    shell = (time.perf_counter() - start) * 1000
    page.wait_for_load_state("networkidle")
    totals = page.evaluate(TOTALS)
    page.close()
    return {"shell_ms": shell, **totals}


def main() -> dict:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--port", type=int, default=8071)
    args = parser.parse_args()
    proc = serve(args.port)
    url = f"http://127.0.0.1:{args.port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            load(browser.new_context(), url)  # the server's own first request (Dash renders its index once)
            cold = [load(browser.new_context(), url) for _ in range(args.loads)]
            context = browser.new_context()
            load(context, url)
            warm = load(context, url)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    median = {k: statistics.median(r[k] for r in cold) for k in cold[0] if cold[0][k] is not None}
    print(f"cold loads ({args.loads}, fresh browser cache each): shell usable {median['shell_ms']:.0f} ms, "
          f"first contentful paint {median.get('fcp_ms', float('nan')):.0f} ms, "
          f"{median['transfer'] / 1e6:.2f} MB transferred, {median['decoded'] / 1e6:.2f} MB decoded "
          f"({median['js_decoded'] / 1e6:.2f} MB of JavaScript), {median['requests']:.0f} requests")
    print(f"second visit (warm cache): shell usable {warm['shell_ms']:.0f} ms, "
          f"{warm['transfer'] / 1e6:.3f} MB transferred, {warm['requests']} requests")
    return {"cold": median, "warm": warm}


if __name__ == "__main__":
    main()
