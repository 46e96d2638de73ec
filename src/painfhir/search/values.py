"""Typed search values: what one comma-separated value of a search parameter means."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from painfhir.fhir.outcome import FhirError
from painfhir.search.config import is_absolute, local_target, search_config
from painfhir.search.dates import PREFIXES, DateRange, Prefix, parse_date_value
from painfhir.search.normalize import normalize_string

# Far past any measurement, and within what every store compares: PostgreSQL's NUMERIC
# ends at 1e131072 and 16383 decimal places (beyond, a search would fail there), and the
# decimal module's default context refuses to compute a range for 1e999999999.
MAX_EXPONENT = 1000


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A number with its prefix; [low, high) is the range its precision implies."""

    prefix: Prefix
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class QuantityValue:
    number: NumberValue
    system: str | None  # None: any system
    code: str | None  # None: any unit; matched against code, or unit when system is None


@dataclass(frozen=True, slots=True)
class TokenValue:
    """`system|code`; system None matches any system, "" matches codes without one."""

    system: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """`Type/id`, a bare id (any type), or the absolute URL of another server's resource."""

    target_type: str | None
    target_id: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class StringValue:
    text: str  # normalized (default, :contains) or exact (:exact), as the modifier wants


SearchValue = (
    NumberValue | QuantityValue | TokenValue | ReferenceValue | StringValue | DateRange | str
)


def _bad(param: str, value: str, kind: str) -> FhirError:
    return FhirError.of(400, "value", f"'{value}' is not a valid {kind} for '{param}'")


def _split_prefix(value: str) -> tuple[Prefix, str]:
    if value[:2] in PREFIXES:
        return value[:2], value[2:]  # type: ignore[return-value]
    return "eq", value


def parse_number(param: str, value: str) -> NumberValue:
    prefix, text = _split_prefix(value)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise _bad(param, value, "number") from exc
    if not number.is_finite():
        raise _bad(param, value, "number")
    # Half a unit of the last significant digit: 100 → [99.5, 100.5), 1e2 → [50, 150).
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number.adjusted() > MAX_EXPONENT or exponent < -MAX_EXPONENT:
        raise FhirError.of(
            400,
            "value",
            f"'{value}' is out of range for '{param}': a number searched must be less than"
            f" 1e{MAX_EXPONENT + 1} in size, with at most {MAX_EXPONENT} decimal places",
        )
    half = Decimal(5).scaleb(exponent - 1)
    if prefix == "ap":
        half = max(half, abs(number) / 10)
    return NumberValue(prefix, number, number - half, number + half)


def parse_quantity(param: str, value: str) -> QuantityValue:
    parts = value.split("|")
    if len(parts) not in (1, 3):
        raise _bad(param, value, "quantity (number|system|code)")
    number = parse_number(param, parts[0])
    if len(parts) == 1:
        return QuantityValue(number, None, None)
    return QuantityValue(number, parts[1] or None, parts[2] or None)


def parse_token(value: str) -> TokenValue:
    if "|" not in value:
        return TokenValue(None, value)
    system, code = value.split("|", 1)
    return TokenValue(system, code or None)


def parse_reference(value: str) -> ReferenceValue:
    """An absolute URL under this server's base is the local `Type/id` it names; any other
    is matched as written: another server's `Patient/1` is not this server's."""
    if is_absolute(value):
        if local_target(value) is None:
            return ReferenceValue(None, None, value)
        value = value.removeprefix(search_config().base or "")
    pieces = value.split("/")
    if len(pieces) >= 2:
        return ReferenceValue(pieces[0], pieces[1], None)  # Type/id or Type/id/_history/n
    return ReferenceValue(None, value, None)


def parse_string(value: str, modifier: str | None) -> StringValue:
    return StringValue(value if modifier == "exact" else normalize_string(value))


def parse_date(param: str, value: str) -> DateRange:
    return parse_date_value(param, value)
