"""The FHIRPath subset that search-parameter expressions use, compiled once into closures.

Every R4 SearchParameter expression (the tests compile each one on each type) uses only:

    Observation.subject          path navigation; a leading type name is the resource itself
    Observation.value            a choice element: valueQuantity, valueString, ...
    a | b                        union (equal nodes are not merged: index rows drop duplicates)
    x as T, x.as(T)              keep the nodes of type T (or a subtype: Age is a Quantity)
    x.where(criteria)            with `resolve() is Patient`, `type = 'composed-of'`
    resolve()                    only its type, read from the reference (`Patient/1`)
    x.exists() and x != false    Patient-deceased
    Bundle.entry[0].resource     an integer indexer
    %resource                    the resource, in composite components

and this module adds `is(T)`, `ofType(T)`, `first()` and `extension('url')`, which
profiles' own parameters commonly use. Anything else raises `FhirPathError` at compile time.

Expressions are compiled against the structure model with the static types of their nodes, so
a step knows which JSON members it reads (`value` on Observation is valueQuantity, ...), a
misspelt element fails to compile, and evaluation returns each node with its FHIR type:
("Quantity", {...}), ("dateTime", "2020-01-01"), ("Reference", {...}).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from painfhir.fhir.definitions import ANY_RESOURCE, PRIMITIVES, RESOURCE_TYPES, TYPES

Node = tuple[str, Any]
"""(FHIR type, JSON value): ("Quantity", {...}), ("code", "final"), ("boolean", True)."""

_Run = Callable[[list[Node], Node], list[Node]]  # (focus, the resource) → result
_RESOLVED = "resolve()"
"""The static type of what resolve() gives: a resource known by its type only."""
_BOOLEAN = "boolean"


class FhirPathError(ValueError):
    """An expression outside the supported subset, or about elements that do not exist."""


# --- types -----------------------------------------------------------------------------------

_NOT_DOMAIN = {"Binary", "Bundle", "Parameters"}
_SUBTYPES: dict[str, frozenset[str]] = {
    "Quantity": frozenset({"Age", "Count", "Distance", "Duration"}),
    "string": frozenset({"code", "id", "markdown"}),
    "uri": frozenset({"url", "canonical", "oid", "uuid"}),
    "integer": frozenset({"positiveInt", "unsignedInt"}),
    "Resource": RESOURCE_TYPES,
    "DomainResource": RESOURCE_TYPES - _NOT_DOMAIN,
}
# FHIRPath's own types, as FHIR primitives map onto them (`value.as(DateTime)` in R4).
_SYSTEM_TYPES: dict[str, frozenset[str]] = {
    "Boolean": frozenset({"boolean"}),
    "String": frozenset({"string", "uri", "base64Binary", "xhtml"} | _SUBTYPES["string"])
    | _SUBTYPES["uri"],
    "Integer": frozenset({"integer"}) | _SUBTYPES["integer"],
    "Decimal": frozenset({"decimal"}),
    "Date": frozenset({"date"}),
    "DateTime": frozenset({"dateTime", "instant"}),
    "Time": frozenset({"time"}),
}


def _types_named(name: str) -> frozenset[str] | None:
    """The node types a type specifier (`Quantity`, `FHIR.Patient`, `DateTime`) matches."""
    namespace, _, local = name.rpartition(".")
    if namespace in ("", "FHIR") and (local in TYPES or local in PRIMITIVES or local in _SUBTYPES):
        return frozenset({local}) | _SUBTYPES.get(local, frozenset())
    if namespace in ("", "System") and local in _SYSTEM_TYPES:
        return _SYSTEM_TYPES[local]
    return None


def _narrow(types: frozenset[str], accepted: frozenset[str]) -> frozenset[str]:
    """The static types left after keeping only nodes of the `accepted` types."""
    found = set(types & accepted)
    if ANY_RESOURCE in types:
        found |= accepted & RESOURCE_TYPES
    if _RESOLVED in types and accepted & RESOURCE_TYPES:
        found.add(_RESOLVED)
    return frozenset(found)


def _children(owner: str, name: str) -> tuple[tuple[str, str], ...]:
    """(JSON member, type) of the elements `name` selects on `owner`; a choice gives many."""
    return tuple(
        (row.name, row.type) for row in TYPES.get(owner, ()) if name in (row.name, row.choice)
    )


def reference_target(reference: str) -> tuple[str, str] | None:
    """(type, id) of a literal reference `Type/id`, `Type/id/_history/n` or an absolute URL
    ending so; None for contained (`#x`), `urn:uuid:` and other references."""
    parts = reference.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] in RESOURCE_TYPES and parts[-1]:
        return parts[-2], parts[-1]
    return None


def _resolved_type(reference: dict[str, Any], root: Node) -> str | None:
    text = reference.get("reference")
    if isinstance(text, str):
        if text.startswith("#"):
            return _contained_type(root[1], text[1:])
        target = reference_target(text)
        if target is not None:
            return target[0]
    declared = reference.get("type")  # a logical reference (an identifier) may name its type
    return declared if declared in RESOURCE_TYPES else None


def _contained_type(resource: dict[str, Any], local_id: str) -> str | None:
    for contained in resource.get("contained", ()):
        if isinstance(contained, dict) and contained.get("id") == local_id:
            kind = contained.get("resourceType")
            return kind if isinstance(kind, str) else None
    return None


# --- parsing ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<int>\d+)(?![.\d])|(?P<var>%[A-Za-z]\w*)"
    r"|(?P<ident>[A-Za-z_]\w*)|(?P<op>!=|[=|.()\[\],]))"
)


@dataclass(frozen=True, slots=True)
class _Literal:
    node: Node


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str


@dataclass(frozen=True, slots=True)
class _Member:
    name: str


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[_Ast, ...]


@dataclass(frozen=True, slots=True)
class _TypeCall:
    """as(T), is(T), ofType(T), and the operators `x as T`, `x is T`, which mean the same."""

    name: str
    type_name: str


_Step = _Member | _Call | _TypeCall


@dataclass(frozen=True, slots=True)
class _Invoke:
    target: _Ast
    step: _Step


@dataclass(frozen=True, slots=True)
class _Index:
    target: _Ast
    index: int


@dataclass(frozen=True, slots=True)
class _Binary:
    operator: str  # "|", "=", "!=", "and"
    left: _Ast
    right: _Ast


_Ast = _Literal | _Variable | _Member | _Call | _TypeCall | _Invoke | _Index | _Binary
_TYPE_FUNCTIONS = {"as", "is", "ofType"}


class _Parser:
    """Precedence, loosest first: `and`; `=` `!=`; `|`; `is` `as`; `.` and `[]`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.at = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise self._error(f"unexpected {text[position:].strip()[:12]!r}")
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        return [*tokens, ("end", "")]

    def _error(self, message: str) -> FhirPathError:
        return FhirPathError(f"{message} in {self.text!r}")

    def _peek(self, text: str) -> bool:
        kind, value = self.tokens[self.at]
        return value == text and kind in ("op", "ident")

    def _take(self, kind: str | None = None, text: str | None = None) -> str:
        found_kind, found = self.tokens[self.at]
        if (kind is not None and found_kind != kind) or (text is not None and found != text):
            wanted = text or ("the end" if kind == "end" else kind)
            raise self._error(f"expected {wanted}, found {found or 'the end'!r}")
        self.at += 1
        return found

    def parse(self) -> _Ast:
        tree = self._and()
        self._take("end")
        return tree

    def _and(self) -> _Ast:
        tree = self._equality()
        while self._peek("and"):
            self._take()
            tree = _Binary("and", tree, self._equality())
        return tree

    def _equality(self) -> _Ast:
        tree = self._union()
        while self._peek("=") or self._peek("!="):
            operator = self._take()
            tree = _Binary(operator, tree, self._union())
        return tree

    def _union(self) -> _Ast:
        tree = self._type_test()
        while self._peek("|"):
            self._take()
            tree = _Binary("|", tree, self._type_test())
        return tree

    def _type_test(self) -> _Ast:
        tree = self._postfix()
        while self._peek("is") or self._peek("as"):
            operator = self._take()
            tree = _Invoke(tree, _TypeCall(operator, self._type_name()))
        return tree

    def _type_name(self) -> str:
        name = self._take("ident")
        if self._peek("."):
            self._take()
            name += "." + self._take("ident")
        return name

    def _postfix(self) -> _Ast:
        tree = self._term()
        while True:
            if self._peek("."):
                self._take()
                tree = _Invoke(tree, self._invocation())
            elif self._peek("["):
                self._take()
                tree = _Index(tree, int(self._take("int")))
                self._take("op", "]")
            else:
                return tree

    def _term(self) -> _Ast:
        kind, text = self.tokens[self.at]
        if kind == "string":
            self._take()
            return _Literal(("string", re.sub(r"\\(.)", r"\1", text[1:-1])))
        if kind == "int":
            self._take()
            return _Literal(("integer", int(text)))
        if kind == "var":
            self._take()
            return _Variable(text[1:])
        if text in ("true", "false") and kind == "ident":
            self._take()
            return _Literal((_BOOLEAN, text == "true"))
        if self._peek("("):
            self._take()
            tree = self._and()
            self._take("op", ")")
            return tree
        return self._invocation()

    def _invocation(self) -> _Step:
        name = self._take("ident")
        if not self._peek("("):
            return _Member(name)
        self._take()
        if name in _TYPE_FUNCTIONS:
            type_name = self._type_name()
            self._take("op", ")")
            return _TypeCall(name, type_name)
        args: list[_Ast] = []
        while not self._peek(")"):
            if args:
                self._take("op", ",")
            args.append(self._and())
        self._take("op", ")")
        return _Call(name, tuple(args))


