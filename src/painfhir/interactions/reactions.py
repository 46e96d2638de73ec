"""Reactions: work the service does because a resource was written, in the same transaction.

A reaction is called with the write session, the version just stored and the resource as
written (parsed JSON, without the server's id and meta); it may read, search and write more
resources through the session (with `painfhir.interactions.writes`), and returns the issues
— warnings, usually — that travel back to the client with the write's answer.

The interactions layer only calls reactions; which ones exist is the workflow's business.
The service installs the workflow's lookup once (`install`) where it starts: the app and the
command line. Until then no write reacts, so the lower layers stay usable on their own.

Two rules keep reactions predictable:
- Writes made by a reaction do not react in turn, so reactions never cascade or loop; they
  are reported as the write's `related` versions.
- Inside a Bundle, reactions wait until every entry is written (`deferred`), so a check
  sees the whole Bundle — the naloxone prescribed next to the opioid, the Coverage sent with
  the referral — whatever the entries' order. A reaction that looks at a whole group rather
  than at the one resource written (`OncePer`: the intake check of a patient's referrals)
  runs once per group in a Bundle, after the group's last write, not once per entry.

One kind of reaction runs before the update is stored instead (`BeforeStoring`): it may keep
part of the stored version that the update would undo — a referral's final status that the
clinic's operations set — so that what is stored, and compared with the current version to
skip an unchanged resend, is already what the rules allow.

A delete runs only the reactions that ask for it (`OnDelete`), with the deletion and the
resource as it was: most reactions work on what a resource says, and a deletion says nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.store import StoredVersion, WriteSession

Reaction = Callable[[WriteSession, StoredVersion, dict[str, Any]], list[Issue]]
ReactionsFor = Callable[[str], tuple[Reaction, ...]]


@dataclass(frozen=True, slots=True)
class OncePer:
    """A reaction that, in a Bundle, needs to run only once for all the writes that `group`
    puts in one group (None: no group, it runs for that write alone)."""

    group: Callable[[dict[str, Any]], str | None]
    reaction: Reaction

    def __call__(
        self, session: WriteSession, version: StoredVersion, resource: dict[str, Any]
    ) -> list[Issue]:
        return self.reaction(session, version, resource)


@dataclass(frozen=True, slots=True)
class OnDelete:
    """A reaction that runs on deletes too: then `version` is the deletion (no content) and
    `resource` the resource as it was before. It may wrap a `OncePer`."""

    reaction: Reaction

    def __call__(
        self, session: WriteSession, version: StoredVersion, resource: dict[str, Any]
    ) -> list[Issue]:
        return self.reaction(session, version, resource)


Amend = Callable[[WriteSession, StoredVersion, dict[str, Any]], tuple[dict[str, Any], list[Issue]]]


@dataclass(frozen=True, slots=True)
class BeforeStoring:
    """A reaction to an update of a live resource that runs before the new version is stored:
    `amend(session, current version, resource)` returns the resource to store and the issues
    saying what it kept. It runs on every update, a reaction's own too: it guards what is
    stored rather than doing more work, so it cannot cascade."""

    amend: Amend

    def __call__(
        self, session: WriteSession, version: StoredVersion, resource: dict[str, Any]
    ) -> list[Issue]:
        return []  # its work was done before the write was stored


def before_storing(
    session: WriteSession, current: StoredVersion, resource: dict[str, Any]
) -> tuple[dict[str, Any], list[Issue]]:
    """The resource an update of `current` stores, once every `BeforeStoring` of its type
    has amended it, and what they said."""
    issues: list[Issue] = []
    for reaction in _installed[0](current.res_type):
        if isinstance(reaction, BeforeStoring):
            resource, said = reaction.amend(session, current, resource)
            issues += said
    return resource, issues


def _no_reactions(res_type: str) -> tuple[Reaction, ...]:
    return ()


_installed: list[ReactionsFor] = [_no_reactions]


def install(reactions_for: ReactionsFor) -> ReactionsFor:
    """Make `reactions_for(resource type)` the reactions every later write runs; returns the
    lookup it replaces."""
    previous, _installed[0] = _installed[0], reactions_for
    return previous


@dataclass(slots=True)
class Reacted:
    """What the reactions to one write said, and what they wrote."""

    issues: list[Issue] = field(default_factory=list)
    related: list[StoredVersion] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    session: WriteSession
    version: StoredVersion
    resource: dict[str, Any]
    reacted: Reacted


# While a reaction runs: where its own writes are recorded (and that they must not react).
_reacting: ContextVar[Reacted | None] = ContextVar("reacting", default=None)
# Inside `deferred`: the writes whose reactions wait for the end of the Bundle.
_waiting: ContextVar[list[_Pending] | None] = ContextVar("waiting", default=None)
# While the reactions of one write or one Bundle run: what they note for each other.
_notes: ContextVar[dict[str, Any] | None] = ContextVar("notes", default=None)


def shared_notes() -> dict[str, Any]:
    """A dict shared by the reactions of one write, or of one whole Bundle, and gone after:
    where one reaction notes work that another would otherwise do again in the same
    transaction (a referral's intake check, reached from the referral and from its package)."""
    notes = _notes.get()
    return notes if notes is not None else {}


@contextmanager
def _sharing_notes() -> Iterator[None]:
    token = _notes.set({})
    try:
        yield
    finally:
        _notes.reset(token)


def react(session: WriteSession, version: StoredVersion, resource: dict[str, Any]) -> Reacted:
    """Run the reactions to a write now, or — inside `deferred` — once the Bundle is written
    (the returned `Reacted` is filled in then)."""
    reacted = Reacted()
    outer = _reacting.get()
    if outer is not None:
        outer.related.append(version)
        return reacted
    pending = _Pending(session, version, resource, reacted)
    waiting = _waiting.get()
    if waiting is not None:
        waiting.append(pending)
    else:
        with _sharing_notes():
            _run(pending)
    return reacted


def _reactions_to(version: StoredVersion) -> tuple[Reaction, ...]:
    """The reactions of the written type; to a delete, only those `OnDelete`."""
    installed = _installed[0](version.res_type)
    if version.deleted:
        return tuple(reaction for reaction in installed if isinstance(reaction, OnDelete))
    return installed


def _run(pending: _Pending, reactions: Sequence[Reaction] | None = None) -> None:
    """Run `reactions` (by default all those `_reactions_to` the write) on one write."""
    if reactions is None:
        reactions = _reactions_to(pending.version)
    token = _reacting.set(pending.reacted)
    try:
        for reaction in reactions:
            pending.reacted.issues.extend(
                reaction(pending.session, pending.version, pending.resource)
            )
    finally:
        _reacting.reset(token)


def _group_of(reaction: Reaction, pending: _Pending) -> tuple[Reaction, str] | None:
    if isinstance(reaction, OnDelete):
        reaction = reaction.reaction
    if not isinstance(reaction, OncePer):
        return None
    group = reaction.group(pending.resource)
    # Keyed by the wrapped function, so one registered for several types is still run once.
    return None if group is None else (reaction.reaction, group)


def _run_all(waiting: list[_Pending]) -> None:
    """The waiting writes' reactions in write order; a `OncePer` reaction only at the last
    write of its group."""
    plans = [_reactions_to(pending.version) for pending in waiting]
    last: dict[tuple[Reaction, str], int] = {}
    for index, (pending, reactions) in enumerate(zip(waiting, plans, strict=True)):
        for reaction in reactions:
            if (key := _group_of(reaction, pending)) is not None:
                last[key] = index
    for index, (pending, reactions) in enumerate(zip(waiting, plans, strict=True)):
        runs = [
            reaction
            for reaction in reactions
            if (key := _group_of(reaction, pending)) is None or last[key] == index
        ]
        _run(pending, runs)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold back the reactions to the writes made inside, and run them, in the order of the
    writes, when the block ends without an error (still inside the caller's transaction)."""
    waiting: list[_Pending] = []
    token = _waiting.set(waiting)
    try:
        yield
    finally:
        _waiting.reset(token)
    with _sharing_notes():
        _run_all(waiting)
