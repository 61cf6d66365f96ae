"""The ``fetch`` and ``bundle`` commands: the same pipeline as the page, printed.

Exit codes: 0 every table fetched, 1 every table failed, 2 bad input, 3 some tables failed."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.archive import offline as archive
from dashboard.config import Settings
from dashboard.core.errors import NotCovered
from dashboard.core.tables import ADDED, catalog_table, sources_title
from dashboard.pipeline import Observed, bundle_evidence, observe, sky_context, view, with_sky
from dashboard.science.analysis import AnalysisParams, binning_note
from dashboard.science.apertures import RESOLVED_LIGHTCURVE_NOTE
from dashboard.science.colour_track import REDDENING_SLOPE
from dashboard.science.colours import class_label
from dashboard.science.flares import FlareAnalysis, FlareParams, flare_row
from dashboard.science.photometry import SedOptions
from dashboard.science.variability import describe
from dashboard.sky.context import SkyContext

if TYPE_CHECKING:
    from dashboard.batch.targets import TargetList
    from dashboard.ui.urlstate import ViewState

EXIT_OK, EXIT_ALL_FAILED, EXIT_BAD_INPUT, EXIT_PARTIAL = 0, 1, 2, 3


def added_tables(text: str | None) -> tuple[str, ...]:
    """``--add psr,catwise,unwise``: the tables to fetch besides the three (``core/tables.ADDED``);
    an unknown name is bad input, said with what is accepted."""
    from dashboard.core.targets import TargetError

    tokens = [t.strip().lower() for t in (text or "").split(",") if t.strip()]
    unknown = [t for t in tokens if t not in ADDED]
    if unknown:
        raise TargetError(f"--add takes {', '.join(ADDED)} (comma-separated), not {', '.join(unknown)[:60]}")
    return tuple(t for t in ADDED if t in tokens)


def _observe(settings: Settings, args: argparse.Namespace) -> Observed:
    return observe(args.target, args.radius or settings.default_radius_arcsec, settings,
                   add=added_tables(args.add))


def _exit_code(observed: Observed) -> int:
    """A table the offline archive never recorded is not a failure of the fetch; any other is."""
    obs = observed.observations
    if not obs.results:
        return EXIT_ALL_FAILED
    failed = [e for e in obs.failures.values() if not isinstance(e, NotCovered)]
    return EXIT_PARTIAL if failed else EXIT_OK


def fetch_command(settings: Settings, args: argparse.Namespace) -> int:
    observed = _observe(settings, args)
    target, observations = observed.target, observed.observations
    shown = view(observed, AnalysisParams(source=args.source, periodogram=args.periodogram,
                                          sed_options=SedOptions(phot=args.phot), flare=flare_params(args)))
    print(f"target: {target.label()} -> ra={target.ra:.6f} dec={target.dec:+.6f} ({target.resolver}); "
          f"cone {observed.cone.radius_arcsec:g} arcsec")
    for line in observations.status_lines():
        print(f"  {line}")
    for result in observations.results.values():
        for note in result.provenance.warnings + result.provenance.serving_notes:
            print(f"  warning: {note}")
    print(f"{sources_title(catalog_table(shown.observations.results))}: {len(shown.sources)}")
    if shown.selection is not None:
        sel = shown.selection
        print(f"selected source: {sel.label} at {sel.separation_arcsec:.2f} arcsec ({sel.method})")
        print(f"colour class: {class_label(shown.colours or [])}")
        for verdict in shown.colours or []:
            print(f"  {verdict.criterion}: {verdict.answer} ({verdict.reason})")
    for row in shown.sed.to_dict("records"):
        value = f"{row['flux_jy']:.4g} Jy" if row["measured"] else "no measurement"
        print(f"SED {row['band']} {row['catalog']}: {value}; {row['phot']} ({row['phot_reason']})")
    if not shown.sed.empty:
        for line in shown.sed_shape().lines():
            print(f"SED shape: {line}")
    for match in shown.deeper:
        print(f"{match.catalog}: {match.note}" + (f" (motion: {match.motion})" if match.motion else ""))
    if shown.gaia is not None:
        print(shown.gaia.note)
    if shown.rejects is not None:
        print(f"AllWISE Reject Table rows in the cone (not catalog sources, never selected): {len(shown.rejects)}")
    if shown.resolved:
        print(RESOLVED_LIGHTCURVE_NOTE)
    for table, count in shown.lightcurve.epoch_counts().items():
        print(f"epochs from {table}: {count}")
    print(f"visits: {shown.lightcurve.visit_count()} ({shown.lightcurve.visit_mode} mode)")
    if shown.lightcurve.stats:
        print(binning_note(shown) + describe(shown.lightcurve.stats))
    track = shown.colour_track
    if track is not None and track.slope is not None and track.slope_err is not None:
        print(f"colour-magnitude slope dW1/d(W1-W2): {track.slope:.2f} +- {track.slope_err:.2f} over "
              f"{track.n_visits} visits (reddening would give {REDDENING_SLOPE:.1f})")
    if args.periodogram and shown.periodogram_failure is not None:
        print(f"periodogram: {shown.periodogram_failure}", file=sys.stderr)
    elif args.periodogram:
        for band in ("W1", "W2"):
            p = shown.periodograms.get(band)
            print(f"{band} best period: {p.best_period_d:.5f} d (FAP {p.fap:.2g}, {p.n_epochs} epochs)"
                  + (f"; on the WISE alias '{p.alias}'" if p.alias else "")
                  + (f"\n  {caution}" if (caution := shown.periodogram_caution(band)) else "") if p is not None else
                  f"{band}: too few detected epochs for a periodogram")
    if shown.flare is not None:
        print_flare(shown.flare)
    if not observations.results and settings.offline:
        print("offline demo targets: " + ", ".join(t.name for t in archive.demo_targets()), file=sys.stderr)
    return _exit_code(observed)


def flare_params(args: argparse.Namespace) -> FlareParams | None:
    """The flare search's parameters from ``--flare``, ``--z`` and ``--t0``, read as the URL's
    ``z`` and ``t0`` are (``ui/viewparams.py``: the same bounds and messages)."""
    from dashboard.core.targets import TargetError
    from dashboard.ui.paramkinds import ParseContext, Refused
    from dashboard.ui.viewparams import BY_KEY

    if not args.flare:
        if args.z is not None or args.t0 is not None:
            raise TargetError("--z and --t0 go with --flare")
        return None
    read = {}
    for key, text in (("z", args.z), ("t0", args.t0)):
        try:
            read[key] = None if text is None else BY_KEY[key].kind.parse(str(text), ParseContext(key=key))
        except Refused as refused:
            raise TargetError(f"--{key} {str(text)[:30]!r}: {refused}") from None
    return FlareParams(redshift=read["z"], event_mjd=read["t0"])


def print_flare(found: FlareAnalysis) -> None:
    """The flare search as lines: the answer, then each dust visit."""
    row = flare_row(found)
    print(f"flare search: {row['reason']}")
    if found.flare.found:
        print(f"  start MJD {row['start_mjd']:.1f}, peak {row['peak_mjd']:.1f}, end {row['end_mjd']:.1f}; "
              f"peak excess W1 {row['peak_excess_w1_mjy']:.3g} mJy, W2 {row['peak_excess_w2_mjy']:.3g} mJy"
              + (f"; {row['delay_days']:.0f} d after t0" if math.isfinite(float(row["delay_days"])) else ""))  # type: ignore[arg-type]
    for d in found.dust.to_dict("records"):
        rest = (f", T_rest {d['t_rest_k']:.0f} K, R {d['radius_pc']:.3g} pc, log L {d['log_lum_erg_s']:.2f}"
                if "t_rest_k" in d else "")
        print(f"  dust MJD {d['mjd']:.1f}: T_obs {d['t_obs_k']:.0f} +- {d['t_obs_err_k']:.0f} K{rest}")


def with_simbad_redshift(state: ViewState, observed: Observed, sky: SkyContext) -> ViewState:
    """A flare search without a redshift takes the one SIMBAD gives for the object at the target
    (``sky/identify.simbad_redshift``), said on stderr; the bundle's view then records it (its
    link's ``z``), so the bundle says which redshift its rest frame used and where it came from."""
    if not state.flare_search or state.redshift is not None:
        return state
    found = sky.redshift_at(observed.target.ra, observed.target.dec)
    if found is None:
        return state
    print(f"{found.said()}: used for the flare's rest frame (give --z, or z= in --url, to choose another)",
          file=sys.stderr)
    return replace(state, redshift=found.z)