# --- compiling -------------------------------------------------------------------------------

_Compiled = tuple[_Run, frozenset[str]]  # the closure and the static types of what it gives
# Functions that give nothing for nothing, so a path can stop at its first empty step
# (`exists()` does not: it gives false).
_EMPTY_FOR_EMPTY = {"where", "first", "resolve", "extension"}


@dataclass(frozen=True)
class _Scope:
    """What an expression is compiled against."""

    text: str
    resource_type: str  # the static type of %resource
    at_start: bool  # the focus is the resource itself: a leading type name is a type check

    def error(self, message: str) -> FhirPathError:
        return FhirPathError(f"{message} in {self.text!r} (on {self.resource_type})")

    def inside(self) -> _Scope:
        return _Scope(self.text, self.resource_type, at_start=False)


def _compile(tree: _Ast, focus: frozenset[str], scope: _Scope) -> _Compiled:
    match tree:
        case _Literal(node):
            return (lambda _nodes, _root: [node]), frozenset({node[0]})
        case _Variable("resource"):
            return (lambda _nodes, root: [root]), frozenset({scope.resource_type})
        case _Variable(name):
            raise scope.error(f"%{name} is not supported")
        case _Member() | _Call() | _TypeCall() | _Invoke():
            return _path(tree, focus, scope)
        case _Index(target, index):
            run, types = _compile(target, focus, scope)
            return (lambda nodes, root: run(nodes, root)[index : index + 1]), types
        case _Binary():
            return _binary(tree, focus, scope)
    raise AssertionError(tree)


