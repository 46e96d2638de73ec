"""The `painfhir` command: serve, database administration, the message log, validation."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson
import uvicorn

from painfhir.arguments import positive_count
from painfhir.demo import demo_bundles, demo_clinic
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.ingress import Receivers
from painfhir.ingress.log_report import message_table
from painfhir.ingress.message_json import message_details
from painfhir.interactions import bundles, writes
from painfhir.interactions.reactions import install as install_reactions
from painfhir.mapping import MappingError, Mappings, run_case
from painfhir.notify.commands import add_notify_commands
from painfhir.settings import Settings
from painfhir.store import MESSAGE_STATUSES, REPLAYABLE, MessageQuery, Store, open_store
from painfhir.validation.report import table, validate_file
from painfhir.workflow import reactions_for

log = logging.getLogger("painfhir")


def load_demo(store: Store, clinic: str) -> None:
    """Load the demo referrals; their entries are conditional creates, so twice is once. The
    clinic's Organization is stored first, unless the clinic already has one."""
    if store.read("Organization", clinic.removeprefix("Organization/")) is None:
        with store.write() as session:
            organization = demo_clinic(clinic)
            writes.update(session, organization["id"], organization)
    for bundle in demo_bundles(clinic):
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
    if args.mllp_port is not None:
        # the worker processes build their app from the environment (see create_app)
        os.environ["PAINFHIR_MLLP_PORT"] = str(args.mllp_port)
        os.environ["PAINFHIR_MLLP_HOST"] = args.host
    settings = Settings()
    store = _open_checked(settings)
    if args.demo:
        load_demo(store, settings.clinic_organization)
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


def _receivers(store: Store, settings: Settings) -> Receivers:
    mappings = Mappings.discover(settings.mappings_folders, settings.mapping_clients)
    return Receivers(store, mappings, settings.base_url or "", settings.validation == "lenient")


def messages_list(args: argparse.Namespace) -> None:
    query = MessageQuery(
        status=args.status,
        control_id=args.control_id,
        sending_application=args.sender,
        since=args.since,
        count=args.limit,
    )
    store = open_store(Settings().database_url)
    try:
        print(message_table(store.messages.search(query)[: args.limit]))
    finally:
        store.close()


def messages_show(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url)
    try:
        message = store.messages.get(args.id)
    finally:
        store.close()
    if message is None:
        sys.exit(f"No message {args.id} in the message log")
    if args.raw:
        sys.stdout.buffer.write(message.raw)
    else:
        print(dump_json(message_details(message), pretty=True).decode())


