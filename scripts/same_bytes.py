"""Build the view bundles of every demo target under several parameter sets with the code this
interpreter imports, into a folder (one zip per target and set), offline; then, given two such
folders, say which files differ. The way to show that a change kept a bundle's bytes.

    PYTHONPATH=/path/to/old/checkout python scripts/same_bytes.py build OUT_OLD
    python scripts/same_bytes.py build OUT_NEW
    python scripts/same_bytes.py compare OUT_OLD OUT_NEW
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

#: The parameter sets compared (query strings without target and radius).
SETS = {
    "default": "",
    "aperture-strict": "&phot=aperture&alpha=2&w4red=1&ph=AB&cc=1&ext=0&snr=5&match=2",
    "cuts-binning": "&cuts=nb,na,cc&bin=1&gap=50&othr=3&oq=0.9&unit=flux&sed=nufnu",
    "periodogram": "&pg=1&fold=best&fb=W2",
    "science": "&flare=1&z=0.05&t0=58600&fit=W1,W2,W3,W4&tax=t0",
}


def build(out: Path) -> None:
    from dashboard.archive import offline
    from dashboard.config import from_environment
    from dashboard.pipeline import observe, sky_context, view, with_sky
    from dashboard.provenance.bundle import build_bundle
    from dashboard.ui.urlstate import page_view, parse_exact, to_params

    settings = from_environment({"WISE_OFFLINE": "1", "WISE_CACHE_DIR": str(out / ".cache"), "SECRET_KEY": "x"})
    out.mkdir(parents=True, exist_ok=True)
    for target in offline.demo_targets():
        for name, extra in SETS.items():
            query = f"target={target.name}&r={target.link_radius_arcsec:g}{extra}"
            state = parse_exact(query, max_radius=settings.max_radius_arcsec)
            observed = observe(state.target, state.radius, settings)
            sky = sky_context(observed, "W1", settings)  # as bundle --url does (offline: each service says why)
            data = build_bundle(view(observed, with_sky(to_params(state), sky)), settings, sky, page_view(state))
            (out / f"{target.name.replace(' ', '_')}__{name}.zip").write_bytes(data)
            print(target.name, name, len(data))


def _files(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        return {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()}


def compare(old: Path, new: Path) -> int:
    differ = 0
    zips = sorted(p.name for p in old.glob("*.zip"))
    for name in zips:
        a, b = _files(old / name), _files(new / name)
        changed = sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))
        same_zip = (old / name).read_bytes() == (new / name).read_bytes()
        if changed or not same_zip:
            differ += 1
            print(f"{name}: differs: {', '.join(changed) or 'zip bytes only'}")
    print(f"{len(zips) - differ} of {len(zips)} bundles byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(Path(sys.argv[2]))
    else:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
