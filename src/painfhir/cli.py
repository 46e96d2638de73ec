"""The `painfhir` command: serve, database administration, validation."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from painfhir.demo import demo_bundles
from painfhir.interactions import bundles
from painfhir.settings import Settings
from painfhir.store import Store, open_store
from painfhir.validation.report import table, validate_file

log = logging.getLogger("painfhir")


def load_demo(store: Store) -> None:
    """Load the demo referrals; their entries are conditional creates, so twice is once."""
    for bundle in demo_bundles():
        bundles.process(store, bundle, base="", representation=False)


def _open_checked(settings: Settings) -> Store:
    store = open_store(settings.database_url, migrate=settings.migrate_on_start)
    waiting = store.pending_migrations()
    if waiting:
        store.close()
        names = ", ".join(f"{m.number:04d}_{m.name}" for m in waiting)
        sys.exit(f"The database schema is behind ({names} pending): run `painfhir db upgrade`")
    return store


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    store = _open_checked(settings)
    if args.demo:
        load_demo(store)
        log.warning("Demo referrals loaded")
    store.close()
    # Each worker process builds its own app and store (see create_app).
    uvicorn.run(
        "painfhir.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http="httptools",
        loop="uvloop",
        log_level=args.log_level,
        access_log=settings.access_log,
    )


def db_upgrade(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url, migrate=False)
    try:
        applied = store.upgrade()
    finally:
        store.close()
    for migration in applied:
        print(f"applied {migration.number:04d}_{migration.name}")
    print("the schema is up to date" if not applied else f"{len(applied)} migration(s) applied")


def validate_files(args: argparse.Namespace) -> None:
    reports = [validate_file(path) for path in args.files]
    print(table(reports))
    if any(report.failed for report in reports):
        sys.exit(1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="painfhir", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the FHIR server")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--workers", type=int, default=1, help="worker processes")
    serve_cmd.add_argument("--demo", action="store_true", help="load the demo referrals first")
    serve_cmd.add_argument("--log-level", default="info")
    serve_cmd.set_defaults(run=serve)

    db_cmd = commands.add_parser("db", help="database administration")
    db_commands = db_cmd.add_subparsers(dest="db_command", required=True)
    upgrade_cmd = db_commands.add_parser("upgrade", help="apply pending schema migrations")
    upgrade_cmd.set_defaults(run=db_upgrade)

    validate_cmd = commands.add_parser(
        "validate", help="validate FHIR JSON files; exit status 1 if any has an error"
    )
    validate_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate_cmd.set_defaults(run=validate_files)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    args.run(args)
