"""Command line: ``python -m dashboard [serve] | fetch TARGET | bundle TARGET -o FILE.zip |
batch FILE -o OUT.zip | --out-dir DIR [--service parquet]``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from dashboard import config
from dashboard.core.tables import ADDED
from dashboard.runtime import configure
from dashboard.science.apertures import PHOT_MODES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="WISE Explorer")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the dashboard (the default)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--debug", action="store_true", help="Dash debug mode, for development only")
    serve.add_argument("--offline", action="store_true", help="answer from the offline archive only")
    for name in ("fetch", "bundle"):
        cmd = sub.add_parser(name, help=f"{name} one target")
        cmd.add_argument("target", nargs="?" if name == "bundle" else None)
        cmd.add_argument("--radius", default=None, help="cone radius in arcsec (default 10)")
        cmd.add_argument("--offline", action="store_true", help="answer from the offline archive only")
        cmd.add_argument("--source", default=None, help="AllWISE designation of the source to use")
        cmd.add_argument("--phot", choices=PHOT_MODES, default="auto",
                         help="SED photometry per band: auto (elliptical/aperture where resolved), or one kind")
        cmd.add_argument("--add", default=None, metavar="TABLES",
                         help=f"also fetch, comma-separated: {', '.join(ADDED)} (AllWISE Reject Table, "
                              "CatWISE2020, unWISE)")
        cmd.add_argument("--periodogram", action="store_true",
                         help="Lomb-Scargle per band: print each best period (fetch); periodogram files (bundle)")
        cmd.add_argument("--flare", action="store_true",
                         help="search the visits for an infrared flare and measure the dust per visit")
        cmd.add_argument("--z", type=float, default=None, metavar="REDSHIFT",
                         help="with --flare: the redshift (rest-frame dust temperature, radius, luminosity)")
        cmd.add_argument("--t0", default=None, metavar="DATE",
                         help="with --flare: the event date (MJD or ISO date): the flare's delay from it")
        if name == "bundle":
            cmd.add_argument("-o", "--output", required=True, help="the zip file to write")
            cmd.add_argument("--url", default=None, metavar="QUERY_STRING",
                             help="the view of a page link (its part after '?'): the bytes /bundle.zip serves")
    _batch_parser(sub.add_parser("batch", help="many targets: a list in, summary.csv and a batch bundle out"))
    notes = sub.add_parser("notes", help="the group's notes (the server's database, read directly): backups")
    what = notes.add_subparsers(dest="notes_command", required=True)
    what.add_parser("export", help="every note version as JSON lines, to stdout")
    imported = what.add_parser("import", help="add the versions of a JSON-lines file (twice: nothing more)")
    imported.add_argument("file", help="a file `notes export` wrote ('-': stdin)")
    return parser


def _batch_parser(batch: argparse.ArgumentParser) -> None:
    batch.add_argument("file", help="one target per line, or CSV/ECSV with a 'target' column ('-': stdin)")
    batch.add_argument("--radius", type=float, default=None, help="cone radius in arcsec where a line gives none")
    batch.add_argument("-o", "--output", default=None,
                       help="the batch bundle to write (a zip with a folder per target; the TAP service)")
    batch.add_argument("--out-dir", default=None, metavar="DIR",
                       help="write summary.parquet/.csv, visits.parquet and manifest.json into DIR (either service; "
                            "a rerun into DIR goes on where it stopped)")
    batch.add_argument("--service", choices=("tap", "parquet"), default="tap",
                       help="tap: IRSA TAP upload jobs (default); parquet: IRSA's Parquet catalogs on Dask")
    batch.add_argument("--parquet-root", default=None, metavar="ROOT",
                       help="where the Parquet catalogs are (default WISE_PARQUET_ROOT, s3://nasa-irsa-wise)")
    batch.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a Dask scheduler (default WISE_DASK_SCHEDULER; none: a LocalCluster)")
    batch.add_argument("--workers", type=int, default=None,
                       help="LocalCluster worker processes when no scheduler is given (default WISE_DASK_WORKERS)")
    batch.add_argument("--phot", choices=PHOT_MODES, default="auto", help="SED photometry per band (phot_w1..phot_w4)")
    batch.add_argument("--flare", action="store_true",
                       help="search each target's visits for an infrared flare (the summary's flare columns; a list's "
                            "z column gives each target's redshift)")
    batch.add_argument("--tags", action="store_true",
                       help="add the group's tags of each target to the summary (the server's notes database: "
                            "WISE_DATABASE_URL or WISE_DATA_DIR; either service)")
    batch.add_argument("--offline", action="store_true",
                       help="answer from the offline archive only (targets not in it: failed, with the reason)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure()
    settings = config.load()
    if getattr(args, "offline", False):
        settings = replace(settings, offline=True)
    command = args.command or "serve"
    try:
        if command == "serve":
            return _serve(settings, args)
        from dashboard.cli import batch_command, bundle_command, fetch_command, notes_command

        runner = {"fetch": fetch_command, "bundle": bundle_command, "batch": batch_command,
                  "notes": notes_command}[command]
        return runner(settings, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI prints one line, never a traceback
        from dashboard.core.errors import WiseError
        from dashboard.core.targets import TargetError

        if isinstance(exc, TargetError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        prefix = "error" if isinstance(exc, WiseError) else f"unexpected error ({type(exc).__name__})"
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 1


def _serve(settings: config.Settings, args: argparse.Namespace) -> int:
    settings = replace(
        settings,
        host=getattr(args, "host", None) or settings.host,
        port=getattr(args, "port", None) or settings.port,
        debug=bool(getattr(args, "debug", False)) or settings.debug,
    )
    from dashboard.app import create_app

    app = create_app(settings)
    print(f"WISE Explorer on http://{settings.host}:{settings.port}/ (TAP: {settings.tap_url})")
    # Background jobs run in threads (web/jobs.py), never in forked processes, so the threaded
    # development server is safe; groups use gunicorn (README).
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
