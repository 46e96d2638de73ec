"""ConceptMaps on their own: what a group that lists a code with no match answers, and what
a malformed map says about itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from painfhir.mapping import ConceptMaps
from painfhir.mapping._conceptmap import ConceptMapError

SEX = "http://terminology.hl7.org/CodeSystem/v2-0001"
GENDER = "http://hl7.org/fhir/administrative-gender"
MALE = {"system": GENDER, "code": "male"}


def _map(url: str, *elements: dict[str, Any], **group: Any) -> dict[str, Any]:
    return {
        "resourceType": "ConceptMap",
        "url": url,
        "group": [{"source": SEX, "target": GENDER, "element": list(elements), **group}],
    }


def _element(code: str, *targets: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "target": list(targets)}


MAPS_M = _element("M", {"code": "male", "equivalence": "equivalent"})


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param([{"equivalence": "unmatched"}], id="unmatched"),
        pytest.param([{"code": "female", "equivalence": "disjoint"}], id="disjoint"),
        pytest.param(
            [{"equivalence": "unmatched"}, {"code": "female", "equivalence": "disjoint"}],
            id="both",
        ),
    ],
)
def test_a_code_listed_with_no_match_is_not_translated_by_a_later_map(
    targets: list[dict[str, str]],
) -> None:
    site = ConceptMaps([_map("site", _element("M", *targets))])
    module = ConceptMaps([_map("module", MAPS_M)])
    assert module.translate(SEX, "M") == MALE
    assert module.under(site).translate(SEX, "M") is None


def test_a_code_listed_with_no_match_ignores_unmapped() -> None:
    # FHIR R4 ConceptMap.group.unmapped: ignored for a code specified as unmatched
    unmatched = _element("M", {"equivalence": "unmatched"})
    maps = ConceptMaps([_map("site", unmatched, unmapped={"mode": "provided"})])
    assert maps.translate(SEX, "M") is None
    assert maps.translate(SEX, "Q") == {"system": SEX, "code": "Q"}  # not listed: unmapped


def test_a_match_beside_a_no_match_target_translates() -> None:
    element = _element(
        "M", {"code": "female", "equivalence": "disjoint"}, {"code": "male", "equivalence": "equal"}
    )
    assert ConceptMaps([_map("u", element)]).translate(SEX, "M") == MALE


def test_an_other_map_that_lists_the_code_with_no_match_ends_the_translation() -> None:
    first = _map("first", unmapped={"mode": "other-map", "url": "other"})
    other = _map("other", _element("M", {"equivalence": "unmatched"}))
    fallback = _map("fallback", unmapped={"mode": "provided"})
    maps = ConceptMaps([first, other, fallback])
    assert maps.translate(SEX, "M") is None
    assert maps.translate(SEX, "F") == {"system": SEX, "code": "F"}  # other-map knew nothing


def _load(tmp_path: Path, text: str) -> ConceptMaps:
    (tmp_path / "0001-sex.json").write_text(text)
    return ConceptMaps.load(tmp_path)


@pytest.mark.parametrize(
    ("concept_map", "problem"),
    [
        pytest.param(
            _map("u", MAPS_M, MAPS_M, {"target": [{"code": "male"}]}),
            "group[0].element[2] has no code",
            id="element without code",
        ),
        pytest.param(
            {"resourceType": "ConceptMap", "url": "u", "group": {"source": "x"}},
            "group is not a list",
            id="group not a list",
        ),
        pytest.param(
            {"resourceType": "ConceptMap", "group": ["x"]},
            "group[0] is not an object",
            id="group not an object",
        ),
        pytest.param(
            _map("u", _element("M", {"equivalence": "equivalent"})),
            "group[0].element[0].target[0] has no code",
            id="matching target without code",
        ),
        pytest.param(
            _map("u", _element("M", {"code": 1})),
            "group[0].element[0].target[0].code is not a string: 1",
            id="code not a string",
        ),
        pytest.param(
            _map("u", unmapped={"mode": "fixed"}),
            "group[0].unmapped has no code",
            id="fixed without code",
        ),
        pytest.param(
            _map("u", unmapped={"mode": "other-map"}),
            "group[0].unmapped has no url",
            id="other-map without url",
        ),
        pytest.param(
            _map("u", unmapped={"mode": "guess"}),
            "group[0].unmapped.mode is not provided, fixed or other-map: 'guess'",
            id="unknown mode",
        ),
        pytest.param({"resourceType": "ValueSet"}, "not a ConceptMap: 'ValueSet'", id="other"),
        pytest.param([], "not a ConceptMap: not a JSON object", id="not an object"),
    ],
)
def test_a_malformed_map_names_its_file_and_what_is_wrong(
    tmp_path: Path, concept_map: Any, problem: str
) -> None:
    with pytest.raises(ConceptMapError) as caught:
        _load(tmp_path, json.dumps(concept_map))
    assert str(caught.value) == f"{tmp_path / '0001-sex.json'}: {problem}"


def test_a_file_that_is_not_json_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ConceptMapError, match=r"0001-sex\.json: not JSON \(unexpected"):
        _load(tmp_path, "{bad json")
