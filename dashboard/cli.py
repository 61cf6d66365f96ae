"""The ``fetch`` and ``bundle`` commands: the same service calls as the page, printed."""

from __future__ import annotations

import argparse
import sys

from .config import Settings
from .wise import archive
from .wise.service import build_fetcher, make_cone, resolve_target


def fetch_command(settings: Settings, args: argparse.Namespace) -> int:
    from .wise.analysis import analyze, default_params

    offline = args.offline or settings.offline
    target = resolve_target(args.target, settings, offline=offline)
    cone = make_cone(target, args.radius or settings.default_radius_arcsec, settings)
    observations = build_fetcher(settings).fetch(cone, offline=offline)
    view = analyze(target, observations, default_params(source=args.source))
    print(f"target: {target.label()} -> ra={target.ra:.6f} dec={target.dec:+.6f} ({target.resolver}); "
          f"cone {cone.radius_arcsec:g} arcsec")
    for line in observations.status_lines():
        print(f"  {line}")
    for result in observations.results.values():
        for warning in result.provenance.warnings:
            print(f"  warning: {warning}")
    print(f"AllWISE sources in the cone: {len(view.sources)}")
    if view.selection is not None:
        sel = view.selection
        print(f"selected source: {sel.label} at {sel.separation_arcsec:.2f} arcsec ({sel.method})")
    for table, count in view.lightcurve.epoch_counts().items():
        print(f"epochs from {table}: {count}")
    print(f"visits: {view.lightcurve.visit_count()}")
    if not observations.results:
        if offline:
            print("offline demo targets: " + ", ".join(t.name for t in archive.demo_targets()), file=sys.stderr)
        return 1
    return 0


def bundle_command(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from .wise.analysis import default_params
    from .wise.provenance import build_bundle

    offline = args.offline or settings.offline
    target = resolve_target(args.target, settings, offline=offline)
    cone = make_cone(target, args.radius or settings.default_radius_arcsec, settings)
    observations = build_fetcher(settings).fetch(cone, offline=offline)
    data = build_bundle(target, observations, default_params(source=args.source), settings)
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0
