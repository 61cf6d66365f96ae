"""Warm view: the HTTP POST of the page's real render callback, data already handed over.

Through Flask's test client (no network), the request the browser sends when the view state
changes: cuts, visits, SED, figures and Dash's JSON encoding, for ~10^3, 10^4 and 10^5 epochs
(real AT2019dsg rows from the offline archive; the NEOWISE-R rows TILED in time to the size).
Also the light-curve figure's bytes per plotted point at 10^4 (default view, binning on),
uncompressed, and what gzip makes of the whole response.
Run: python benchmarks/warm_view.py
"""

from __future__ import annotations

import gzip
import json
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from _common import real_neowise_rows, render_body, tiled, timed, timings
from dashboard.app import create_app
from dashboard.config import Settings
from dashboard.pipeline import observe
from dashboard.ui.callbacks import PANELS
from dashboard.ui.figures import array
from dashboard.ui.urlstate import ViewState, to_query
from dashboard.web.handover import handover

SIZES = (1_000, 10_000, 100_000)


def plotted_points(figure: dict) -> int:
    """Points drawn (traces with values; the axis helpers of y = [None, None] do not count)."""
    return sum(len(array(t.get("x"))) for t in figure.get("data", [])
               if len(array(t.get("y"))) and not all(v is None for v in array(t.get("y"))))


def main() -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), cache_dir=Path(tmp), offline=True)
        app = create_app(settings)
        client = app.server.test_client()
        deps = client.get("/_dash-dependencies").get_json()
        for n in SIZES:
            observed = observe("AT2019dsg", 10, settings)
            observed.observations.results["neowiser_p1bs_psd"].rows = tiled(real_neowise_rows(), n)
            handover(settings).put(f"bench{n}", observed)
            state = ViewState(target="AT2019dsg", radius=10.0)
            fetched = {"query": {"target": "AT2019dsg", "radius": 10.0}, "fetch_id": f"bench{n}", "error": None}
            body = render_body(deps, fetched, asdict(state), "http://host/" + to_query(state))

            def post(body=body) -> bytes:
                PANELS.clear()  # each POST renders (a view never seen); a second viewer's is a memo hit
                reply = client.post("/_dash-update-component", json=body)
                assert reply.status_code == 200, reply.status_code
                return reply.data

            runs = sorted(timings(post, repeat=7))
            seconds, median = runs[0], runs[len(runs) // 2]
            data = post()
            response = json.loads(data)["response"]
            lc = response["lc-graph"]["figure"]
            lc_bytes = len(json.dumps(lc, separators=(",", ":")))
            points = plotted_points(lc)
            results[f"warm_view_ms_{n:.0e}".replace("+0", "")] = seconds * 1e3
            results[f"warm_view_median_ms_{n:.0e}".replace("+0", "")] = median * 1e3
            print(f"~{n:>7,} epochs: warm view {seconds * 1e3:.0f} ms best of 7, median {median * 1e3:.0f} ms "
                  "(POST of the render callback); "
                  f"response {len(data) / 1e3:.0f} kB, gzip {len(gzip.compress(data, 6)) / 1e3:.0f} kB; "
                  f"light-curve figure {lc_bytes / 1e3:.0f} kB for {points} points = {lc_bytes / points:.1f} B/point")
            hit = timed(lambda body=body: client.post("/_dash-update-component", json=body), repeat=5)
            print(f"          the same view for the next viewer (rendered panels kept): {hit * 1e3:.0f} ms")
            if n == 10_000:
                results["payload_bytes_per_point_1e4"] = lc_bytes / points
    return results


if __name__ == "__main__":
    print(main())
