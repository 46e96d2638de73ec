"""Base R4's checks of one resource — its structure, then its invariants and the extensions
found on the same walk — remembered by content.

They depend on nothing but the resource's JSON, and senders repeat themselves: every HL7 v2
referral of a hospital carries the same Practitioners, Organizations and payer, every
resubmitted package the same Patient. A remembered answer costs one serialisation instead of
a walk of the whole resource. Profiles are not remembered: they may resolve references to
other resources, which can change.
"""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal
from typing import Any

from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.fhir.structure import check_resource
from painfhir.validation.invariants import check_base

BLOCKING = frozenset({"fatal", "error"})
# Distinct resources remembered; the oldest is forgotten first.
MEMO_SIZE = 4096
MEMO_MAX_BYTES = 64 * 1024
_JSON_SCALARS = frozenset({str, int, float, bool, type(None), Decimal})

_Checked = tuple[tuple[Issue, ...], tuple[Issue, ...], tuple[Issue, ...]]
_memo: dict[bytes, _Checked] = {}  # by blake2b digest of the JSON
_memo_lock = threading.Lock()


def has_errors(issues: list[Issue]) -> bool:
    return any(issue.severity in BLOCKING for issue in issues)


def base_checks(resource: Any) -> tuple[list[Issue], list[Issue], list[Issue]]:
    """The issues of the structure, of base R4's invariants and of painfhir's extensions;
    the last two are empty when the structure has errors (they assume a sound structure)."""
    key = _memo_key(resource)
    checked = _memo.get(key) if key is not None else None
    if checked is None:
        checked = _check(resource)
        if key is not None:
            with _memo_lock:  # writes come from the server's thread pool
                while len(_memo) >= MEMO_SIZE:
                    del _memo[next(iter(_memo))]
                _memo[key] = checked
    structure, base, extensions = checked
    return list(structure), list(base), list(extensions)


def _memo_key(resource: Any) -> bytes | None:
    """The blake2b digest of the resource's JSON; None when it is not to be remembered."""
    # JSON text is the key, so only values parsed JSON could hold may use it: a date and its
    # ISO string, a tuple and a list, an Enum and its value serialise alike, and the checks
    # accept the one and refuse the other.
    if not _is_plain_json(resource):
        return None
    try:
        content = dump_json(resource)
    except FhirError:  # not JSON after all (an integer too large for it)
        return None
    # Only resources of the size senders repeat: the memo must not hold documents (a
    # Binary, a DiagnosticReport with its PDF) in memory.
    if len(content) > MEMO_MAX_BYTES:
        return None
    return hashlib.blake2b(content, digest_size=16).digest()


def _is_plain_json(value: Any) -> bool:
    """Whether `value` holds nothing but what the codec's parse makes: dicts, lists,
    strings, numbers (int, float, Decimal), booleans and None. (Keys need no look: the
    serialiser refuses any but strings, and a key of a str subclass is checked as a str.)"""
    if type(value) is not dict:
        return False
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        for item in node.values() if type(node) is dict else node:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind not in _JSON_SCALARS:
                return False
    return True


def _check(resource: Any) -> _Checked:
    structure = check_resource(resource)
    if has_errors(structure):
        return tuple(structure), (), ()
    base, extensions = check_base(resource)
    return tuple(structure), tuple(base), tuple(extensions)
