"""Tokens of a FHIRPath expression, each with the offset it starts at (for error messages)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from painfhir.fhirpath._errors import FhirPathSyntaxError

Kind = Literal[
    "identifier",  # name, keyword or `delimited`
    "string",
    "number",
    "date",  # @2020-01-01, @2020-01-01T10:00:00Z (kind told by "T"), @T10:00
    "constant",  # %name, %'name', %`name`, %"name"
    "special",  # $this, $index, $total
    "symbol",
    "end",
]


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # the value: unescaped string, identifier name, literal text without '@'
    position: int
    delimited: bool = False  # a `backticked` identifier is never a keyword


_DATE_TIME = (
    r"@(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?(?:T(?:\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?)?|T\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?)"
)
_SCANNER = re.compile(
    r"(?P<space>(?:\s+|//[^\n]*|/\*.*?\*/)+)"
    rf"|{_DATE_TIME}"
    r"|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<string>'(?:[^'\\]|\\.)*')"
    r"|(?P<delimited>`(?:[^`\\]|\\.)*`)"
    r"|(?P<identifier>[A-Za-z_][A-Za-z0-9_]*)"
    r"|%(?P<constant>[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"
    r'|"(?:[^"\\]|\\.)*")'  # %"vs-name", as R4's fhirpath page writes it
    r"|\$(?P<special>this|index|total)\b"
    r"|(?P<symbol><=|>=|!=|!~|[-+*/&|=~<>.,()\[\]{}])",
    re.DOTALL,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r"}
_ESCAPES["t"] = "\t"
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def unescape(quoted: str, expression: str, position: int) -> str:
    """The text of a quoted string or delimited identifier, its escapes replaced."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u" and len(code) == 5:
            return chr(int(code[1:], 16))
        if code in _ESCAPES:
            return _ESCAPES[code]
        raise FhirPathSyntaxError(f"unknown escape \\{code}", expression, position)

    return _ESCAPE.sub(replace, quoted[1:-1])


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(expression):
        match = _SCANNER.match(expression, position)
        if match is None:
            found = expression[position : position + 10]
            raise FhirPathSyntaxError(f"unexpected {found!r}", expression, position)
        kind, text = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "date":
            tokens.append(Token("date", text, position))
        elif kind == "delimited":
            tokens.append(Token("identifier", unescape(text, expression, position), position, True))
        elif kind == "string":
            tokens.append(Token("string", unescape(text, expression, position), position))
        elif kind == "constant":
            name = unescape(text, expression, position) if text[0] in "'`\"" else text
            tokens.append(Token("constant", name, position))
        elif kind in ("number", "identifier", "special", "symbol"):
            tokens.append(Token(kind, text, position))  # type: ignore[arg-type]
        position = match.end()
    tokens.append(Token("end", "", len(expression)))
    return tokens