def _path(tree: _Step | _Invoke, focus: frozenset[str], scope: _Scope) -> _Compiled:
    """`a.b.where(c).d` as one pipeline of steps, each on the nodes the previous one gave."""
    steps: list[_Step] = []
    head: _Ast = tree
    while isinstance(head, _Invoke):
        steps.insert(0, head.step)
        head = head.target
    runs: list[_Run] = []
    types = focus
    if isinstance(head, _Member) and _names_a_type(head.name, scope):
        accepted = _accepted(head.name, focus, scope)
        types = _narrow(focus, accepted)
        if not focus <= accepted:
            runs.append(_filter_types(accepted))
    elif isinstance(head, _Member | _Call | _TypeCall):
        steps.insert(0, head)
    else:
        run, types = _compile(head, focus, scope)
        runs.append(run)
    types = _steps(steps, types, scope.inside(), runs)
    stops = all(not isinstance(step, _Call) or step.name in _EMPTY_FOR_EMPTY for step in steps)
    return _pipeline(runs, stops_when_empty=stops), types


def _steps(
    steps: list[_Step], types: frozenset[str], scope: _Scope, runs: list[_Run]
) -> frozenset[str]:
    """Compile `steps` onto the end of `runs`; the static types of the last one's nodes."""
    member: tuple[str, frozenset[str]] | None = None  # the last step, if a member: name, input
    for step in steps:
        if isinstance(step, _Member):
            member = (step.name, types)
            run, types = _member(step.name, types, scope)
        elif isinstance(step, _TypeCall) and step.name != "is" and member is not None:
            # `value.as(Quantity)` reads valueQuantity alone rather than every value[x].
            name, before = member
            runs[-1], types = _member(name, before, scope, _accepted(step.type_name, types, scope))
            member = None
            continue
        else:
            member = None
            run, types = _call(step, types, scope)
        runs.append(run)
    return types


