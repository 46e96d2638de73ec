"""Fixed and pattern values: exact and subset matching of JSON, and showing values in messages."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from painfhir.validation.profile._run import Run

_SHOWN_AT_MOST = 120


def as_instance(value: Any) -> Any:
    """A value from the compiled guide as parse_json would give it: numbers as Decimal."""
    if type(value) is float:
        return Decimal(repr(value))
    if type(value) is dict:
        return {key: as_instance(item) for key, item in value.items()}
    if type(value) is list:
        return [as_instance(item) for item in value]
    return value


def equal(value: Any, expected: Any) -> bool:
    """fixed[x]: the same JSON, member for member (numbers by value, 1.0 == 1)."""
    if type(expected) is dict:
        return (
            type(value) is dict
            and value.keys() == expected.keys()
            and all(equal(value[key], item) for key, item in expected.items())
        )
    if type(expected) is list:
        return (
            type(value) is list
            and len(value) == len(expected)
            and all(equal(a, b) for a, b in zip(value, expected, strict=True))
        )
    if type(expected) is Decimal or type(expected) is int:
        return _number(value) == expected
    return type(value) is type(expected) and bool(value == expected)


def matches(value: Any, pattern: Any) -> bool:
    """pattern[x]: every member the pattern has, the value has alike; an array of the pattern
    is matched by containment, each of its items by a different item of the value's array."""
    if type(pattern) is dict:
        return type(value) is dict and all(
            key in value and matches(value[key], item) for key, item in pattern.items()
        )
    if type(pattern) is list:
        if type(value) is not list:
            return False
        unused = list(value)
        for item in pattern:
            at = next((i for i, candidate in enumerate(unused) if matches(candidate, item)), None)
            if at is None:
                return False
            del unused[at]
        return True
    return equal(value, pattern)


def pattern_matcher(pattern: Any) -> Callable[[Any], bool]:
    """`matches(value, pattern)` compiled for one pattern: the checks unrolled into closures,
    with a Coding-like object of strings (the usual leaf) tested member by member."""
    if type(pattern) is dict:
        if all(type(item) is str for item in pattern.values()):
            return _strings_matcher(pattern)
        if len(pattern) == 1:
            ((key, item),) = pattern.items()
            if type(item) is list and len(item) == 1:  # {"coding": [{...}]}, above all
                return _member_item_matcher(key, pattern_matcher(item[0]))
        return _members_matcher(tuple((k, pattern_matcher(v)) for k, v in pattern.items()))
    if type(pattern) is list:
        if len(pattern) == 1:
            return _any_item_matcher(pattern_matcher(pattern[0]))
        return lambda value: matches(value, pattern)
    return lambda value: equal(value, pattern)


# Loops rather than all()/any() over generators: these run for every sliced entry.
def _members_matcher(parts: tuple[tuple[str, Callable[[Any], bool]], ...]) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for key, item_test in parts:  # noqa: SIM110
            if key not in value or not item_test(value[key]):
                return False
        return True

    return test


def _member_item_matcher(key: str, item_test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A pattern of one member that is an array of one item (a CodeableConcept's one coding):
    the member is an array with an item that matches."""

    def test(value: Any) -> bool:
        items = value.get(key) if type(value) is dict else None
        if type(items) is not list:
            return False
        for item in items:  # noqa: SIM110
            if item_test(item):
                return True
        return False

    return test


def _any_item_matcher(item_test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        if type(value) is not list:
            return False
        for item in value:  # noqa: SIM110
            if item_test(item):
                return True
        return False

    return test


def _strings_matcher(pattern: dict[str, str]) -> Callable[[Any], bool]:
    pairs = tuple(pattern.items())
    if len(pairs) == 2:  # system and code: the pattern of almost every Coding
        (key_a, a), (key_b, b) = pairs
        return lambda value: type(value) is dict and value.get(key_a) == a and value.get(key_b) == b
    return lambda value: type(value) is dict and all(value.get(k) == v for k, v in pairs)


def _number(value: Any) -> Decimal | None:
    if type(value) is bool or not isinstance(value, int | float | Decimal):
        return None
    return value if type(value) is Decimal else Decimal(repr(value))


def show(value: Any) -> str:
    """A value as compact JSON, cut short for messages."""
    if value is None:
        return "nothing"
    text = orjson.dumps(value, default=float).decode()
    return text if len(text) <= _SHOWN_AT_MOST else text[: _SHOWN_AT_MOST - 3] + "..."


class FixedCheck:
    """fixed[x]: the value must be exactly this."""

    __slots__ = ("expected", "label", "profile")

    def __init__(self, expected: Any, label: str, profile: str) -> None:
        self.expected = as_instance(expected)
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if not equal(value, self.expected):
            message = (
                f"{self.profile}: {self.label} must be exactly {show(self.expected)}, "
                f"but is {show(value)}"
            )
            run.issue("error", "value", message, expression)


class PatternCheck:
    """pattern[x]: the value must have at least what the pattern has."""

    __slots__ = ("label", "matches", "pattern", "profile")

    def __init__(self, pattern: Any, label: str, profile: str) -> None:
        self.pattern = as_instance(pattern)
        self.matches = pattern_matcher(self.pattern)
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if not self.matches(value):
            message = (
                f"{self.profile}: {self.label} must match the pattern {show(self.pattern)}, "
                f"but is {show(value)}"
            )
            run.issue("error", "value", message, expression)
