"""Snapshot generation follows the R4 rules: checked against the snapshots the R4 package
publishes for the vital-signs profiles, and rule by rule on small differentials.

These need the official package (`hl7.fhir.r4.examples@4.0.1`, fetched once with npm).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from painfhir.validation.profile._compact import compact_profile
from painfhir.validation.profile._sources import dependency_order, package_definitions
from painfhir.validation.profile.generate import build_from
from painfhir.validation.profile.snapshot import (
    CORE,
    Definition,
    SnapshotError,
    canonical,
    generate_snapshot,
    type_code,
)
from tests.validation.profiles import COMPILED, FIXTURES, package_tarball

PAINFHIR = "http://painfhir.org/fhir/StructureDefinition/"


@pytest.fixture(scope="module")
def package() -> dict[str, Definition]:
    return package_definitions(package_tarball())


def _properties(element: dict[str, Any]) -> dict[str, Any]:
    """What the generator is answerable for, in a form both snapshots can be compared in."""
    binding = element.get("binding")
    return {
        "path": element["path"],
        "sliceName": element.get("sliceName"),
        "min": element["min"],
        "max": element["max"],
        "type": [
            (type_code(t), sorted(t.get("profile", [])), sorted(t.get("targetProfile", [])))
            for t in element.get("type", [])
        ],
        "values": {k: v for k, v in element.items() if k.startswith(("fixed", "pattern"))},
        "binding": binding and (binding["strength"], canonical(binding.get("valueSet", ""))),
        "mustSupport": element.get("mustSupport", False),
        "slicing": element.get("slicing"),
        "constraints": sorted(c["key"] for c in element.get("constraint", [])),
        "condition": sorted(element.get("condition", [])),
        "short": element.get("short"),
        "definition": element.get("definition"),
        "base": element.get("base"),
    }


VITAL_SIGNS = [
    "vitalsigns",  # on Observation: slices of category, children unrolled, targets, bindings
    "heartrate",  # on vitalsigns: a renamed choice (valueQuantity), code.coding unrolled
    "bodyweight",
    "bodyheight",
    "bodytemp",
    "headcircum",
    "resprate",
    "oxygensat",
    "bmi",
    "vitalspanel",
]


@pytest.mark.parametrize("name", VITAL_SIGNS)
def test_the_generated_snapshot_of_a_vital_signs_profile_is_the_published_one(
    package: dict[str, Definition], name: str
) -> None:
    published = package[CORE + name]
    generated = generate_snapshot(published, package.get)
    expected = published["snapshot"]["element"]
    assert [e["id"] for e in generated] == [e["id"] for e in expected]
    for mine, theirs in zip(generated, expected, strict=True):
        assert _properties(mine) == _properties(theirs), mine["id"]


# --- rule by rule ---------------------------------------------------------------------------


def _profile(type_: str, *elements: dict[str, Any], base: str | None = None) -> Definition:
    return {
        "resourceType": "StructureDefinition",
        "url": PAINFHIR + "rules",
        "type": type_,
        "baseDefinition": base or CORE + type_,
        "derivation": "constraint",
        "differential": {"element": list(elements)},
    }


def _element(element_id: str, **properties: Any) -> dict[str, Any]:
    path = ".".join(part.split(":")[0] for part in element_id.split("."))
    return {"id": element_id, "path": path, **properties}


def _snapshot(package: dict[str, Definition], *elements: dict[str, Any], **kw: Any) -> Any:
    profile = _profile(elements[0]["path"].split(".")[0], *elements, **kw)
    return {e["id"]: e for e in generate_snapshot(profile, package.get)}


def _ids(package: dict[str, Definition], *elements: dict[str, Any]) -> list[str]:
    profile = _profile(elements[0]["path"].split(".")[0], *elements)
    return [e["id"] for e in generate_snapshot(profile, package.get)]


def test_cardinality_narrows(package: dict[str, Definition]) -> None:
    snapshot = _snapshot(package, _element("ServiceRequest.requester", min=1))
    assert (
        snapshot["ServiceRequest.requester"]["min"],
        snapshot["ServiceRequest.requester"]["max"],
    ) == (1, "1")
    snapshot = _snapshot(package, _element("ServiceRequest.performer", max="1"))
    assert snapshot["ServiceRequest.performer"]["max"] == "1"
    assert snapshot["ServiceRequest.performer"]["base"]["max"] == "*"  # the base stays R4's


@pytest.mark.parametrize(
    ("element", "message"),
    [
        pytest.param(
            _element("ServiceRequest.status", min=0), "min 0 is below the base's min 1", id="min"
        ),
        pytest.param(
            _element("ServiceRequest.subject", max="*"), "max * is above the base's max 1", id="max"
        ),
        pytest.param(
            _element("ServiceRequest.note", min=2, max="1"), "min 2 is above max 1", id="min>max"
        ),
        pytest.param(
            _element("ServiceRequest.occurrence[x]", type=[{"code": "string"}]),
            "type string is not allowed by the base",
            id="type",
        ),
        pytest.param(
            _element(
                "ServiceRequest.subject",
                type=[{"code": "Reference", "targetProfile": [CORE + "Practitioner"]}],
            ),
            "target http://hl7.org/fhir/StructureDefinition/Practitioner is not allowed",
            id="target",
        ),
        pytest.param(
            _element(
                "ServiceRequest.status",
                binding={"strength": "preferred", "valueSet": "http://example.org/vs"},
            ),
            "a preferred binding weakens the base's required one",
            id="binding",
        ),
        pytest.param(
            _element("ServiceRequest.intent", fixedString="order"),
            "fixedString does not fit its types",
            id="fixed-type",
        ),
        pytest.param(
            _element("ServiceRequest.identifier:placer"),
            "ServiceRequest.identifier is not sliced",
            id="slice-without-slicing",
        ),
        pytest.param(
            _element("ServiceRequest.referral"),
            "there is no element ServiceRequest.referral in the base",
            id="unknown-element",
        ),
        pytest.param(
            _element("ServiceRequest.valueQuantity"),
            "there is no element ServiceRequest.valueQuantity",
            id="rename-of-no-choice",
        ),
        pytest.param(
            _element("ServiceRequest.occurrence[x].start"),
            "constrain it to one type before constraining inside it",
            id="inside-several-types",
        ),
        pytest.param(_element("ServiceRequest.identifier:a/b"), "re-slicing", id="reslicing"),
    ],
)
def test_what_a_profile_may_not_do_is_refused_clearly(
    package: dict[str, Definition], element: dict[str, Any], message: str
) -> None:
    with pytest.raises(SnapshotError, match=rf"^{PAINFHIR}rules: ServiceRequest\.") as error:
        _snapshot(package, element)
    assert message in str(error.value)


def test_a_fixed_value_cannot_be_changed_by_a_derived_profile(
    package: dict[str, Definition],
) -> None:
    base = _profile("ServiceRequest", _element("ServiceRequest.intent", fixedCode="order"))
    base["snapshot"] = {"element": generate_snapshot(base, package.get)}
    derived = _profile(
        "ServiceRequest", _element("ServiceRequest.intent", fixedCode="plan"), base=base["url"]
    )
    derived["url"] = PAINFHIR + "derived"
    lookup = {base["url"]: base}
    with pytest.raises(SnapshotError, match="fixedCode conflicts with the base's fixedCode"):
        generate_snapshot(derived, lambda url: lookup.get(url) or package.get(url))


def test_types_targets_values_bindings_and_texts_are_laid_on(
    package: dict[str, Definition],
) -> None:
    snapshot = _snapshot(
        package,
        _element("ServiceRequest.occurrence[x]", type=[{"code": "Period"}], mustSupport=True),
        _element(
            "ServiceRequest.subject",
            short="The patient referred",
            type=[{"code": "Reference", "targetProfile": [CORE + "Patient"]}],
        ),
        _element("ServiceRequest.intent", fixedCode="order"),
        _element(
            "ServiceRequest.code",
            binding={"strength": "required", "valueSet": "http://example.org/vs"},
            constraint=[{"key": "x-1", "severity": "error", "human": "h", "expression": "true"}],
            condition=["x-1"],
        ),
    )
    assert [type_code(t) for t in snapshot["ServiceRequest.occurrence[x]"]["type"]] == ["Period"]
    assert snapshot["ServiceRequest.occurrence[x]"]["mustSupport"] is True
    subject = snapshot["ServiceRequest.subject"]
    assert subject["type"] == [{"code": "Reference", "targetProfile": [CORE + "Patient"]}]
    assert subject["short"] == "The patient referred"
    assert subject["definition"].startswith("On whom or what the service is to be performed")
    assert snapshot["ServiceRequest.intent"]["fixedCode"] == "order"
    code = snapshot["ServiceRequest.code"]
    assert code["binding"]["strength"] == "required"
    assert [c["key"] for c in code["constraint"]] == ["ele-1", "x-1"]  # appended
    assert code["constraint"][-1]["source"] == PAINFHIR + "rules"
    assert code["condition"] == ["x-1"]


def test_a_target_may_be_a_profile_of_an_allowed_type(package: dict[str, Definition]) -> None:
    condition = {"url": PAINFHIR + "condition", "type": "Condition", "derivation": "constraint"}
    profile = _profile(
        "ServiceRequest",
        _element(
            "ServiceRequest.reasonReference",
            type=[{"code": "Reference", "targetProfile": [condition["url"]]}],
        ),
    )
    lookup = {condition["url"]: condition}
    snapshot = generate_snapshot(profile, lambda url: lookup.get(url) or package.get(url))
    reason = next(e for e in snapshot if e["id"] == "ServiceRequest.reasonReference")
    assert reason["type"][0]["targetProfile"] == [condition["url"]]


def test_slices_follow_their_slicing_entry_with_the_sliced_elements_children(
    package: dict[str, Definition],
) -> None:
    ids = _ids(
        package,
        _element(
            "ServiceRequest.identifier",
            slicing={"discriminator": [{"type": "pattern", "path": "type"}], "rules": "open"},
        ),
        _element("ServiceRequest.identifier:placer", min=1, max="1"),
        _element("ServiceRequest.identifier:placer.system", min=1),
        _element("ServiceRequest.identifier:filler"),
    )
    start = ids.index("ServiceRequest.identifier")
    group = ids[start : ids.index("ServiceRequest.instantiatesCanonical")]
    children = ["id", "extension", "use", "type", "system", "value", "period", "assigner"]
    # Identifier's children are unrolled only in the slice constrained inside.
    assert group == [
        "ServiceRequest.identifier",
        "ServiceRequest.identifier:placer",
        *[f"ServiceRequest.identifier:placer.{c}" for c in children],
        "ServiceRequest.identifier:filler",
    ]


def test_a_new_slice_starts_at_min_0_and_keeps_the_sliced_elements_max(
    package: dict[str, Definition],
) -> None:
    snapshot = _snapshot(
        package,
        _element(
            "ServiceRequest.category",
            min=1,
            slicing={"discriminator": [{"type": "pattern", "path": "$this"}], "rules": "open"},
        ),
        _element("ServiceRequest.category:referral"),
    )
    referral = snapshot["ServiceRequest.category:referral"]
    assert (referral["min"], referral["max"], referral["sliceName"]) == (0, "*", "referral")
    assert "slicing" not in referral


def test_extension_slices_are_sliced_by_url_and_take_their_definitions_cardinality(
    package: dict[str, Definition],
) -> None:
    birth_place = CORE + "patient-birthPlace"
    snapshot = _snapshot(
        package,
        _element(
            "Patient.extension:birthPlace", type=[{"code": "Extension", "profile": [birth_place]}]
        ),
        _element("Patient.extension:birthPlace.value[x]", min=1),
    )
    assert snapshot["Patient.extension"]["slicing"]["discriminator"] == [
        {"type": "value", "path": "url"}
    ]
    slice_ = snapshot["Patient.extension:birthPlace"]
    assert (slice_["min"], slice_["max"]) == (0, "1")  # the definition's 0..1
    # Children come from the extension's own definition: its url is fixed there.
    url = snapshot["Patient.extension:birthPlace.url"]
    assert url["fixedUri"] == birth_place
    value = snapshot["Patient.extension:birthPlace.value[x]"]
    assert [type_code(t) for t in value["type"]] == ["Address"]


def test_a_renamed_choice_narrows_the_choice_to_a_type_slice(
    package: dict[str, Definition],
) -> None:
    snapshot = _snapshot(
        package,
        _element("Observation.valueQuantity", min=1),
        _element("Observation.valueQuantity.system", fixedUri="http://unitsofmeasure.org"),
    )
    choice = snapshot["Observation.value[x]"]
    assert [type_code(t) for t in choice["type"]] == ["Quantity"]
    assert choice["slicing"]["discriminator"] == [{"type": "type", "path": "$this"}]
    assert snapshot["Observation.value[x]:valueQuantity"]["min"] == 1
    system = snapshot["Observation.value[x]:valueQuantity.system"]
    assert (system["path"], system["base"]["path"]) == (
        "Observation.value[x].system",
        "Quantity.system",
    )


def test_children_of_a_datatype_are_unrolled_when_constrained(
    package: dict[str, Definition],
) -> None:
    ids = _ids(package, _element("ServiceRequest.code.coding", min=1))
    at = ids.index("ServiceRequest.code")
    assert ids[at + 1 : at + 5] == [
        "ServiceRequest.code.id",
        "ServiceRequest.code.extension",
        "ServiceRequest.code.coding",
        "ServiceRequest.code.text",
    ]


def test_a_differential_without_ids_gets_them_from_paths_and_slice_names(
    package: dict[str, Definition],
) -> None:
    with_ids = [
        _element(
            "ServiceRequest.identifier",
            slicing={"discriminator": [{"type": "pattern", "path": "type"}], "rules": "open"},
        ),
        _element("ServiceRequest.identifier:placer", sliceName="placer", min=1),
        _element("ServiceRequest.identifier:placer.value", min=1),
    ]
    without = [{k: v for k, v in e.items() if k != "id"} for e in copy.deepcopy(with_ids)]
    assert _snapshot(package, *without) == _snapshot(package, *with_ids)


def test_profiles_are_generated_after_what_they_build_on() -> None:
    base = {"url": PAINFHIR + "a", "baseDefinition": CORE + "Extension", "differential": {}}
    on_base = {"url": PAINFHIR + "b", "baseDefinition": PAINFHIR + "a", "differential": {}}
    user = {
        "url": PAINFHIR + "c",
        "baseDefinition": CORE + "Patient",
        "differential": {
            "element": [
                {
                    "path": "Patient.extension",
                    "type": [{"code": "Extension", "profile": [PAINFHIR + "b"]}],
                }
            ]
        },
    }
    order = [d["url"] for d in dependency_order([user, on_base, base])]
    assert order == [PAINFHIR + "a", PAINFHIR + "b", PAINFHIR + "c"]
    base["baseDefinition"] = PAINFHIR + "b"
    with pytest.raises(SnapshotError, match="in a cycle"):
        dependency_order([base, on_base])


def test_an_extension_used_outside_its_context_is_refused(package: dict[str, Definition]) -> None:
    profile = _profile(
        "ServiceRequest",
        _element(
            "ServiceRequest.extension:birthPlace",
            type=[{"code": "Extension", "profile": [CORE + "patient-birthPlace"]}],
        ),
    )
    profile["snapshot"] = {"element": generate_snapshot(profile, package.get)}
    with pytest.raises(
        SnapshotError, match=r"may only be used on \['Patient'\], not on ServiceRequest"
    ):
        compact_profile(profile, package.get)


def test_a_slice_its_discriminator_cannot_tell_is_refused(package: dict[str, Definition]) -> None:
    profile = _profile(
        "ServiceRequest",
        _element(
            "ServiceRequest.identifier",
            slicing={"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
        ),
        _element("ServiceRequest.identifier:placer"),
    )
    profile["snapshot"] = {"element": generate_snapshot(profile, package.get)}
    with pytest.raises(SnapshotError, match="no fixed value, pattern or required binding there"):
        compact_profile(profile, package.get)


def test_the_fixture_guide_is_what_the_generator_makes() -> None:
    compiled = build_from(FIXTURES, package_tarball())
    assert orjson.loads(orjson.dumps(compiled.table)) == orjson.loads(COMPILED.read_bytes())
