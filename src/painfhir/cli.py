"""The `painfhir` command."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import uvicorn

from painfhir.api import create_app
from painfhir.demo import demo_bundles
from painfhir.interactions import bundles
from painfhir.settings import Settings
from painfhir.store import Store, open_store

log = logging.getLogger("painfhir")


def load_demo(store: Store) -> None:
    """Load the demo referrals; their entries are conditional creates, so twice is once."""
    for bundle in demo_bundles():
        bundles.process(store, bundle, base="", representation=False)


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    if args.demo:
        load_demo(store)
        log.warning("Demo referrals loaded into %s", settings.database_url)
    uvicorn.run(
        create_app(settings, store),
        host=args.host,
        port=args.port,
        http="httptools",
        loop="uvloop",
        log_level=args.log_level,
        access_log=settings.access_log,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="painfhir", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the FHIR server")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--demo", action="store_true", help="load the demo referrals first")
    serve_cmd.add_argument("--log-level", default="info")
    serve_cmd.set_defaults(run=serve)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    args.run(args)