def messages_replay(args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    try:
        receiver = _receivers(store, settings)
        ids = args.ids or [
            message.id
            for status in REPLAYABLE
            for message in store.messages.search(MessageQuery(status=status, count=1000))
        ]
        still_failing = 0
        for message_id in sorted(ids):
            try:
                replayed = receiver.replay(message_id)
            except FhirError as error:
                print(f"{message_id}: {error}")
                still_failing += 1
                continue
            print(f"{message_id}: {replayed.status} ({replayed.ack_code})")
            still_failing += replayed.status != "processed"
    finally:
        store.close()
    if still_failing:
        sys.exit(1)


def validate_files(args: argparse.Namespace) -> None:
    reports = [validate_file(path) for path in args.files]
    print(table(reports))
    if any(report.failed for report in reports):
        sys.exit(1)


def _mappings() -> Mappings:
    """The modules; those that did not load are said on stderr (`mappings test` fails on
    them, `map` goes on with the others)."""
    settings = Settings()
    mappings = Mappings.discover(settings.mappings_folders, settings.mapping_clients)
    for name, error in mappings.failures.items():
        print(f"mapping module {name} is not loaded: {error.reason}", file=sys.stderr)
    return mappings


def map_file(args: argparse.Namespace) -> None:
    """Map one file: the Bundle on stdout; issues, and the trace if asked, on stderr."""
    mappings = _mappings()
    try:
        result = mappings.map(
            args.file.read_bytes(), module=args.module, client=args.client, trace=args.trace
        )
    except MappingError as error:
        sys.exit(f"{args.file}: {error}")
    sys.stdout.write(orjson.dumps(result.bundle, option=orjson.OPT_INDENT_2).decode() + "\n")
    print(f"module: {result.module}", file=sys.stderr)
    for issue in result.issues:
        print(f"{issue.severity}: {issue.expression}: {issue.diagnostics}", file=sys.stderr)
    if result.trace is not None:
        print(result.trace.to_text(), file=sys.stderr)
    if any(issue.severity in ("error", "fatal") for issue in result.issues):
        sys.exit(1)


def test_mappings(args: argparse.Namespace) -> None:
    """Run the golden cases of every module, or of the one named."""
    mappings = _mappings()
    try:
        names = [mappings.module(args.module).name] if args.module else mappings.modules
    except MappingError as error:
        sys.exit(str(error))
    failed = 0
    for name in names:
        for case in mappings.module(name).cases:
            outcome = run_case(mappings, case)
            print(f"{'ok  ' if outcome.passed else 'FAIL'} {name}/{case.name}")
            if not outcome.passed:
                failed += 1
                print(outcome.report)
    if not args.module:
        failed += len(mappings.failures)  # a module that does not load fails its cases
    print(f"{failed} failed" if failed else "all cases pass")
    if failed:
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
    serve_cmd.add_argument(
        "--mllp-port", type=int, help="also listen for HL7 v2 over MLLP on this port"
    )
    serve_cmd.set_defaults(run=serve)

    db_cmd = commands.add_parser("db", help="database administration")
    db_commands = db_cmd.add_subparsers(dest="db_command", required=True)
    upgrade_cmd = db_commands.add_parser("upgrade", help="apply pending schema migrations")
    upgrade_cmd.set_defaults(run=db_upgrade)

    _add_messages_commands(commands)
    add_notify_commands(commands)

    validate_cmd = commands.add_parser(
        "validate", help="validate FHIR JSON files; exit status 1 if any has an error"
    )
    validate_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate_cmd.set_defaults(run=validate_files)

    map_cmd = commands.add_parser(
        "map", help="map an HL7 v2 message or FHIR JSON file to canonical FHIR R4"
    )
    map_cmd.add_argument("file", type=Path, metavar="FILE")
    map_cmd.add_argument("--module", help="the mapping module (default: detected)")
    map_cmd.add_argument(
        "--client", help="map as for this client (PAINFHIR_MAPPING_CLIENTS chooses its module)"
    )
    map_cmd.add_argument(
        "--trace", action="store_true", help="which source field made which element"
    )
    map_cmd.set_defaults(run=map_file)

    mappings_cmd = commands.add_parser("mappings", help="mapping modules")
    mappings_commands = mappings_cmd.add_subparsers(dest="mappings_command", required=True)
    test_cmd = mappings_commands.add_parser("test", help="run the modules' golden cases")
    test_cmd.add_argument("module", nargs="?", help="only this module")
    test_cmd.set_defaults(run=test_mappings)
    return parser


def _since(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value}: give a time zone (Z or +hh:mm)")
    return moment


def _add_messages_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    messages_cmd = commands.add_parser("messages", help="the log of inbound HL7 v2 messages")
    messages = messages_cmd.add_subparsers(dest="messages_command", required=True)
    list_cmd = messages.add_parser("list", help="messages, newest first")
    list_cmd.add_argument("--status", choices=MESSAGE_STATUSES)
    list_cmd.add_argument("--control-id", help="MSH-10")
    list_cmd.add_argument("--sender", help="MSH-3, the sending application, as sent")
    list_cmd.add_argument("--since", type=_since, help="received at or after (ISO 8601)")
    list_cmd.add_argument(
        "--limit", type=positive_count, default=50, metavar="N", help="at most this many (50)"
    )
    list_cmd.set_defaults(run=messages_list)
    show_cmd = messages.add_parser("show", help="one message: input, ACK, errors, output")
    show_cmd.add_argument("id", type=int)
    show_cmd.add_argument("--raw", action="store_true", help="only the bytes as received")
    show_cmd.set_defaults(run=messages_show)
    replay_cmd = messages.add_parser(
        "replay", help="process failed or rejected messages again; exit 1 if any still fails"
    )
    replay_cmd.add_argument("ids", type=int, nargs="*", metavar="ID", help="default: all")
    replay_cmd.set_defaults(run=messages_replay)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    install_reactions(reactions_for)  # demo loading and replays react like the API
    args.run(args)
