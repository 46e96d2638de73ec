"""`painfhir notify list|show|retry`: the delivery queue from a terminal, as
`/notify/deliveries` gives it over HTTP — what was sent to whom, what failed and why, and
dead letters put back in their queue once the receiver is fixed."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from painfhir.arguments import positive_count
from painfhir.fhir.codec import dump_json
from painfhir.notify.report import delivery_details, delivery_table
from painfhir.settings import Settings
from painfhir.store import DELIVERY_STATUSES, DeliveryQuery, Store, open_store
from painfhir.store._time import utc_now

# Dead letters `retry --dead` puts back at most, in one run: a run stays short, and what it
# did fits on a screen.
_RETRY_AT_MOST = 1000


def _subscription_id(value: str) -> str:
    """`sub1`, or `Subscription/sub1` as `notify show` and the API print it."""
    subscription = value.removeprefix("Subscription/")
    if not subscription or "/" in subscription:
        raise argparse.ArgumentTypeError(f"{value}: give a Subscription's id (sub1)")
    return subscription


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


def _misuse(args: argparse.Namespace) -> str | None:
    """What is wrong with the way `retry` was called, if anything."""
    if bool(args.ids) == args.dead:
        return "name the deliveries to retry (ID ...), or give --dead for every dead one"
    if args.ids and args.subscription is not None:
        # as a filter it would leave named deliveries out without a word; they are named
        return "--subscription goes with --dead only: named deliveries are retried as named"
    return None


def _retry_each(store: Store, ids: list[int]) -> int:
    """Put each delivery back in its queue and say so; how many were refused."""
    refused = 0
    for delivery_id in ids:
        delivery = store.deliveries.get(delivery_id)
        if delivery is None:
            print(f"{delivery_id}: no such delivery")
        elif store.deliveries.retry(delivery_id, utc_now()):
            print(f"{delivery_id}: pending again (was dead after {delivery.attempts} attempts)")
            continue
        else:
            print(f"{delivery_id}: {delivery.status}; only dead deliveries are retried")
        refused += 1
    return refused


def _retry_dead(store: Store, subscription: str | None) -> int:
    # Oldest first: each queue is delivered in the order its changes were written, and
    # retrying the newest first would send them ahead of the older ones left for a next run.
    query = DeliveryQuery(
        status="dead", subscription=subscription, count=_RETRY_AT_MOST, oldest_first=True
    )
    found = store.deliveries.search(query)  # one more than asked for when more exist
    ids = [delivery.id for delivery in found[:_RETRY_AT_MOST]]
    refused = _retry_each(store, ids)
    if not ids:
        print("no dead deliveries")
    elif len(found) > len(ids):
        print(
            f"{len(ids):,} dead deliveries retried, the oldest first;"
            " more remain: run the same command again"
        )
    return refused


def notify_retry(args: argparse.Namespace, usage: argparse.ArgumentParser) -> None:
    misuse = _misuse(args)
    if misuse is not None:
        usage.error(misuse)  # exit status 2, as for any other bad argument
    store = open_store(Settings().database_url)
    try:
        if args.dead:
            refused = _retry_dead(store, args.subscription)
        else:
            # a delivery named twice is put back once: the second time it is no longer dead
            refused = _retry_each(store, sorted(set(args.ids)))
    finally:
        store.close()
    if refused:
        sys.exit(1)


def add_notify_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify_cmd = commands.add_parser("notify", help="notifications owed to subscribers")
    notify = notify_cmd.add_subparsers(dest="notify_command", required=True)
    list_cmd = notify.add_parser("list", help="deliveries, newest first")
    list_cmd.add_argument("--status", choices=DELIVERY_STATUSES)
    list_cmd.add_argument(
        "--subscription",
        type=_subscription_id,
        metavar="ID",
        help="the Subscription's id (or Subscription/id)",
    )
    list_cmd.add_argument(
        "--limit", type=positive_count, default=50, metavar="N", help="at most this many (50)"
    )
    list_cmd.set_defaults(run=notify_list)
    show_cmd = notify.add_parser("show", help="one delivery: its attempts and its payload")
    show_cmd.add_argument("id", type=int)
    show_cmd.set_defaults(run=notify_show)
    retry_cmd = notify.add_parser(
        "retry", help="put dead deliveries back in their queue; exit 1 if any is not dead"
    )
    retry_cmd.add_argument("ids", type=int, nargs="*", metavar="ID", help="these deliveries")
    retry_cmd.add_argument(
        "--dead",
        action="store_true",
        help=f"every dead delivery, the oldest first, {_RETRY_AT_MOST:,} at most in one run"
        " (it says how many remain)",
    )
    retry_cmd.add_argument(
        "--subscription",
        type=_subscription_id,
        metavar="ID",
        help="with --dead only: only this Subscription's (its id, or Subscription/id)",
    )
    retry_cmd.set_defaults(run=partial(notify_retry, usage=retry_cmd))
