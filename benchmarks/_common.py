"""Helpers shared by the benchmarks: real recorded rows, tiled to a chosen size (and said so)."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dashboard.archive import offline as archive  # noqa: E402
from dashboard.core.model import Cone  # noqa: E402
from dashboard.runtime import configure  # noqa: E402

configure()  # as every process of the product does where it starts


def real_neowise_rows() -> pd.DataFrame:
    """The real AT2019dsg NEOWISE-R rows with all their flags (Gator recording, 253 rows)."""
    return archive.query("neowiser_p1bs_psd", Cone(314.26238, 14.20441, 2.5)).rows


def tiled(rows: pd.DataFrame, n: int, period_days: float = 4000.0) -> pd.DataFrame:
    """TILED real rows: copies shifted by ``period_days`` in mjd until there are ``n`` rows.

    The visit structure repeats, so the number of visits grows with n as it would for a source
    observed for longer; the values themselves are the real ones.
    """
    copies = int(np.ceil(n / len(rows)))
    frames = [rows.assign(mjd=rows["mjd"] + i * period_days) for i in range(copies)]
    return pd.concat(frames, ignore_index=True).iloc[:n].reset_index(drop=True)


def timed(fn, repeat: int = 3) -> float:
    """Best wall-clock seconds of ``repeat`` runs."""
    return min(timings(fn, repeat))


def timings(fn, repeat: int) -> list[float]:
    """Wall-clock seconds of each of ``repeat`` runs (for a best and a median: this machine's
    speed drifts by up to ~30 % from minute to minute)."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def render_body(deps: list[dict], fetched: dict, state: dict, href: str) -> dict:
    """The POST the browser sends to run the render callback (ids from /_dash-dependencies)."""
    callback = next(d for d in deps if "sed-graph.figure" in d["output"]  # the render, not the state callback
                    and any(i["id"] == "fetched" for i in d["inputs"]))
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in callback["output"].strip(".").split("...")]
    return {"output": callback["output"], "outputs": outputs,
            "inputs": [{"id": "fetched", "property": "data", "value": fetched},
                       {"id": "view-state", "property": "data", "value": state},
                       {"id": "cancelled", "property": "data", "value": None}],
            "changedPropIds": ["fetched.data"],
            "state": [{"id": "query", "property": "data", "value": fetched.get("query")},
                      {"id": "url", "property": "href", "value": href},
                      {"id": "sky", "property": "data", "value": None}]}


def end_id(base: str, session) -> str:  # noqa: ANN001 - a requests.Session
    page = session.get(base + "/", timeout=30).text
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(config.group(1))["end_id"] if config else ""


def fetch_body(query: dict) -> dict:
    return {"output": "fetched.data", "outputs": {"id": "fetched", "property": "data"},
            "inputs": [{"id": "query", "property": "data", "value": query}], "changedPropIds": ["query.data"],
            "state": []}


def fetch_through_page(base: str, session, target: str, radius: float, timeout_s: float = 60.0) -> dict:
    """The page's background fetch over HTTP (start, then poll as the browser does): the
    ``fetched`` data a render needs, its rows handed over on the server."""
    import uuid

    end = end_id(base, session)
    query = {"target": target, "radius": radius, "nonce": uuid.uuid4().hex}
    update = base + "/_dash-update-component"
    handles = session.post(update, json=fetch_body(query), params={"endId": end}, timeout=timeout_s).json()
    handles = handles | {"endId": end}
    handles.pop("cancel", None)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.3)
        reply = session.post(update, json=fetch_body(query), params=handles, timeout=timeout_s)
        data = reply.json().get("response", {}).get("fetched", {}).get("data") if reply.status_code == 200 else None
        if data is not None:
            return data
    raise RuntimeError(f"no fetch result for {target} in {timeout_s:g} s")
