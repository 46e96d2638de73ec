"""HL7 v2 escape sequences (v2.5.1 chapter 2.7): unescape what a value carries, escape what
goes out.

Translated on the way in: the delimiter escapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ (and \\P\\, the
truncation character, where MSH-2 declares one), hexadecimal data \\Xhh…\\ (decoded in the
message's character set) and the line break \\.br\\ (as "\\n"). Kept as sent, escape
characters included: highlighting (\\H\\ \\N\\), the other formatted-text commands (\\.sp\\,
\\.in\\, \\.ti\\, \\.sk\\, \\.ce\\, \\.fi\\, \\.nf\\), character-set switches (\\C…\\, \\M…\\),
locally defined escapes (\\Z…\\), malformed hex and an escape character without its closing
partner. These have no plain-text meaning a mapper could act on, and keeping them raw lets a
rendering step interpret them; their text is then indistinguishable from the same characters
escaped with \\E\\, which is why `raw` reads exist.
"""

from __future__ import annotations

import re
from functools import cache

from painfhir.mapping.hl7v2._delimiters import Delimiters


@cache
def _sequence(escape: str) -> re.Pattern[str]:
    mark = re.escape(escape)
    return re.compile(f"{mark}([^{mark}]*){mark}")


@cache
def _translations(delimiters: Delimiters) -> dict[str, str]:
    translated = {
        "F": delimiters.field,
        "S": delimiters.component,
        "T": delimiters.subcomponent,
        "R": delimiters.repetition,
        "E": delimiters.escape,
        ".br": "\n",
    }
    if delimiters.truncation is not None:
        translated["P"] = delimiters.truncation
    return translated


def unescape(text: str, delimiters: Delimiters, charset: str = "utf-8") -> str:
    """`text` as sent, with its escape sequences translated (see the module docstring)."""
    if delimiters.escape not in text:
        return text
    translated = _translations(delimiters)

    def translate(match: re.Match[str]) -> str:
        body = match.group(1)
        plain = translated.get(body)
        if plain is not None:
            return plain
        if body[:1] == "X":
            try:
                return bytes.fromhex(body[1:]).decode(charset)
            except ValueError:  # odd length, not hex, or bytes the charset cannot decode
                return match.group(0)
        return match.group(0)

    return _sequence(delimiters.escape).sub(translate, text)


@cache
def _escapes(delimiters: Delimiters) -> dict[int, str]:
    mark = delimiters.escape
    table = {
        delimiters.escape: f"{mark}E{mark}",
        delimiters.field: f"{mark}F{mark}",
        delimiters.component: f"{mark}S{mark}",
        delimiters.subcomponent: f"{mark}T{mark}",
        delimiters.repetition: f"{mark}R{mark}",
        "\r": f"{mark}X0D{mark}",
        "\n": f"{mark}.br{mark}",
    }
    if delimiters.truncation is not None:
        table[delimiters.truncation] = f"{mark}P{mark}"
    return {ord(char): sequence for char, sequence in table.items()}


def escape(text: str, delimiters: Delimiters) -> str:
    """`text` made safe to place in one subcomponent: `unescape(escape(t)) == t`.

    A segment terminator inside a value would end the segment, so "\\r" goes out as hex and
    "\\n" as the formatted-text line break.
    """
    return text.translate(_escapes(delimiters))