def bundle_command(settings: Settings, args: argparse.Namespace) -> int:
    """The bundle of a target, or (``--url``) of exactly the view a page link shows: the same
    bytes as ``/bundle.zip?QUERY`` on a server with the same data."""
    from dashboard.core.targets import TargetError, parse_radius
    from dashboard.provenance.bundle import build_bundle
    from dashboard.ui.urlstate import ViewState, page_view, parse_exact, to_params

    if args.url is not None:
        state = parse_exact(args.url.split("?", 1)[-1], max_radius=settings.max_radius_arcsec)
    elif args.target:  # the page's view of this target with the command's options
        radius = parse_radius(args.radius, settings.max_radius_arcsec) if args.radius else \
            settings.default_radius_arcsec
        flare = flare_params(args)
        state = ViewState(target=args.target, radius=radius, source=args.source or "",
                          periodogram=bool(args.periodogram), phot=args.phot, added_tables=added_tables(args.add),
                          flare_search=flare is not None, redshift=flare.redshift if flare else None,
                          event_mjd=flare.event_mjd if flare else None)
    else:
        raise TargetError("give a TARGET or --url 'QUERY_STRING' (the part of a page link after '?')")
    observed = observe(state.target, state.radius, settings, add=state.added_tables)
    params, band = to_params(state), state.image_band
    if not observed.observations.results:
        for line in observed.observations.status_lines():
            print(line, file=sys.stderr)
        return EXIT_ALL_FAILED
    sky = sky_context(observed, band, settings)
    state = with_simbad_redshift(state, observed, sky)
    params = to_params(state)
    shown = view(observed, with_sky(params, sky))
    evidence = bundle_evidence(shown, state.visit_frames, state.visit, state.reference_visit, settings)
    data = build_bundle(shown, settings, sky, page_view(state), evidence)
    for failure in sky.failures.values():
        print(f"sky context: {failure}", file=sys.stderr)
    if evidence is not None and evidence.failure is not None:
        print(f"frames: {evidence.failure} (listed in FAILURES.txt)", file=sys.stderr)
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    for table, err in observed.observations.failures.items():
        print(f"missing {table}: {err} (listed in FAILURES.txt)", file=sys.stderr)
    return _exit_code(observed)


