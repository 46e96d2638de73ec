"""Syntax tree to closures: each node becomes a function `($this, context) -> collection`.

Compiling resolves everything that does not depend on the data: function names and their
number of arguments, type names in `is`/`as`/`ofType`, the fixed environment constants, the
shape of each operator. What is left for evaluation is navigation and arithmetic, so an
expression compiled once is cheap to run many times.
"""

from __future__ import annotations

from typing import Any

from painfhir.fhirpath import (
    _ast as ast,
)
from painfhir.fhirpath import (
    _fn_conversion,
    _fn_existence,
    _fn_fhir,
    _fn_filtering,
    _fn_math,
    _fn_strings,
    _fn_tree,
)
from painfhir.fhirpath._context import Context, Run
from painfhir.fhirpath._errors import FhirPathEvaluationError, FhirPathSyntaxError
from painfhir.fhirpath._model import (
    FHIR_TYPE_NAMES,
    SYSTEM_TYPE_NAMES,
    fhir_is,
    is_of_type,
    navigate,
)
from painfhir.fhirpath._operators import (
    arithmetic,
    concatenate,
    equality,
    logic_and,
    logic_implies,
    logic_or,
    logic_xor,
    membership,
    negate,
    ordering,
    union,
)
from painfhir.fhirpath._quantity import UCUM
from painfhir.fhirpath._registry import FALSE, FUNCTIONS, TRUE, boolean, single, truth

# Each family of functions registers itself in FUNCTIONS when its module is imported.
FUNCTION_FAMILIES = (
    _fn_conversion,
    _fn_existence,
    _fn_fhir,
    _fn_filtering,
    _fn_math,
    _fn_strings,
    _fn_tree,
)
_EMPTY: list[Any] = []
_FIXED_CONSTANTS = {"ucum": UCUM, "sct": "http://snomed.info/sct", "loinc": "http://loinc.org"}
_CONSTANT_PREFIXES = {
    "vs-": "http://hl7.org/fhir/ValueSet/",
    "ext-": "http://hl7.org/fhir/StructureDefinition/",
}
_LOGIC = {"and": logic_and, "or": logic_or, "xor": logic_xor, "implies": logic_implies}
# The left operand alone decides: `false and x`, `true or x`, `false implies x`.
_DECIDED_BY_LEFT = {"and": (False, FALSE), "or": (True, TRUE), "implies": (False, TRUE)}


class Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, message: str, position: int) -> FhirPathSyntaxError:
        return FhirPathSyntaxError(message, self.text, position)

    def compile(self, tree: ast.Node) -> Run:
        match tree:
            case ast.Literal(value):
                constant = [value]
                return lambda _this, _context: constant
            case ast.EmptySet():
                return lambda _this, _context: _EMPTY
            case ast.Identifier(name):
                return self._identifier(name)
            case ast.Member(target, name):
                names = _member_path(tree)
                if names is not None:
                    return _navigation(names)
                source = self.compile(target)
                return lambda this, context: navigate(source(this, context), name)
            case ast.Call():
                return self._call(tree)
            case ast.TypeCall():
                return self._type_call(tree)
            case ast.Index(target, index):
                return self._index(self.compile(target), self.compile(index))
            case ast.Unary(operator, operand):
                run = self.compile(operand)
                if operator == "+":
                    return run
                return lambda this, context: negate(run(this, context))
            case ast.Binary():
                return self._binary(tree)
            case ast.Constant(name, position):
                return self._constant(name, position)
            case ast.Special(name):
                return _special(name)
        raise AssertionError(tree)

    def _identifier(self, name: str) -> Run:
        # A path may start with a type name: `Patient.name` on a Patient (or Resource.id).
        if name[:1].isupper() and name in FHIR_TYPE_NAMES:
            return lambda this, _context: [
                item for item in this if type(item) is tuple and fhir_is(item[0], name)
            ]
        return lambda this, _context: navigate(this, name)

    def _call(self, call: ast.Call) -> Run:
        function = FUNCTIONS.get(call.name)
        if function is None:
            raise self.error(f"unknown function {call.name}()", call.position)
        if not function.min_args <= len(call.args) <= function.max_args:
            expected = f"{function.min_args}" + (
                f" to {function.max_args}" if function.max_args != function.min_args else ""
            )
            raise self.error(f"{call.name}() takes {expected} arguments", call.position)
        if call.target is not None and call.name in _EXISTENCE and not call.args:
            return _EXISTENCE[call.name](self.compile(call.target))
        step = function.build(call.args, self.compile)
        if call.target is None:
            return lambda this, context: step(this, this, context)
        source = self.compile(call.target)
        return lambda this, context: step(source(this, context), this, context)

    def _type_call(self, call: ast.TypeCall) -> Run:
        namespace, name = self._type(call.type, call.position)
        source = self.compile(call.target) if call.target is not None else None

        def kept(this: list[Any], context: Context) -> list[Any]:
            items = this if source is None else source(this, context)
            return [item for item in items if is_of_type(item, namespace, name)]

        if call.operation != "is":
            # `as` keeps the items of the type, like ofType: R4's constraints apply it to
            # whole collections (dom-3: `descendants().as(canonical)`), as the HL7 validator
            # allows, where FHIRPath N1 would want a single item.
            return kept

        def test(this: list[Any], context: Context) -> list[Any]:
            item = single(this if source is None else source(this, context), f"is {name}")
            return [] if item is None else boolean(is_of_type(item, namespace, name))

        return test

    def _type(self, specifier: ast.TypeSpecifier, position: int) -> tuple[str, str]:
        namespace, name = specifier.namespace, specifier.name
        if namespace is None:
            namespace = "FHIR" if name in FHIR_TYPE_NAMES else "System"
        known = FHIR_TYPE_NAMES if namespace == "FHIR" else SYSTEM_TYPE_NAMES
        if namespace not in ("FHIR", "System") or name not in known:
            raise self.error(f"unknown type {specifier}", position)
        return namespace, name

    def _index(self, source: Run, index: Run) -> Run:
        def at(this: list[Any], context: Context) -> list[Any]:
            position = single(index(this, context), "[]")
            if position is None:
                return _EMPTY
            if type(position) is not int:
                raise FhirPathEvaluationError("an index must be an Integer")
            items = source(this, context)
            return items[position : position + 1] if position >= 0 else _EMPTY

        return at

    def _binary(self, tree: ast.Binary) -> Run:
        operator = tree.operator
        left, right = self.compile(tree.left), self.compile(tree.right)
        if operator in _LOGIC:
            return _logic(operator, left, right)
        if operator in ("=", "!=", "~", "!~"):
            return lambda this, c: equality(operator, left(this, c), right(this, c))
        if operator in ("<", "<=", ">", ">="):
            return lambda this, c: ordering(operator, left(this, c), right(this, c))
        if operator == "|":
            return lambda this, c: union(left(this, c), right(this, c))
        if operator == "in":
            return lambda this, c: membership(left(this, c), right(this, c), "in")
        if operator == "contains":
            return lambda this, c: membership(right(this, c), left(this, c), "contains")
        if operator == "&":
            return lambda this, c: concatenate(left(this, c), right(this, c))
        return lambda this, c: arithmetic(operator, left(this, c), right(this, c))

    def _constant(self, name: str, position: int) -> Run:
        fixed = _FIXED_CONSTANTS.get(name)
        for prefix, base in _CONSTANT_PREFIXES.items():
            if name.startswith(prefix):
                fixed = base + name.removeprefix(prefix)
        if fixed is not None:
            constant = [fixed]
            return lambda _this, _context: constant
        if name == "resource":
            return lambda _this, context: context.resource
        if name == "rootResource":
            return lambda _this, context: context.root_resource
        if name == "context":
            return lambda _this, context: context.context
        return lambda _this, context: context.variable(name)


def _member_path(tree: ast.Node) -> tuple[str, ...] | None:
    """The names of a path of elements from $this (`reasonCode.coding`), if `tree` is one."""
    match tree:
        case ast.Identifier(name):
            return None if name[:1].isupper() and name in FHIR_TYPE_NAMES else (name,)
        case ast.Member(target, name):
            names = _member_path(target)
            return None if names is None else (*names, name)
    return None


def _navigation(names: tuple[str, ...]) -> Run:
    """A path of elements as one step, which stops at the first empty collection (the rest of
    the path can only be empty too): the commonest expression in constraints."""

    def run(this: list[Any], _context: Context) -> list[Any]:
        items = this
        for name in names:
            items = navigate(items, name)
            if not items:
                break
        return items

    return run


def _logic(operator: str, left: Run, right: Run) -> Run:
    combine = _LOGIC[operator]
    decisive, answer = _DECIDED_BY_LEFT.get(operator, (None, _EMPTY))

    def run(this: list[Any], context: Context) -> list[Any]:
        a = _as_truth(left(this, context), operator)
        if a is decisive:
            return answer
        return boolean(combine(a, _as_truth(right(this, context), operator)))

    return run


def _as_truth(result: list[Any], operator: str) -> bool | None:
    # Most operands are the shared TRUE / FALSE results: known without a call.
    if result is TRUE:
        return True
    if result is FALSE:
        return False
    return truth(result, operator)


def _not(source: Run) -> Run:
    def run(this: list[Any], context: Context) -> list[Any]:
        value = _as_truth(source(this, context), "not()")
        return _EMPTY if value is None else (FALSE if value else TRUE)

    return run


def _exists(source: Run) -> Run:
    return lambda this, context: TRUE if source(this, context) else FALSE


def _empty(source: Run) -> Run:
    return lambda this, context: FALSE if source(this, context) else TRUE


# `x.exists()`, `x.empty()` and `x.not()` are in most constraints: one closure each.
_EXISTENCE = {"exists": _exists, "empty": _empty, "not": _not}


def _special(name: str) -> Run:
    if name == "this":
        return lambda this, _context: this
    if name == "index":
        return lambda _this, context: _EMPTY if context.index is None else [context.index]
    return lambda _this, context: context.total


def compile_tree(tree: ast.Node, text: str) -> Run:
    return Compiler(text).compile(tree)
