"""The syntax tree of a FHIRPath expression, as the parser builds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: Boolean, String, Integer, Decimal, Date/DateTime/Time or Quantity."""

    value: Any


@dataclass(frozen=True, slots=True)
class EmptySet:
    """`{}`"""


@dataclass(frozen=True, slots=True)
class Identifier:
    """A name at the start of a path: an element of `$this`, or a type name (`Patient.name`)."""

    name: str


@dataclass(frozen=True, slots=True)
class Member:
    """`target.name`"""

    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """`target.name(args)`, or `name(args)` on `$this` when `target` is None."""

    target: Node | None
    name: str
    args: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class TypeSpecifier:
    """A type name in `is`, `as`, `ofType`: `Quantity`, `FHIR.Patient`, `System.String`."""

    namespace: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


@dataclass(frozen=True, slots=True)
class TypeCall:
    """`x is T`, `x as T`, `x.is(T)`, `x.as(T)`, `x.ofType(T)`."""

    target: Node | None
    operation: str  # "is", "as" or "ofType"
    type: TypeSpecifier
    position: int


@dataclass(frozen=True, slots=True)
class Index:
    """`target[index]`"""

    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x`, `+x`"""

    operator: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True, slots=True)
class Constant:
    """`%name`: an environment variable."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Special:
    """`$this`, `$index`, `$total`"""

    name: str


Node = (
    Literal
    | EmptySet
    | Identifier
    | Member
    | Call
    | TypeCall
    | Index
    | Unary
    | Binary
    | Constant
    | Special
)