def batch_command(settings: Settings, args: argparse.Namespace) -> int:
    """A list of targets, by TAP uploads (offline: the offline archive) or (``--service parquet``)
    from IRSA's Parquet catalogs on Dask: a batch bundle (``-o``) and/or a results folder
    (``--out-dir``). A progress bar on a terminal. Exit 0 when every line is ok or has no
    source, 3 when some failed or were bad input, 1 when every target failed, 2 for bad input."""
    from dashboard.batch import service
    from dashboard.core.targets import TargetError

    if not args.output and not args.out_dir:
        raise TargetError("give -o FILE.zip (a batch bundle) or --out-dir DIR (tables for big samples), or both")
    if args.service == "parquet" and args.output:
        raise TargetError("--service parquet writes --out-dir DIR (summary, visits, manifest); the batch bundle "
                          "(-o FILE.zip) is made by --service tap")
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise TargetError(f"cannot read the list {args.file!r}: {exc.strerror or exc}") from None
    targets = service.read(text, settings, radius=args.radius)
    if args.output and len(targets.targets) > settings.batch_zip_max_targets:
        raise TargetError(f"{len(targets.targets)} targets are too many for one zip (a folder per target; at most "
                          f"{settings.batch_zip_max_targets}, WISE_BATCH_ZIP_MAX_TARGETS): use --out-dir DIR, which "
                          "writes summary.parquet/.csv and visits.parquet")
    for bad in targets.bad:
        print(f"line {bad.line}: {bad.reason}", file=sys.stderr)
    params = AnalysisParams(sed_options=SedOptions(phot=args.phot), flare=FlareParams() if args.flare else None)
    if args.service == "parquet":
        table = _survey(settings, args, targets, params)
    else:
        table = _tap_batch(settings, args, targets, params)
    from dashboard.batch.summary import STATUSES

    counts = table["status"].value_counts()
    print(", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES))
    if len(table) and (table["status"] == "failed").all():
        return EXIT_ALL_FAILED
    return EXIT_PARTIAL if counts.get("failed", 0) or counts.get("bad_input", 0) else EXIT_OK


def _bar(text: str, fraction: float, final: bool = False) -> None:
    """One progress line on stderr: redrawn in place on a terminal, else printed when it ends."""
    if sys.stderr.isatty():
        filled = int(30 * min(max(fraction, 0.0), 1.0))
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text[:70]:<70}", end="\n" if final else "", file=sys.stderr,
              flush=True)
    elif final:
        print(text, file=sys.stderr)