def _names_a_type(name: str, scope: _Scope) -> bool:
    """A leading `Observation` (or `Resource`) names the resource's type rather than a child."""
    return scope.at_start and name[:1].isupper() and (name in RESOURCE_TYPES or name in _SUBTYPES)


def _accepted(type_name: str, types: frozenset[str], scope: _Scope) -> frozenset[str]:
    """The node types `type_name` matches; an error if none of `types` ever can."""
    accepted = _types_named(type_name)
    if accepted is None:
        raise scope.error(f"unknown type {type_name!r}")
    if not _narrow(types, accepted):
        raise scope.error(f"no node of type {sorted(types)} is ever a {type_name}")
    return accepted


def _pipeline(runs: list[_Run], *, stops_when_empty: bool) -> _Run:
    if not runs:
        return lambda nodes, _root: nodes
    if len(runs) == 1:
        return runs[0]
    first, rest = runs[0], runs[1:]

    def pipeline(nodes: list[Node], root: Node) -> list[Node]:
        nodes = first(nodes, root)
        for run in rest:
            if not nodes and stops_when_empty:
                break
            nodes = run(nodes, root)
        return nodes

    return pipeline


def _member(
    name: str, focus: frozenset[str], scope: _Scope, only: frozenset[str] | None = None
) -> _Compiled:
    """Step to the `name` children of each node; with `only`, to those of these types."""
    if focus & {ANY_RESOURCE, _RESOLVED}:
        raise scope.error(f"cannot read {name!r} of a resource whose type is not known")
    plan = {owner: found for owner in focus if (found := _children(owner, name))}
    if not plan:
        raise scope.error(f"no element {name!r} on {sorted(focus)}")
    if only is not None:
        plan = {o: kept for o, found in plan.items() if (kept := _of_types(found, only))}
        if not plan:
            raise scope.error(f"no {name!r} on {sorted(focus)} is of type {sorted(only)}")
    types = frozenset(child for found in plan.values() for _, child in found)
    if len(focus) == 1 and ANY_RESOURCE not in types:
        # Nodes have exactly their static types, so one owner needs no per-node lookup.
        (children,) = plan.values()
        return _member_of_one(children), types
    return _member_of_any(plan), types


