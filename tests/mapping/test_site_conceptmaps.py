"""A site adds its own ConceptMaps to a built-in module without copying it: a folder named
like the module, holding `conceptmaps/` and no `module.py`, on PAINFHIR_MAPPINGS_PATH."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from painfhir.mapping import Mappings

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "hl7v2"
HL7 = "x-application/hl7-v2+er7"
SITE_MRN = "https://goodhealth.example/fhir/mrn"


def _namespaces(target_code: str = SITE_MRN) -> dict[str, Any]:
    """The site's assigning authorities (HL7 table 0363) as identifier system URIs."""
    return {
        "resourceType": "ConceptMap",
        "url": "https://goodhealth.example/fhir/ConceptMap/namespaces",
        "status": "active",
        "group": [
            {
                "source": "http://terminology.hl7.org/CodeSystem/v2-0363",
                "target": "urn:ietf:rfc:3986",
                "element": [
                    {"code": "ADT1", "target": [{"code": target_code, "equivalence": "equal"}]}
                ],
            }
        ],
    }


def _site(tmp_path: Path, *maps: dict[str, Any] | str, name: str = "hl7v2") -> Path:
    folder = tmp_path / "site" / name / "conceptmaps"
    folder.mkdir(parents=True)
    for n, concept_map in enumerate(maps):
        text = concept_map if isinstance(concept_map, str) else json.dumps(concept_map)
        (folder / f"{n}.json").write_text(text)
    return tmp_path / "site"


def _patient(mappings: Mappings) -> dict[str, Any]:
    raw = (CORPUS / "REF-I12-01.hl7").read_bytes()
    bundle = mappings.map(raw, content_type=HL7).bundle
    resources: list[dict[str, Any]] = [entry["resource"] for entry in bundle["entry"]]
    (patient,) = [r for r in resources if r["resourceType"] == "Patient"]
    return patient


def test_the_sites_codes_are_used_and_the_modules_own_still_are(tmp_path: Path) -> None:
    plain = _patient(Mappings.discover())
    assert "system" not in plain["identifier"][0]  # ADT1 is nobody's namespace by default
    patient = _patient(Mappings.discover([_site(tmp_path, _namespaces())]))
    assert patient["identifier"][0]["value"] == plain["identifier"][0]["value"] == "PATID1234"
    assert patient["identifier"][0]["system"] == SITE_MRN
    assert patient["gender"] == plain["gender"] == "male"  # table 0001 from the module itself


def test_the_site_wins_where_both_map_a_code(tmp_path: Path) -> None:
    first = _site(tmp_path, _namespaces("https://first.example/mrn"))
    second = tmp_path / "second"
    (second / "hl7v2" / "conceptmaps").mkdir(parents=True)
    (second / "hl7v2" / "conceptmaps" / "ns.json").write_text(json.dumps(_namespaces()))
    # each site folder goes in front of what was there: the later one is consulted first
    patient = _patient(Mappings.discover([first, second]))
    assert patient["identifier"][0]["system"] == SITE_MRN


def test_conceptmaps_for_no_module_are_reported(tmp_path: Path) -> None:
    mappings = Mappings.discover([_site(tmp_path, _namespaces(), name="hl7v2x")])
    assert "no module 'hl7v2x'" in mappings.failures["hl7v2x"].reason
    assert "hl7v2" in mappings.modules


def test_a_broken_site_conceptmap_leaves_its_module_out(tmp_path: Path) -> None:
    mappings = Mappings.discover([_site(tmp_path, "{not json")])
    assert "hl7v2" not in mappings.modules
    assert "conceptmaps" in mappings.failures["hl7v2"].reason
    assert "epic_referral" in mappings.modules  # the other modules are not touched


def test_a_site_conceptmap_that_is_not_one_leaves_its_module_out(tmp_path: Path) -> None:
    malformed = _namespaces()
    del malformed["group"][0]["element"][0]["code"]  # an element must have a code
    mappings = Mappings.discover([_site(tmp_path, malformed)])
    assert "hl7v2" not in mappings.modules
    assert "conceptmaps" in mappings.failures["hl7v2"].reason


def _unmatched_sex() -> dict[str, Any]:
    """The site says its `M` has no administrative gender (FHIR `equivalence: unmatched`)."""
    return {
        "resourceType": "ConceptMap",
        "url": "https://goodhealth.example/fhir/ConceptMap/sex",
        "status": "active",
        "group": [
            {
                "source": "http://terminology.hl7.org/CodeSystem/v2-0001",
                "target": "http://hl7.org/fhir/administrative-gender",
                "element": [{"code": "M", "target": [{"equivalence": "unmatched"}]}],
                "unmapped": {"mode": "fixed", "code": "unknown"},  # not for a listed code
            }
        ],
    }


def test_the_site_can_un_map_a_code_the_module_maps(tmp_path: Path) -> None:
    patient = _patient(Mappings.discover([_site(tmp_path, _unmatched_sex())]))
    assert "gender" not in patient


def test_a_broken_overlay_keeps_its_error_before_a_later_overlay(tmp_path: Path) -> None:
    broken = _site(tmp_path, "{not json")
    valid = tmp_path / "valid"
    (valid / "hl7v2" / "conceptmaps").mkdir(parents=True)
    (valid / "hl7v2" / "conceptmaps" / "ns.json").write_text(json.dumps(_namespaces()))
    reason = Mappings.discover([broken, valid]).failures["hl7v2"].reason
    assert reason.startswith(f"{broken / 'hl7v2' / 'conceptmaps' / '0.json'}: not JSON (")
    assert reason.endswith(
        f"{valid / 'hl7v2' / 'conceptmaps'}: not applied, module 'hl7v2' already failed"
    )
    assert "no module" not in reason


def test_a_malformed_overlay_names_the_file_and_the_problem(tmp_path: Path) -> None:
    malformed = _namespaces()
    del malformed["group"][0]["element"][0]["code"]
    reason = Mappings.discover([_site(tmp_path, malformed)]).failures["hl7v2"].reason
    file = tmp_path / "site" / "hl7v2" / "conceptmaps" / "0.json"
    assert reason == f"{file}: group[0].element[0] has no code"


def test_a_malformed_map_of_a_module_names_the_file_and_the_problem(tmp_path: Path) -> None:
    module = tmp_path / "mymodule"
    (module / "conceptmaps").mkdir(parents=True)
    (module / "module.py").write_text(
        "from painfhir.mapping import Hl7v2Mapping\n"
        "MAPPING = Hl7v2Mapping(message_types=('ZZZ^Z01',), rules=lambda ctx: None)\n"
    )
    (module / "conceptmaps" / "sex.json").write_text(json.dumps(_unmatched_sex() | {"group": 1}))
    reason = Mappings.discover([tmp_path]).failures["mymodule"].reason
    assert reason == f"{module / 'conceptmaps' / 'sex.json'}: group is not a list"
