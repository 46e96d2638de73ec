"""Walking a resource along a compiled profile's nodes, running their checks.

Only the members a node names are looked at: a profile that constrains twenty elements costs
twenty look-ups, whatever the size of the resource; a member that is there and constrained only
in number, or absent and optional, costs no more. Expressions are built as the walk goes
(`ServiceRequest.identifier[1].type`), with array indexes and a choice's JSON member name, and
slice members are named by where they really are; an array item's only when it has something
to check or report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.validation.profile._nodes import Node, Profile, Slicing
from painfhir.validation.profile._run import Run

Item = tuple[Any, str]  # (a value of an element, its expression); None for extensions only


def check_profile(profile: Profile, value: dict[str, Any], expression: str, run: Run) -> None:
    root = profile.root
    for check in root.checks:
        check(value, expression, run)
    check_object(root, value, expression, run)


def check_object(node: Node, obj: dict[str, Any], path: str, run: Run) -> None:
    must_support = run.must_support
    for child in node.every_child if must_support else node.children:
        value = obj.get(child.key)
        if child.simple:
            # A member constrained only in number, and there once: nothing to do.
            if child.present_only and value is not None and not must_support:
                continue
            _check_single(child, obj, value, path, run)
        elif child.array and type(value) is list:
            _check_array(child, obj, value, path, run)
        elif value is None and child.optional and not must_support and child.extras not in obj:
            continue  # absent, and allowed to be: nothing to check
        else:
            check_element(child, obj, path, run)


def _check_single(node: Node, obj: dict[str, Any], value: Any, path: str, run: Run) -> None:
    """check_element for a member that holds one value (`value`, None if absent): no list of
    items is made."""
    if value is None and node.extras not in obj:
        if node.min and not any(key in obj for key in node.pardoned):
            _missing(node, 0, f"{path}.{node.key}", run)
        elif node.must_support and run.must_support:
            _must_support(node, f"{path}.{node.key}", run)
        return
    if node.max == 0:
        _too_many(node, 1, f"{path}.{node.key}", run)
        return
    # check_value, inlined; with must-support asked, an element with nothing else to check is
    # looked into too, for must-support members under it (Condition.meta.lastUpdated).
    if node.checks or (node.every_child if run.must_support else node.children):
        expression = f"{path}.{node.key}"
        for check in node.checks:
            check(value, expression, run)
        if (node.every_child if run.must_support else node.children) and type(value) is dict:
            check_object(node, value, expression, run)


def _check_array(node: Node, obj: dict[str, Any], values: list[Any], path: str, run: Run) -> None:
    """check_element for an array member (`values`) that is not a choice: no list of items is
    made, and an item's expression only if it has something to check."""
    base = f"{path}.{node.key}"
    count = len(values)
    if count < node.min and not any(key in obj for key in node.pardoned):
        _missing(node, count, base, run)
    if node.max is not None and count > node.max:
        _too_many(node, count, f"{base}[{node.max}]", run)
    if not values:
        if node.must_support and run.must_support:
            _must_support(node, base, run)
    elif node.slicing is not None:
        _check_slices(node, node.slicing, values, lambda index: f"{base}[{index}]", base, run)
    elif node.checks or (node.every_child if run.must_support else node.children):
        for index, value in enumerate(values):
            check_value(node, value, f"{base}[{index}]", run)


def check_element(node: Node, obj: dict[str, Any], path: str, run: Run) -> None:
    items = _items(node, obj, path, run)
    count = len(items)
    if count < node.min and not any(key in obj for key in node.pardoned):
        _missing(node, count, _absent_at(node, path), run)
    if node.max is not None and count > node.max:
        _too_many(node, count, items[node.max][1], run)
    if not items:
        if node.must_support and run.must_support:
            _must_support(node, _absent_at(node, path), run)
    elif node.slicing is not None:
        values = [value for value, _ in items]
        expressions = [expression for _, expression in items]
        _check_slices(
            node, node.slicing, values, expressions.__getitem__, f"{path}.{node.key}", run
        )
    else:
        for value, expression in items:
            check_value(node, value, expression, run)


def _absent_at(node: Node, path: str) -> str:
    """Where an absent element would be: a choice element is named with its [x]."""
    return f"{path}.{node.key}[x]" if node.members is not None else f"{path}.{node.key}"


def check_value(node: Node, value: Any, expression: str, run: Run) -> None:
    if value is _RULED_OUT:
        return
    for check in node.checks:
        check(value, expression, run)
    if (node.every_child if run.must_support else node.children) and type(value) is dict:
        check_object(node, value, expression, run)


def _items(node: Node, obj: dict[str, Any], path: str, run: Run) -> list[Item]:
    if node.members is not None:
        return _choice_items(node, obj, path, run)
    raw = obj.get(node.key)
    if raw is None:
        extras = obj.get(node.extras)  # a primitive with only an id or extensions is present
        if extras is None:
            return []
        if node.many and type(extras) is list:
            return [(None, f"{path}.{node.key}[{i}]") for i in range(len(extras))]
        return [(None, f"{path}.{node.key}")]
    if not node.many:
        return [(raw, f"{path}.{node.key}")]
    if type(raw) is not list:
        return []  # not an array: the structural check reports it
    base = f"{path}.{node.key}"
    return [(value, f"{base}[{i}]") for i, value in enumerate(raw)]


