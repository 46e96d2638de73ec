"""The quick checks of the structural validator: truthy only for valid values, and truthy for
ordinary ones (so the full check is the rare path). string and markdown have theirs in Python
rather than as a regex; these tests hold them to the full check."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.fhir import structure
from painfhir.fhir.definitions import PRIMITIVES

TEXTS: list[Any] = [
    "Dr. Priya Raman",
    "67-year-old man with painful neuropathy of both feet since 2021\nrising requests",
    "x" * 5_000,
    "é, ß, 中文, 😀",
    "\ttabbed and\r\nwrapped\t",
    "a\x00b",
    "",
    " ",
    " \t\r\n ",
    "\f",
    "\v",
    "a\fb",
    "a\vb",
    "\xa0",  # a no-break space is text to the (Java, ASCII) regex: valid, but not quick
    "\u2003 ",
    "x" * 1_048_576,
    "x" * 1_048_577,
    7,
    True,
    None,
    ["a"],
    {"a": "b"},
]


@pytest.mark.parametrize("name", ["string", "markdown"])
@pytest.mark.parametrize("value", TEXTS, ids=[repr(v)[:20] for v in TEXTS])
def test_the_text_quick_check_passes_only_valid_text(name: str, value: Any) -> None:
    primitive = structure._Primitive(PRIMITIVES[name])
    valid = structure._primitive_problem(value, primitive) is None
    quick = bool(primitive.quick(value))
    assert not quick or valid
    ordinary = type(value) is str and valid and not value.isspace()
    assert quick is ordinary


def test_string_and_markdown_have_the_python_quick_check() -> None:
    # Another regex in the definitions would silently bring back the slow one.
    for name in ("string", "markdown"):
        assert PRIMITIVES[name].regex == structure._TEXT_REGEX
