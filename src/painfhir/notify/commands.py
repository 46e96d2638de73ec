"""`painfhir notify list|show|retry`: the delivery queue from a terminal, as
`/notify/deliveries` gives it over HTTP — what was sent to whom, what failed and why, and
dead letters put back in their queue once the receiver is fixed."""

from __future__ import annotations

import argparse
import sys

from painfhir.fhir.codec import dump_json
from painfhir.notify.report import delivery_details, delivery_table
from painfhir.settings import Settings
from painfhir.store import DELIVERY_STATUSES, DeliveryQuery, open_store
from painfhir.store._time import utc_now

# Dead letters `retry --dead` puts back at most, in one run.
_RETRY_AT_MOST = 1000


def notify_list(args: argparse.Namespace) -> None:
    query = DeliveryQuery(status=args.status, subscription=args.subscription, count=args.limit)
    store = open_store(Settings().database_url)
    try:
        print(delivery_table(store.deliveries.search(query)[: args.limit]))
    finally:
        store.close()


def notify_show(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url)
    try:
        delivery = store.deliveries.get(args.id)
        attempts = store.deliveries.attempts(args.id) if delivery is not None else []
    finally:
        store.close()
    if delivery is None:
        sys.exit(f"No delivery {args.id}")
    print(dump_json(delivery_details(delivery, attempts), pretty=True).decode())


def notify_retry(args: argparse.Namespace) -> None:
    if bool(args.ids) == args.dead:
        sys.exit("Name the deliveries to retry, or give --dead for every dead one")
    store = open_store(Settings().database_url)
    refused = 0
    try:
        dead = DeliveryQuery(status="dead", subscription=args.subscription, count=_RETRY_AT_MOST)
        # search gives one more than asked for, to tell that more exist
        ids = args.ids or [d.id for d in store.deliveries.search(dead)[:_RETRY_AT_MOST]]
        for delivery_id in sorted(ids):
            delivery = store.deliveries.get(delivery_id)
            if delivery is None:
                print(f"{delivery_id}: no such delivery")
            elif store.deliveries.retry(delivery_id, utc_now()):
                print(f"{delivery_id}: pending again (was dead after {delivery.attempts} attempts)")
                continue
            else:
                print(f"{delivery_id}: {delivery.status}; only dead deliveries are retried")
            refused += 1
    finally:
        store.close()
    if refused:
        sys.exit(1)


def add_notify_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify_cmd = commands.add_parser("notify", help="notifications owed to subscribers")
    notify = notify_cmd.add_subparsers(dest="notify_command", required=True)
    list_cmd = notify.add_parser("list", help="deliveries, newest first")
    list_cmd.add_argument("--status", choices=DELIVERY_STATUSES)
    list_cmd.add_argument("--subscription", help="the Subscription's id")
    list_cmd.add_argument("--limit", type=int, default=50)
    list_cmd.set_defaults(run=notify_list)
    show_cmd = notify.add_parser("show", help="one delivery: its attempts and its payload")
    show_cmd.add_argument("id", type=int)
    show_cmd.set_defaults(run=notify_show)
    retry_cmd = notify.add_parser(
        "retry", help="put dead deliveries back in their queue; exit 1 if any is not dead"
    )
    retry_cmd.add_argument("ids", type=int, nargs="*", metavar="ID")
    retry_cmd.add_argument("--dead", action="store_true", help="every dead delivery")
    retry_cmd.add_argument("--subscription", help="with --dead: only this Subscription's")
    retry_cmd.set_defaults(run=notify_retry)