def _choice_items(node: Node, obj: dict[str, Any], path: str, run: Run) -> list[Item]:
    """The members of a choice element; one of a type the profile rules out is reported and
    counted (so it is not also reported missing), but not looked into."""
    members = node.members
    assert members is not None
    items: list[Item] = []
    for key, value in obj.items():
        type_ = members.get(key)
        if type_ is None:
            continue
        expression = f"{path}.{key}"
        items.append((value, expression))
        if node.allowed is not None and type_ not in node.allowed:
            allowed = " or ".join(sorted(node.allowed))
            message = f"{node.profile}: {node.label} must be {allowed}; found {key} ({type_})"
            run.issue("error", "structure", message, expression)
            items[-1] = (_RULED_OUT, expression)
    return items


class _RuledOut:
    """The value of a choice member of a type the profile rules out: checked no further."""


_RULED_OUT = _RuledOut()


def _check_slices(
    node: Node,
    slicing: Slicing,
    values: list[Any],
    where: Callable[[int], str],
    path: str,
    run: Run,
) -> None:
    """The entries of a sliced element (`where` gives an entry's expression from its index,
    made only for an entry with something to report or check), each matched to its slice."""
    members: list[list[int]] = [[] for _ in slicing.slices]
    last = -1
    unmatched = False
    by_target_type = slicing.by_target_type
    for at, value in enumerate(values):
        if by_target_type is not None:  # one look-up of the target's type finds the slice
            reference = value.get("reference") if type(value) is dict else None
            kind = run.target(reference)[1] if type(reference) is str else None
            index = by_target_type.get(kind, -1) if kind is not None else -1
        else:
            index = 0
            for match in slicing.matchers:
                if match(value, run):
                    break
                index += 1
            else:
                index = -1
        if index < 0:
            if slicing.closed:
                _closed(node, slicing, where(at), run)
            else:
                unmatched = True
                check_value(node, value, where(at), run)
            continue
        if slicing.ordered and index < last:
            _out_of_order(node, slicing, where(at), run)
        elif slicing.open_at_end and unmatched:
            _not_at_end(node, where(at), run)
        last = max(last, index)
        members[index].append(at)
    for (slice_, _), found in zip(slicing.slices, members, strict=True):
        count = len(found)
        if count < slice_.min:
            _missing(slice_, count, path, run)
        if slice_.max is not None and count > slice_.max:
            _too_many(slice_, count, where(found[slice_.max]), run)
        if not found:
            if slice_.must_support and run.must_support:
                _must_support(slice_, path, run)
        elif slice_.checks or (slice_.every_child if run.must_support else slice_.children):
            for at in found:
                check_value(slice_, values[at], where(at), run)


# --- issues -----------------------------------------------------------------------------------


def _what(node: Node) -> str:
    if node.slice_name is None:
        return node.label
    return f"{node.label} (entries matching slice '{node.slice_name}')"


def _missing(node: Node, count: int, expression: str, run: Run) -> None:
    found = "there is none" if count == 0 else f"there {'is' if count == 1 else 'are'} {count}"
    message = f"{node.profile}: {_what(node)} is required at least {_times(node.min)}; {found}"
    run.issue("error", "required", message, expression)


def _too_many(node: Node, count: int, expression: str, run: Run) -> None:
    if node.max == 0:
        message = f"{node.profile}: {_what(node)} is not allowed; there {_are(count)}"
    else:
        message = (
            f"{node.profile}: {_what(node)} is allowed at most {_times(node.max)}; "
            f"there {_are(count)}"
        )
    run.issue("error", "structure", message, expression)


def _must_support(node: Node, expression: str, run: Run) -> None:
    message = f"{node.profile}: {_what(node)} is must-support, and is absent"
    run.issue("information", "informational", message, expression)


def _closed(node: Node, slicing: Slicing, expression: str, run: Run) -> None:
    message = (
        f"{node.profile}: this {node.label} entry matches none of its slices "
        f"({slicing.names}), and no other entries are allowed (closed slicing)"
    )
    run.issue("error", "structure", message, expression)


def _out_of_order(node: Node, slicing: Slicing, expression: str, run: Run) -> None:
    message = (
        f"{node.profile}: this {node.label} entry is out of order: its slices must come in "
        f"the order {slicing.names}"
    )
    run.issue("error", "structure", message, expression)


def _not_at_end(node: Node, expression: str, run: Run) -> None:
    message = (
        f"{node.profile}: this {node.label} entry comes after one that matches no slice; "
        "entries matching no slice must come last (open at end)"
    )
    run.issue("error", "structure", message, expression)


def _times(count: int | None) -> str:
    return "once" if count == 1 else f"{count} times"


def _are(count: int) -> str:
    return f"is {count}" if count == 1 else f"are {count}"


class ProfileCheck:
    """A profile on an element's type (an extension's definition, above all): the value must
    conform to it, or to one of them."""

    __slots__ = ("label", "profile", "urls")

    def __init__(self, urls: list[str], label: str, profile: str) -> None:
        self.urls = urls
        self.label = label
        self.profile = profile

    def __call__(self, value: Any, expression: str, run: Run) -> None:
        if type(value) is not dict:
            return
        guide = run.guide
        known = [url for url in self.urls if guide.compiled(url) is not None]
        if len(known) == 1:
            profile = guide.compiled(known[0])
            assert profile is not None
            check_profile(profile, value, expression, run)
            return
        if not known:
            return  # a profile from outside the guide: not checked
        attempts: list[list[Issue]] = []
        for url in known:
            problems = guide.problems(value, url, run, expression)
            if not problems:
                return
            attempts.append(problems)
        run.issues.extend(attempts[0])