def _of_types(
    children: tuple[tuple[str, str], ...], accepted: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    return tuple((key, child) for key, child in children if child in accepted)


def _member_of_one(children: tuple[tuple[str, str], ...]) -> _Run:
    def step(nodes: list[Node], _root: Node) -> list[Node]:
        out: list[Node] = []
        for _, value in nodes:
            if type(value) is not dict:
                continue
            for key, child in children:
                found = value.get(key)
                if found is None:
                    continue
                if type(found) is list:
                    out.extend([(child, item) for item in found if item is not None])
                else:
                    out.append((child, found))
        return out

    return step


def _member_of_any(plan: dict[str, tuple[tuple[str, str], ...]]) -> _Run:
    def step(nodes: list[Node], _root: Node) -> list[Node]:
        out: list[Node] = []
        for owner, value in nodes:
            children = plan.get(owner)
            if children is None or type(value) is not dict:
                continue
            for key, child in children:
                found = value.get(key)
                if found is None:
                    continue
                if type(found) is list:
                    out.extend(_typed(child, item) for item in found if item is not None)
                else:
                    out.append(_typed(child, found))
        return out

    return step


def _typed(declared: str, value: Any) -> Node:
    if declared == ANY_RESOURCE and type(value) is dict:
        return str(value.get("resourceType")), value
    return declared, value


def _filter_types(accepted: frozenset[str]) -> _Run:
    return lambda nodes, _root: [node for node in nodes if node[0] in accepted]


def _call(call: _Call | _TypeCall, types: frozenset[str], scope: _Scope) -> _Compiled:
    """A function, applied to the nodes before it (or to the focus, at the start)."""
    match call:
        case _TypeCall():
            return _type_function(call, types, scope)
        case _Call("where", (criteria,)):
            return _where(criteria, types, scope)
        case _Call("exists", ()):
            return (lambda nodes, _root: [(_BOOLEAN, bool(nodes))]), frozenset({_BOOLEAN})
        case _Call("first", ()):
            return (lambda nodes, _root: nodes[:1]), types
        case _Call("resolve", ()):
            return _resolve(types, scope)
        case _Call("extension", (_Literal(("string", url)),)):
            extensions, found = _member("extension", types, scope)
            return (lambda nodes, root: _with_url(extensions(nodes, root), url)), found
    raise scope.error(f"{call.name}() with these arguments is not supported")


def _with_url(extensions: list[Node], url: str) -> list[Node]:
    return [node for node in extensions if type(node[1]) is dict and node[1].get("url") == url]


def _type_function(call: _TypeCall, types: frozenset[str], scope: _Scope) -> _Compiled:
    accepted = _accepted(call.type_name, types, scope)
    if call.name != "is":
        return _filter_types(accepted), _narrow(types, accepted)

    def test(nodes: list[Node], _root: Node) -> list[Node]:
        return [(_BOOLEAN, nodes[0][0] in accepted)] if len(nodes) == 1 else []

    return test, frozenset({_BOOLEAN})


def _where(criteria: _Ast, types: frozenset[str], scope: _Scope) -> _Compiled:
    test, _ = _compile(criteria, types, scope.inside())

    def where(nodes: list[Node], root: Node) -> list[Node]:
        return [node for node in nodes if _is_true(test([node], root))]

    return where, types


def _resolve(types: frozenset[str], scope: _Scope) -> _Compiled:
    if types != {"Reference"}:
        raise scope.error(f"resolve() on {sorted(types)}: only References are resolved")

    def resolve(nodes: list[Node], root: Node) -> list[Node]:
        out: list[Node] = []
        for _, reference in nodes:
            target = _resolved_type(reference, root) if type(reference) is dict else None
            if target is not None:
                out.append((target, reference))
        return out

    return resolve, frozenset({_RESOLVED})


def _binary(tree: _Binary, focus: frozenset[str], scope: _Scope) -> _Compiled:
    left, left_types = _compile(tree.left, focus, scope)
    right, right_types = _compile(tree.right, focus, scope)
    match tree.operator:
        case "|":
            return (lambda f, root: left(f, root) + right(f, root)), left_types | right_types
        case "=" | "!=":
            negate = tree.operator == "!="

            def equal(f: list[Node], root: Node) -> list[Node]:
                result = _equal(left(f, root), right(f, root))
                return [] if result is None else [(_BOOLEAN, result != negate)]

            return equal, frozenset({_BOOLEAN})
        case "and":

            def both(f: list[Node], root: Node) -> list[Node]:
                result = _and(_truth(left(f, root)), _truth(right(f, root)))
                return [] if result is None else [(_BOOLEAN, result)]

            return both, frozenset({_BOOLEAN})
    raise AssertionError(tree.operator)


def _equal(left: list[Node], right: list[Node]) -> bool | None:
    """FHIRPath `=`: empty if either side is empty; otherwise item by item, in order."""
    if not left or not right:
        return None
    if len(left) != len(right):
        return False
    return all(_same(a[1], b[1]) for a, b in zip(left, right, strict=True))


def _same(a: Any, b: Any) -> bool:
    # `True == 1` in Python, but a boolean never equals a number in FHIRPath.
    return (type(a) is bool) == (type(b) is bool) and bool(a == b)


def _truth(nodes: list[Node]) -> bool | None:
    """A collection where a boolean is wanted: empty is unknown, a boolean is itself, and
    anything else is true (where FHIRPath would refuse several items)."""
    if not nodes:
        return None
    if len(nodes) == 1 and type(nodes[0][1]) is bool:
        return bool(nodes[0][1])
    return True


def _and(left: bool | None, right: bool | None) -> bool | None:
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def _is_true(nodes: list[Node]) -> bool:
    return _truth(nodes) is True


# --- the public face -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression. `result_types` are the FHIR types its nodes can have."""

    text: str
    result_types: frozenset[str]
    evaluate_on: _Run
    """(focus, root) → the nodes selected from `focus`, nodes within the resource whose node
    is `root` (as `evaluate` makes it). Composite components are evaluated on each composite
    node; the resource itself is `evaluate_on([root], root)`."""

    def evaluate(self, resource: dict[str, Any]) -> list[Node]:
        """The nodes the expression selects in `resource`."""
        root = (resource["resourceType"], resource)
        return self.evaluate_on([root], root)


@cache
def compile_expression(
    text: str, resource_type: str, focus: tuple[str, ...] | None = None
) -> Expression:
    """Compile `text`, evaluated on a `resource_type` resource or, when `focus` names their
    types, on nodes within one (`value.as(Quantity)` on "Observation.component")."""
    tree = _Parser(text).parse()
    scope = _Scope(text, resource_type, at_start=focus is None)
    run, types = _compile(tree, frozenset(focus or (resource_type,)), scope)
    return Expression(text, types, run)
