"""Compiled expressions, evaluated on parsed FHIR JSON."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from painfhir.fhirpath._analysis import evaluate_alone, focus_members, verdict_when_absent
from painfhir.fhirpath._compiler import compile_tree
from painfhir.fhirpath._context import Context, FhirPathServices, Run
from painfhir.fhirpath._errors import FhirPathError
from painfhir.fhirpath._model import PRIMITIVE_TYPES, Node, resource_node
from painfhir.fhirpath._parser import parse
from painfhir.fhirpath._references import BundleIndex
from painfhir.fhirpath._registry import FALSE, TRUE


def _items(value: Any, fhir_type: str | None = None) -> list[Any]:
    """A Python value as a collection: a resource becomes its node, a value with a FHIR type
    a node of that type, a list each of its items, a scalar a System value."""
    if value is None:
        return []
    if type(value) is list:
        return [item for element in value for item in _items(element, fhir_type)]
    if fhir_type is not None:
        if fhir_type in PRIMITIVE_TYPES and type(value) is dict:
            return [(fhir_type, None, value)]  # the `_x` object of a primitive without value
        return [(fhir_type, value, None)]
    if type(value) is dict:
        if "resourceType" in value:
            return [resource_node(value)]
        raise FhirPathError("a JSON object other than a resource needs its FHIR type")
    return [value]  # a node already, or a System value (bool, int, Decimal, str, ...)


def constraint_holds(result: list[Any]) -> bool:
    """A result read as an invariant's verdict.

    One Boolean is itself. An empty result means the constraint is NOT met: FHIRPath leaves
    the truth of an empty result to its user, and the HL7 validator (the reference for R4
    conformance) treats it as false, so `start <= end` on dates of different precision fails
    per-1 here as it does there. Any other non-empty result is true, as FHIRPath's singleton
    evaluation reads one item and as the HL7 validator reads several.
    """
    if not result:
        return False
    if len(result) == 1:
        item = result[0]
        if type(item) is bool:
            return item
        if type(item) is tuple and item[0] == "boolean" and type(item[1]) is bool:
            return bool(item[1])
    return True


def _plain(item: Any) -> Any:
    return item[1] if type(item) is tuple else item


def scope(
    *,
    resource: Any,
    root_resource: Any | None = None,
    variables: Mapping[str, Any] | None = None,
    bundle: Any | None = None,
    services: FhirPathServices | None = None,
) -> Context:
    """The environment of evaluations on elements of one resource: `%resource`,
    `%rootResource` (the container of a contained resource), the Bundle it sits in (for
    resolve()), user variables (`%name`) and services. Reusable across evaluations."""
    resource_items = _items(resource)
    root_items = _items(root_resource) if root_resource is not None else resource_items
    index = bundle if isinstance(bundle, BundleIndex) or bundle is None else BundleIndex(bundle)
    if index is None and root_items and root_items[0][0] == "Bundle":
        index = BundleIndex(root_items[0][1])
    named = {name: _items(value) for name, value in (variables or {}).items()}
    return Context(
        resource=resource_items,
        root_resource=root_items,
        context=[],
        variables=named,
        services=services,
        bundle=index,
    )


class FhirPathExpression:
    """A compiled FHIRPath expression (make one with `compile_fhirpath`)."""

    __slots__ = ("_alone", "_run", "focus_members", "text")

    def __init__(self, text: str, run: Run, focus_members: frozenset[str] | None) -> None:
        self.text = text
        self._run = run
        self._alone = True  # whether `holds_alone` is worth trying: not once it needed more
        self.focus_members = focus_members
        """The names of the focus's elements the expression reads, or None if it reads the
        focus as a whole (see `_analysis`)."""

    def __repr__(self) -> str:
        return f"FhirPathExpression({self.text!r})"

    def evaluate(
        self,
        focus: Any,
        *,
        resource: Any,
        root_resource: Any | None = None,
        variables: Mapping[str, Any] | None = None,
        focus_type: str | None = None,
        bundle: Any | None = None,
        services: FhirPathServices | None = None,
    ) -> list[Any]:
        """The result on `focus` (a resource, or an element of `resource` with its FHIR type
        in `focus_type`): FHIR elements as their JSON values (a primitive that has only
        extensions as None), computed values as bool, int, Decimal, str, Temporal, Quantity."""
        context = scope(
            resource=resource,
            root_resource=root_resource,
            variables=variables,
            bundle=bundle,
            services=services,
        )
        return [_plain(item) for item in self.evaluate_in(_items(focus, focus_type), context)]

    def evaluate_nodes(
        self,
        focus: Any,
        *,
        resource: Any,
        root_resource: Any | None = None,
        variables: Mapping[str, Any] | None = None,
        focus_type: str | None = None,
        bundle: Any | None = None,
        services: FhirPathServices | None = None,
    ) -> list[Any]:
        """Like `evaluate`, with FHIR elements as typed nodes `(type, value, extras)`."""
        context = scope(
            resource=resource,
            root_resource=root_resource,
            variables=variables,
            bundle=bundle,
            services=services,
        )
        return self.evaluate_in(_items(focus, focus_type), context)

    def holds(
        self,
        focus: Any,
        *,
        resource: Any,
        root_resource: Any | None = None,
        variables: Mapping[str, Any] | None = None,
        focus_type: str | None = None,
        bundle: Any | None = None,
        services: FhirPathServices | None = None,
    ) -> bool:
        """Whether the expression, as a constraint on `focus`, is met (see `constraint_holds`
        for what an empty or non-Boolean result means)."""
        context = scope(
            resource=resource,
            root_resource=root_resource,
            variables=variables,
            bundle=bundle,
            services=services,
        )
        return self.holds_on(_items(focus, focus_type), context)

    def evaluate_in(self, focus: list[Any], context: Context) -> list[Any]:
        """The low-level form: focus nodes and a `scope()`; the result as nodes."""
        context.context = focus
        return list(self._run(focus, context))

    def holds_when_absent(self, focus_type: str) -> bool | None:
        """Whether the constraint holds on every `focus_type` element that has none of the
        `focus_members`: known without the data when the expression needs no environment
        to answer for an empty element (see `_analysis`); None when it is not known."""
        if self.focus_members is None:
            return None
        result = verdict_when_absent(self._run, focus_type)
        return None if result is None else constraint_holds(result)

    def holds_on(self, focus: list[Node], context: Context) -> bool:
        """`holds` for validators checking many elements of one resource with one scope."""
        context.context = focus
        return _verdict(self._run(focus, context))

    def holds_alone(self, focus: list[Node]) -> bool | None:
        """`holds_on` without a scope, for a validator that makes one only when it is needed:
        the verdict, or None when the evaluation needs the environment (%resource, resolve(),
        now(), ...). Most constraints read only their focus; one found to need more is not
        tried this way again."""
        if not self._alone:
            return None
        result = evaluate_alone(self._run, focus)
        if result is None:
            self._alone = False
            return None
        return _verdict(result)


def _verdict(result: list[Any]) -> bool:
    if result is TRUE or result is FALSE:  # the usual verdicts, shared lists
        return result is TRUE
    return constraint_holds(result)


@lru_cache(maxsize=4096)
def compile_fhirpath(expression: str) -> FhirPathExpression:
    """Compile once (cached); FhirPathSyntaxError, with the position, if it is not FHIRPath
    or names a function or type that does not exist."""
    tree = parse(expression)
    return FhirPathExpression(expression, compile_tree(tree, expression), focus_members(tree))
