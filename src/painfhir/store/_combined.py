"""Token and date parameters indexed together, for "this code within that time window".

`Observation?code=…&date=ge…` is among the commonest queries of clinical data. Through the
separate token and date index tables, the database must intersect two large sets — every
Observation with the code, every Observation in the window — and both grow with the store.
For the pairs below, each resource also gets one `search_token_date` row per (code, date)
pair of its own rows, so one index holds both: the database reads the code's entries in id
order with the date at hand (a page of a wide window is found in a few entries), or the
window's range of them (a narrow window).

The rows are the cross product of the resource's token rows (with a code) and its date rows,
so "some token row matches and some date row matches" is exactly "some pair row matches both":
a search may use them in place of the two criteria whenever every token value names a code.
"""

from __future__ import annotations

from types import MappingProxyType

# Resource type → (token parameter, date parameter): clinical results, reports and
# procedures, which are looked up by what was done or measured and when.
PAIRS = MappingProxyType(
    {
        "Observation": ("code", "date"),
        "DiagnosticReport": ("code", "date"),
        "Procedure": ("code", "date"),
    }
)


def pair_param(token_param: str, date_param: str) -> str:
    """The `param` of a pair's rows."""
    return f"{token_param}&{date_param}"
