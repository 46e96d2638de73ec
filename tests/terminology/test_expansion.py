"""Value sets are enumerated from their compose as R4 defines it: includes are unions, excludes
are taken away, a part's system selection and imported value sets intersect; abstract concepts
are left out; what cannot be listed says why."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.terminology.expansion import NotEnumerableError, Terminology

PAIN = "http://example.org/pain-kind"
OTHER = "http://example.org/other"


def _concept(code: str, *children: dict[str, Any], **properties: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {"code": code}
    if properties:
        concept["property"] = [{"code": name, **value} for name, value in properties.items()]
    if children:
        concept["concept"] = list(children)
    return concept


# nociceptive > somatic, visceral; mixed > somatic (through the `child` property, as the v3
# code systems write a second parent); an abstract grouping over nociplastic.
PAIN_KIND: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": PAIN,
    "content": "complete",
    "property": [
        {"code": "notSelectable", "uri": "http://hl7.org/fhir/concept-properties#notSelectable"},
        {"code": "course", "type": "code"},
    ],
    "concept": [
        _concept(
            "nociceptive",
            _concept("somatic", course={"valueCode": "acute"}),
            _concept("visceral"),
        ),
        _concept("neuropathic", course={"valueCode": "chronic"}),
        _concept("_grouping", _concept("nociplastic"), notSelectable={"valueBoolean": True}),
        _concept("mixed", child={"valueCode": "somatic"}),
    ],
}
ALL_PAIN = {"nociceptive", "somatic", "visceral", "neuropathic", "nociplastic", "mixed"}


def _value_set(url: str, **compose: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "compose": compose}


def _terminology(*value_sets: dict[str, Any], **code_systems: dict[str, Any]) -> Terminology:
    systems = {PAIN: PAIN_KIND} | {resource["url"]: resource for resource in code_systems.values()}
    return Terminology(systems, {vs["url"]: vs for vs in value_sets})


def _codes(*parts: dict[str, Any], exclude: tuple[dict[str, Any], ...] = ()) -> set[str]:
    compose: dict[str, Any] = {"include": list(parts)}
    if exclude:
        compose["exclude"] = list(exclude)
    expansion = _terminology(_value_set("http://x/vs", **compose)).expand("http://x/vs")
    assert {system for system, _ in expansion} <= {PAIN}
    return {code for _, code in expansion}


def _filter(op: str, value: str, prop: str = "concept") -> dict[str, Any]:
    return {"system": PAIN, "filter": [{"property": prop, "op": op, "value": value}]}


@pytest.mark.parametrize(
    ("part", "codes"),
    [
        pytest.param({"system": PAIN}, ALL_PAIN, id="a whole system, nested concepts too"),
        pytest.param(
            {"system": PAIN, "concept": [{"code": "visceral"}, {"code": "mixed"}]},
            {"visceral", "mixed"},
            id="a concept list",
        ),
        pytest.param(
            {"system": PAIN, "concept": [{"code": "_grouping"}, {"code": "mixed"}]},
            {"mixed"},
            id="an abstract concept is left out even when listed",
        ),
        pytest.param(
            _filter("is-a", "nociceptive"),
            {"nociceptive", "somatic", "visceral"},
            id="is-a",
        ),
        pytest.param(_filter("is-a", "mixed"), {"mixed", "somatic"}, id="is-a through a child"),
        pytest.param(
            _filter("descendent-of", "nociceptive"), {"somatic", "visceral"}, id="descendent-of"
        ),
        pytest.param(
            _filter("is-not-a", "nociceptive"),
            {"neuropathic", "nociplastic", "mixed"},
            id="is-not-a",
        ),
        pytest.param(
            _filter("generalizes", "somatic"),
            {"somatic", "nociceptive", "mixed"},
            id="generalizes",
        ),
        pytest.param(_filter("is-a", "_grouping"), {"nociplastic"}, id="under an abstract concept"),
        pytest.param(_filter("regex", "n.*c", "code"), {"neuropathic", "nociplastic"}, id="regex"),
        pytest.param(_filter("=", "chronic", "course"), {"neuropathic"}, id="property ="),
        pytest.param(
            {
                "system": PAIN,
                "filter": [
                    {"property": "concept", "op": "is-a", "value": "nociceptive"},
                    {"property": "concept", "op": "is-a", "value": "mixed"},
                ],
            },
            {"somatic"},
            id="filters together narrow",
        ),
    ],
)
def test_a_system_selection(part: dict[str, Any], codes: set[str]) -> None:
    assert _codes(part) == codes


def test_includes_add_up_and_excludes_take_away() -> None:
    assert _codes(
        {"system": PAIN, "concept": [{"code": "visceral"}]},
        _filter("is-a", "mixed"),
        exclude=({"system": PAIN, "concept": [{"code": "somatic"}]},),
    ) == {"visceral", "mixed"}


def test_a_concept_list_needs_no_code_system() -> None:
    units = _value_set("http://x/units", include=[{"system": OTHER, "concept": [{"code": "wk"}]}])
    assert _terminology(units).expand("http://x/units") == {(OTHER, "wk")}


def test_imported_value_sets_intersect_with_the_system_selection() -> None:
    nociceptive = _value_set("http://x/noci", include=[_filter("is-a", "nociceptive")])
    mixed = _value_set("http://x/mixed", include=[_filter("is-a", "mixed")])
    both = _value_set(
        "http://x/both",
        include=[
            {"valueSet": ["http://x/noci|4.0.1"]},
            {"system": PAIN, "valueSet": ["http://x/noci", "http://x/mixed"]},
        ],
    )
    terminology = _terminology(nociceptive, mixed, both)
    assert terminology.expand("http://x/both|4.0.1") == terminology.expand("http://x/noci")
    only = _value_set(
        "http://x/only", include=[{"system": PAIN, "valueSet": ["http://x/noci", "http://x/mixed"]}]
    )
    assert _terminology(nociceptive, mixed, only).expand("http://x/only") == {(PAIN, "somatic")}


@pytest.mark.parametrize(
    ("include", "code_system", "reason"),
    [
        pytest.param(
            {"system": OTHER},
            None,
            f"the code system {OTHER} is not in the package",
            id="an unknown code system",
        ),
        pytest.param(
            {"system": OTHER},
            {"content": "fragment"},
            f"the code system {OTHER} is not complete here (fragment)",
            id="a fragment of a code system",
        ),
        pytest.param(
            {"system": OTHER},
            {"content": "complete", "caseSensitive": False},
            f"the code system {OTHER} ignores case",
            id="a code system that ignores case",
        ),
        pytest.param(
            {"valueSet": ["http://x/missing"]},
            None,
            "the value set http://x/missing is not in the package",
            id="an imported value set that is not there",
        ),
        pytest.param(
            {"system": PAIN, "filter": [{"property": "concept", "op": "in", "value": "a,b"}]},
            None,
            f"the filter concept in a,b on {PAIN} is not evaluated here",
            id="a filter not evaluated",
        ),
    ],
)
def test_what_cannot_be_enumerated_says_why(
    include: dict[str, Any], code_system: dict[str, Any] | None, reason: str
) -> None:
    extra = {"other": {"url": OTHER, "concept": [], **code_system}} if code_system else {}
    terminology = _terminology(_value_set("http://x/vs", include=[include]), **extra)
    with pytest.raises(NotEnumerableError) as caught:
        terminology.expand("http://x/vs")
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("value_sets", "reason"),
    [
        pytest.param([], "the value set http://x/vs is not in the package", id="not there"),
        pytest.param(
            [{"resourceType": "ValueSet", "url": "http://x/vs"}],
            "the value set http://x/vs has no compose to expand",
            id="no compose",
        ),
    ],
)
def test_a_value_set_without_content_is_not_enumerable(
    value_sets: list[dict[str, Any]], reason: str
) -> None:
    with pytest.raises(NotEnumerableError) as caught:
        _terminology(*value_sets).expand("http://x/vs")
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    "include",
    [
        pytest.param({"system": PAIN, "concept": [{"code": "typo"}]}, id="an unknown listed code"),
        pytest.param(_filter("is-a", "typo"), id="a filter on an unknown code"),
        pytest.param({"valueSet": ["http://x/vs"]}, id="a value set including itself"),
    ],
)
def test_a_broken_definition_stops_the_generator(include: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"typo|includes itself"):
        _terminology(_value_set("http://x/vs", include=[include])).expand("http://x/vs")
