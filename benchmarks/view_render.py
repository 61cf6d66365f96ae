"""Server time of a warm view (data already fetched) and bytes sent per plotted point.

Targets with ~10^3 and ~10^4 epochs: real AT2019dsg rows (catalog + AllWISE + NEOWISE-R, from
the offline archive), the NEOWISE-R rows TILED in time to reach the size. Measures what the
page's ``render`` callback does (cuts, visits, SED, figures) plus the JSON encoding Dash sends.
Run: python benchmarks/view_render.py
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import plotly.io as pio

from _common import real_neowise_rows, tiled, timed
from dashboard.config import Settings
from dashboard.ui import callbacks
from dashboard.ui.urlstate import ViewState
from dashboard.web.handover import handover
from dashboard.wise.pipeline import observe


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), cache_dir=Path(tmp), offline=True)
        for n in (1_000, 10_000):
            observed = observe("AT2019dsg", 10, settings)
            neo = observed.observations.results["neowiser_p1bs_psd"]
            neo.rows = tiled(real_neowise_rows(), n)
            handover(settings).put(f"bench{n}", observed)
            fetched = {"query": {"target": "AT2019dsg", "radius": 10.0}, "fetch_id": f"bench{n}", "error": None}
            state = asdict(ViewState(target="AT2019dsg", radius=10.0))

            def view(fetched=fetched, state=state):
                out = callbacks.render(settings, fetched, state, "http://host/")
                return out, [pio.to_json(out["sed"]), pio.to_json(out["lc"]), json.dumps(out["rows"]),
                             json.dumps(out["filters"])]

            seconds = timed(view, repeat=3)
            out, (sed_json, lc_json, rows_json, filters_json) = view()
            points = sum(len(t.x) for t in out["lc"].data if t.x is not None and t.y is not None
                         and any(v is not None for v in t.y))
            webgl = "scattergl" in lc_json
            total = len(sed_json) + len(lc_json) + len(rows_json) + len(filters_json)
            print(f"~{n + 26:>6} epochs: warm view {seconds * 1e3:.0f} ms server time; light-curve figure "
                  f"{len(lc_json) / 1e3:.0f} kB for {points} points = {len(lc_json) / points:.0f} B/point "
                  f"(WebGL: {webgl}); all panels {total / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
