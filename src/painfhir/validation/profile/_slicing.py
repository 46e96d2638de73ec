"""Which slice an entry belongs to: the discriminators of a slicing, compiled to predicates.

The generator has already resolved each discriminator against the profile's snapshot into
JSON steps (`get` a member, a `choice` of typed members, `extension` by url, `resolve` a
reference, `ofType`) and what to expect at their end. An entry belongs to a slice when every
discriminator holds for it:

- value / pattern: a node at the end of the steps equals the fixed value (matches the
  pattern, is in the required value set);
- exists: there is a node there, or there is none;
- type: a node there has one of the types (a choice member's type, a resource's type, the
  type a reference points at);
- profile: a node there conforms to one of the profiles (validated on the side, silently).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from painfhir.terminology import ValueSetCodes
from painfhir.validation.profile._bindings import in_value_set
from painfhir.validation.profile._run import Run
from painfhir.validation.profile._values import as_instance, equal, pattern_matcher

Matcher = Callable[[Any, Run], bool]
Node = tuple[Any, str | None]  # (JSON value, its FHIR type when the path tells it)
ValueSets = Callable[[str], ValueSetCodes | None]


def slice_matcher(discriminators: list[dict[str, Any]], value_sets: ValueSets) -> Matcher:
    tests = [_discriminator(d, value_sets) for d in discriminators]
    if len(tests) == 1:
        return tests[0]
    return lambda value, run: all(test(value, run) for test in tests)


def _discriminator(found: dict[str, Any], value_sets: ValueSets) -> Matcher:
    steps: list[list[Any]] = found["steps"]
    kind = found["kind"]
    if kind in ("value", "pattern"):
        return _value_test(steps, found, value_sets)
    if kind == "exists":
        present: bool = found["present"]
        return lambda value, run: bool(_select(value, steps, run)) == present
    if kind == "type":
        types = frozenset(found["types"])
        if steps == [["resolve"]]:
            return _target_type_test(types)
        return lambda value, run: any(_type_of(n) in types for n in _select(value, steps, run))
    profiles: list[str] = found["profiles"]
    return lambda value, run: any(
        run.guide.conforms(n[0], url, run) for n in _select(value, steps, run) for url in profiles
    )


def _value_test(steps: list[list[Any]], found: dict[str, Any], value_sets: ValueSets) -> Matcher:
    test: Callable[[Any], bool]
    if "valueSet" in found:
        value_set = value_sets(found["valueSet"])
        if value_set is None:  # not enumerable: no entry can be told to belong
            return lambda value, run: False
        test = partial(_in_value_set, value_set=value_set)
    elif "fixed" in found:
        fixed = as_instance(found["fixed"])
        if type(fixed) is str and len(steps) == 1 and steps[0][0] == "get":
            name = steps[0][1]  # the common case, extensions by url: one dict look-up
            return lambda value, run: type(value) is dict and value.get(name) == fixed
        test = partial(equal, expected=fixed)
    else:
        test = pattern_matcher(as_instance(found["pattern"]))
    if not steps:  # $this
        return lambda value, run: test(value)
    if len(steps) == 1 and steps[0][0] == "get":
        return _member_test(steps[0][1], test)
    return lambda value, run: any(test(n[0]) for n in _select(value, steps, run))


# Matchers are closures rather than partials: they run for every entry of a sliced element.
def _target_type_test(types: frozenset[str]) -> Matcher:
    """`resolve()` by type: the type the reference points at, resolved or read from it."""

    def match(value: Any, run: Run) -> bool:
        reference = value.get("reference") if type(value) is dict else None
        return type(reference) is str and run.target(reference)[1] in types

    return match


def _in_value_set(value: Any, value_set: ValueSetCodes) -> bool:
    return in_value_set(value, value_set)


def _member_test(name: str, test: Callable[[Any], bool]) -> Matcher:
    """A discriminator one member down (`type`, `code`): the member, or any of its items."""

    def match(value: Any, run: Run) -> bool:
        if type(value) is not dict:
            return False
        found = value.get(name)
        if type(found) is list:
            for item in found:  # noqa: SIM110 (a loop, not any() over a generator: faster)
                if test(item):
                    return True
            return False
        return found is not None and test(found)

    return match


def _select(value: Any, steps: list[list[Any]], run: Run) -> list[Node]:
    nodes: list[Node] = [(value, None)]
    for step in steps:
        nodes = [after for node in nodes for after in _step(node, step, run)]
        if not nodes:
            break
    return nodes


def _step(node: Node, step: list[Any], run: Run) -> list[Node]:
    value, _ = node
    kind = step[0]
    if kind == "ofType":
        return [node] if _type_of(node) == step[1] else []
    if type(value) is not dict:
        return []
    if kind == "get":
        found = value.get(step[1])
        if found is None:
            return []
        return [(item, None) for item in found] if type(found) is list else [(found, None)]
    if kind == "choice":
        return [(value[key], type_) for key, type_ in step[1].items() if key in value]
    if kind == "extension":
        extensions = value.get("extension")
        if type(extensions) is not list:
            return []
        return [(e, "Extension") for e in extensions if type(e) is dict and e.get("url") == step[1]]
    reference = value.get("reference")  # resolve()
    if type(reference) is not str:
        return []
    target, target_type = run.target(reference)
    return [(target, target_type)] if target_type is not None else []


def _type_of(node: Node) -> str | None:
    value, type_ = node
    if type_ is None and type(value) is dict:
        kind = value.get("resourceType")
        return kind if type(kind) is str else None
    return type_
