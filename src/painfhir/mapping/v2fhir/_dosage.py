"""What an RDE^O11's RXE says of giving and dispensing the medication: a FHIR R4 Dosage (the
give amount RXE-3/4 in the give units RXE-5, the route of the RXE's own RXR, the provider's
administration instructions RXE-7 as text, the timing of the RXE's own TQ1) and a
dispenseRequest (RXE-10/11, RXE-12).

The RXE's own RXR and TQ1 are those after it in the ORDER group (TIMING_ENCODED); those
before it belong to the order as placed (ORC's TIMING, RXO's ORDER_DETAIL), which the
pharmacy's encoding in RXE may have changed.
"""

from __future__ import annotations

import re

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Group, Segment, Terser
from painfhir.mapping.v2fhir._types import (
    Json,
    clean,
    codeable_concept,
    coding_system,
    date_time_at,
    number_at,
    own_segments,
    put,
    repetitions,
)

_UCUM = "http://unitsofmeasure.org"
# table 0335's regular repeat patterns: Q<n>S/M/H/D/W/L (every n seconds ... lunar months),
# BID/TID/QID and <n>ID (n times a day), QOD (every other day)
_EVERY = re.compile(r"Q([1-9]\d*)([SMHDWL])")
_TIMES_A_DAY = re.compile(r"([1-9]\d*)ID")
_NAMED_TIMES_A_DAY = {"BID": 2, "TID": 3, "QID": 4}
_PERIOD_UNITS = {"S": "s", "M": "min", "H": "h", "D": "d", "W": "wk", "L": "mo"}


def dosage(ctx: Hl7v2Context, order: Group, read: Terser) -> Json:
    """The Dosage of the ORDER's RXE; {} when it says nothing of one."""
    found: Json = {}
    put(found, "text", "\n".join(texts(read, "RXE-7")))
    tq1 = encoded_timing(order)
    if tq1 is not None:
        put(found, "timing", _timing(ctx, read.within(tq1), tq1))
    routes = own_segments(order, "RXR")
    if routes:
        put(found, "route", codeable_concept(ctx, read.within(routes[0]), "RXR-1"))
    put(found, "doseAndRate", _dose(ctx, read))
    return found


def dispense_request(ctx: Hl7v2Context, read: Terser) -> Json:
    found: Json = {}
    refills = _count_at(ctx, read, "RXE-12", least=0)
    if refills is not None:
        found["numberOfRepeatsAllowed"] = refills
    put(found, "quantity", _quantity_at(ctx, read, "RXE-10", "RXE-11"))
    return found


def encoded_timing(order: Group) -> Segment | None:
    """The first TQ1 of the RXE's TIMING_ENCODED; later ones (another schedule, joined by
    TQ1-12's conjunction) are left to the trace as unused."""
    groups = order.groups("TIMING_ENCODED")
    return groups[0].segments("TQ1")[0] if groups else None


def texts(read: Terser, field: str) -> list[str]:
    """The text of each repetition of a repeating CWE of instructions: its text (.2), else
    the code (.1), where senders put free text."""
    found = (
        clean(read.value(f"{path}.2")) or clean(read.value(f"{path}.1"))
        for path in repetitions(read, field)
    )
    return [text for text in found if text]


def _quantity_at(ctx: Hl7v2Context, read: Terser, path: str, units: str) -> Json | None:
    """The NM at `path` in the CWE units at `units`: the units' text as Quantity.unit, and
    a UCUM code also as system and code, which is what makes quantities comparable."""
    value = number_at(ctx, read, path)
    if value is None:
        return None
    quantity: Json = {"value": value}
    code = clean(read.value(f"{units}.1"))
    put(quantity, "unit", clean(read.value(f"{units}.2")) or code)
    for first in (1, 4):  # the code, then the alternate code
        ucum = clean(read.value(f"{units}.{first}"))
        system_name = clean(read.value(f"{units}.{first + 2}")) or ""
        if ucum and coding_system(ctx, system_name.upper()) == _UCUM:
            quantity.update({"system": _UCUM, "code": ucum})
            break
    return quantity


def _count_at(ctx: Hl7v2Context, read: Terser, path: str, *, least: int) -> int | None:
    """An NM that counts something (refills, occurrences): whole, and `least` or more."""
    count = number_at(ctx, read, path)
    if count is not None and (not isinstance(count, int) or count < least):
        reason = f"{path} {count} is not a count (a whole number, {least} or more)"
        raise ctx.invalid(read, path, reason)
    return count


def _dose(ctx: Hl7v2Context, read: Terser) -> list[Json]:
    """RXE-3 alone is the dose; with RXE-4, the maximum, a range from one to the other."""
    minimum = _quantity_at(ctx, read, "RXE-3", "RXE-5")
    maximum = _quantity_at(ctx, read, "RXE-4", "RXE-5")
    if maximum is None:
        return [{"doseQuantity": minimum}] if minimum else []
    if minimum and minimum["value"] > maximum["value"]:
        reason = f"RXE-4 {maximum['value']} is less than the minimum, RXE-3 {minimum['value']}"
        raise ctx.invalid(read, "RXE-4", reason)
    dose_range: Json = {}
    put(dose_range, "low", minimum)
    dose_range["high"] = maximum
    return [{"doseRange": dose_range}]


def _timing(ctx: Hl7v2Context, read: Terser, tq1: Segment) -> Json:
    """TQ1 as a Timing: the repeat pattern (TQ1-3, table 0335) as its code and, for the
    regular ones, frequency and period; start and end (TQ1-7/8) as bounds; the total
    occurrences (TQ1-14) as count. Several patterns (TQ1-3 repeats: Mondays and Thursdays)
    are left out: one of them alone would be a different schedule."""
    timing: Json = {}
    repeat: Json = {}
    if len(tq1.tree(3)) < 2:  # the segment's own count: a read would claim them all
        put(timing, "code", codeable_concept(ctx, read, "TQ1-3.1"))
        repeat.update(_repeat_pattern(clean(read.value("TQ1-3.1.1")) or ""))
    bounds: Json = {}
    put(bounds, "start", date_time_at(ctx, read, "TQ1-7"))
    put(bounds, "end", date_time_at(ctx, read, "TQ1-8"))
    put(repeat, "boundsPeriod", bounds)
    put(repeat, "count", _count_at(ctx, read, "TQ1-14", least=1))
    put(timing, "repeat", repeat)
    return timing


def _repeat_pattern(code: str) -> Json:
    """Frequency and period of a regular pattern of table 0335; {} for the others (PRN,
    meal-related, Q<n>J<day>, C, U <spec>), whose code alone says what they mean."""
    code = code.upper()
    every = _EVERY.fullmatch(code)
    if every:
        return {"frequency": 1, "period": int(every[1]), "periodUnit": _PERIOD_UNITS[every[2]]}
    if code == "QOD":
        return {"frequency": 1, "period": 2, "periodUnit": "d"}
    times = _TIMES_A_DAY.fullmatch(code)
    frequency = _NAMED_TIMES_A_DAY.get(code) or (int(times[1]) if times else None)
    if frequency is None:
        return {}
    return {"frequency": frequency, "period": 1, "periodUnit": "d"}