def _tap_batch(settings: Settings, args: argparse.Namespace, targets: TargetList, params: AnalysisParams) -> Any:
    from dashboard.batch import service
    from dashboard.batch.bundle import build_batch_bundle

    total = max(1, -(-len(targets.targets) // settings.batch_chunk)) * 3
    finished: set[tuple[int, str]] = set()

    def progress(chunk: int, table: str, state: str) -> None:
        if state != "running":
            finished.add((chunk, table))
        _bar(f"{len(finished)}/{total} chunk {chunk} {table}: {state}", len(finished) / total,
             final=state != "running" and not sys.stderr.isatty())

    result = service.run(targets, settings, progress=progress, params=params)
    _bar(f"{len(finished)}/{total} chunk-tables done", 1.0, final=True)
    if getattr(args, "tags", False):
        result = replace(result, table=_with_tags(settings, result.table))
    if args.output:
        data = build_batch_bundle(result.run, targets.bad, result.table, settings)
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output} ({len(data)} bytes)")
    if args.out_dir:
        folder = service.write_folder(Path(args.out_dir), result, settings, params)
        print(f"wrote {folder}/ (summary.parquet, summary.csv, visits.parquet, manifest.json)")
    return result.table


def _with_tags(settings: Settings, table: Any) -> Any:
    """The summary with the group's tags of each target, from the server's database (``--tags``:
    run by whoever runs the server, on its settings)."""
    from dashboard.group.service import group

    return group(settings).notes.with_tags(table)


def _survey(settings: Settings, args: argparse.Namespace, targets: TargetList, params: AnalysisParams) -> Any:
    from dataclasses import replace

    from dashboard.batch.cluster import dask_client
    from dashboard.batch.outputs import OutDir
    from dashboard.batch.survey import Counter, identity, run_survey

    settings = replace(settings, parquet_root=args.parquet_root or settings.parquet_root)
    scheduler = args.scheduler or settings.dask_scheduler

    def progress(counter: Counter) -> None:
        _bar(counter.line(), counter.done / max(counter.total, 1), final=counter.done == counter.total)

    with dask_client(scheduler, workers=args.workers or settings.dask_workers, memory_limit=settings.dask_worker_memory,
                     timeout_s=settings.dask_timeout_s) as client:
        out = OutDir(Path(args.out_dir), identity(targets.targets, settings, params))
        run = run_survey(targets, settings, out, client, params=params, progress=progress,
                         annotate=(lambda table: _with_tags(settings, table)) if getattr(args, "tags", False) else None)
    print(f"wrote {args.out_dir}/ (summary.parquet, summary.csv, visits.parquet, manifest.json)"
          + ("; cancelled: rerun into the same folder to go on" if run.cancelled else ""))
    return run.summary


def notes_command(settings: Settings, args: argparse.Namespace) -> int:
    """``notes export`` (JSON lines to stdout) and ``notes import FILE`` (``group/backup.py``), on
    the database the server uses (``WISE_DATABASE_URL``, else SQLite in ``WISE_DATA_DIR``)."""
    from dashboard.group import db
    from dashboard.group.backup import export_lines, import_lines

    made = db.engine(db.database_url(settings.database_url, settings.data_dir))
    if args.notes_command == "export":
        for line in export_lines(made):
            print(line)
        return 0
    source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with source:
        try:
            added, known = import_lines(made, source)
        except ValueError as exc:
            print(f"error: {exc}; nothing was imported", file=sys.stderr)
            return 2
    print(f"imported {added} note version(s); {known} already there")
    return 0
