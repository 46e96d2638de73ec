"""FHIR JSON in and out, without losing a digit.

FHIR decimals carry their precision in their text (`1.10` is not `1.1`), so inbound JSON is
parsed with decimals as `JsonDecimal` (a `Decimal` that keeps its text) and written back
verbatim; orjson's speed is kept for
everything else. Integers stay `int`, and NaN / Infinity (not JSON) are refused.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, NoReturn

import orjson

from painfhir.fhir.outcome import FhirError


class JsonDecimal(Decimal):
    """A JSON number with a fraction or exponent, remembering the exact text it was written as."""

    __slots__ = ("text",)
    text: str

    def __str__(self) -> str:
        return self.text

    # Immutable, like Decimal; copying must not lose the text (Decimal's own copy would).
    def __copy__(self) -> JsonDecimal:
        return self

    def __deepcopy__(self, memo: object) -> JsonDecimal:
        return self


def _parse_decimal(text: str) -> JsonDecimal:
    number = JsonDecimal(text)
    number.text = text
    return number


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


_decoder = json.JSONDecoder(parse_float=_parse_decimal, parse_constant=_refuse_constant)


def parse_json(body: bytes | str) -> Any:
    """Parse JSON text; decimals come back as `JsonDecimal`, written back exactly as received."""
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
        return _decoder.decode(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FhirError.of(400, "invalid", f"The body is not valid JSON: {exc}") from exc


def _decimal_as_written(value: object) -> orjson.Fragment:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(value: Any, *, pretty: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if pretty else 0
    try:
        return orjson.dumps(value, default=_decimal_as_written, option=option)
    except orjson.JSONEncodeError as exc:
        raise FhirError.of(400, "invalid", f"The JSON cannot be stored: {exc}") from exc


def reformat(stored: bytes, *, pretty: bool) -> bytes:
    """Stored bytes are compact JSON; re-indent them (decimals untouched) when asked."""
    return dump_json(parse_json(stored), pretty=True) if pretty else stored
