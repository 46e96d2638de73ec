"""String functions (N1 §5.6), plus trim(), split() and join() from FHIRPath 2.0.

Regular expressions are Python's, which read the XML-Schema-like patterns FHIR uses the same
way. `matches()` must match the whole string: FHIRPath N1 (which R4 uses) was read that way by
the HL7 validator, and R4's own constraints rely on it (eld-20 would be void otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from painfhir.fhirpath._context import Context
from painfhir.fhirpath._errors import FhirPathEvaluationError
from painfhir.fhirpath._model import STRING_TYPES, system_value
from painfhir.fhirpath._registry import FALSE, TRUE, function, single


def _text(items: list[Any], what: str) -> str | None:
    if len(items) == 1:  # the common case, a FHIR string-like primitive, without calls
        item = items[0]
        if type(item) is tuple and type(item[1]) is str and item[0] in STRING_TYPES:
            return item[1]
    value = system_value(single(items, what))
    if value is None or type(value) is str:
        return value
    raise FhirPathEvaluationError(f"{what} needs a String, not {value!r}")


def _texts(args: list[list[Any]], what: str) -> list[str] | None:
    """The String arguments, or None if any is empty (the result is then empty)."""
    values = [arg[0] if len(arg) == 1 and type(arg[0]) is str else _text(arg, what) for arg in args]
    return None if None in values else cast(list[str], values)


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise FhirPathEvaluationError(f"invalid regular expression {pattern!r}: {exc}") from exc


TextFunction = Callable[[str, list[str]], Any]


def _text_function(
    name: str, min_args: int = 0, max_args: int | None = None
) -> Callable[[TextFunction], TextFunction]:
    """Register `implementation(text, args) -> result` as a String function: empty input or an
    empty argument gives empty."""

    def register(implementation: TextFunction) -> TextFunction:
        def run(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
            text = _text(items, f"{name}()")
            values = _texts(args, f"{name}()")
            if text is None or values is None:
                return []
            result = implementation(text, values)
            if result is None:
                return []
            return [result] if type(result) is not bool else (TRUE if result else FALSE)

        function(name, min_args, max_args, arguments="values")(run)
        return implementation

    return register


@_text_function("indexOf", 1)
def _index_of(text: str, args: list[str]) -> int:
    return text.find(args[0])


@function("substring", 1, 2, arguments="values")
def _substring(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    text = _text(items, "substring()")
    start = single(args[0], "substring()")
    length = single(args[1], "substring()") if len(args) > 1 else None
    if text is None or start is None or not 0 <= start < len(text):
        return []
    end = len(text) if length is None else start + max(length, 0)
    return [text[start:end]]


@_text_function("startsWith", 1)
def _starts_with(text: str, args: list[str]) -> bool:
    return text.startswith(args[0])


@_text_function("endsWith", 1)
def _ends_with(text: str, args: list[str]) -> bool:
    return text.endswith(args[0])


@_text_function("contains", 1)
def _contains(text: str, args: list[str]) -> bool:
    return args[0] in text


@_text_function("upper")
def _upper(text: str, args: list[str]) -> str:
    return text.upper()


@_text_function("lower")
def _lower(text: str, args: list[str]) -> str:
    return text.lower()


@_text_function("replace", 2)
def _replace(text: str, args: list[str]) -> str:
    return text.replace(args[0], args[1])


@_text_function("matches", 1)
def _matches(text: str, args: list[str]) -> bool:
    return _regex(args[0]).fullmatch(text) is not None


_GROUP = re.compile(r"\$(\d+)")


@_text_function("replaceMatches", 2)
def _replace_matches(text: str, args: list[str]) -> str:
    # Substitutions name groups `$1` as Java does; Python wants `\g<1>`.
    substitution = _GROUP.sub(r"\\g<\1>", args[1].replace("\\", "\\\\"))
    return _regex(args[0]).sub(substitution, text)


@_text_function("length")
def _length(text: str, args: list[str]) -> int:
    return len(text)


@function("toChars")
def _to_chars(items: list[Any], context: Context) -> list[Any]:
    text = _text(items, "toChars()")
    return [] if text is None else list(text)


@_text_function("trim")
def _trim(text: str, args: list[str]) -> str:
    return text.strip()


@function("split", 1, arguments="values")
def _split(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    text = _text(items, "split()")
    separator = _text(args[0], "split()")
    if text is None or separator is None:
        return []
    return text.split(separator) if separator else list(text)


@function("join", 0, 1, arguments="values")
def _join(items: list[Any], args: list[list[Any]], context: Context) -> list[Any]:
    separator = (_text(args[0], "join()") or "") if args else ""
    texts = [_text([item], "join()") for item in items]
    return [separator.join(text for text in texts if text is not None)]
