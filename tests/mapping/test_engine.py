"""The mapping engine: discovery, detection, errors, tracing, golden cases."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from painfhir.mapping import (
    ConceptMaps,
    InvalidValueError,
    MappingError,
    Mappings,
    MissingSourceError,
    NoModuleError,
    UnreadableMessageError,
    run_case,
)
from painfhir.mapping._ids import PAINFHIR_NAMESPACE, resource_id

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "hl7v2"
REFERRAL = (CORPUS / "REF-I12-01.hl7").read_bytes()
SITE_MODULE = """
from painfhir.mapping import Hl7v2Mapping
from painfhir.mapping.v2fhir import map_hl7v2

MAPPING = Hl7v2Mapping(message_types=("REF^I12",), rules=map_hl7v2, senders=("GHH",))
"""


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover()


def test_the_built_in_module_is_found(mappings: Mappings) -> None:
    assert "hl7v2" in mappings.modules
    assert len(mappings.module("hl7v2").cases) >= 3


def test_a_site_module_for_its_sender_wins(tmp_path: Path) -> None:
    (tmp_path / "ghh").mkdir()
    (tmp_path / "ghh" / "module.py").write_text(SITE_MODULE)
    mappings = Mappings.discover([tmp_path])
    assert mappings.detect(REFERRAL).name == "ghh"
    assert mappings.detect((CORPUS / "OMG-O19-01.hl7").read_bytes()).name == "hl7v2"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        pytest.param(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\r", NoModuleError, id="adt"),
        pytest.param(b"not a message", UnreadableMessageError, id="garbage"),
        pytest.param(b'{"resourceType": "Patient"}', NoModuleError, id="fhir-no-module"),
    ],
)
def test_inputs_no_module_takes(mappings: Mappings, raw: bytes, error: type) -> None:
    with pytest.raises(error):
        mappings.map(raw)


def test_a_missing_placer_number_names_segment_and_field(mappings: Mappings) -> None:
    raw = REFERRAL.replace(b"|226839^EPIC|", b"||")
    with pytest.raises(MissingSourceError) as caught:
        mappings.map(raw)
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == ("RF1", 3, 6)
    assert isinstance(caught.value, MappingError)


def test_the_trace_names_fields_and_the_unused(mappings: Mappings) -> None:
    trace = mappings.map(REFERRAL, trace=True).trace
    assert trace is not None
    uses = {(use.source, use.target.split(".", 1)[1]) for use in trace.uses}
    assert ("PID[1]-5[1].1.1", "name[0].family") in uses
    unused = {field.source for field in trace.unused}
    assert "GT1[1]-3[1].1.1" in unused  # the guarantor is not mapped
    assert not unused & {use.source for use in trace.uses}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            "F",
            {"system": "http://hl7.org/fhir/administrative-gender", "code": "female"},
            id="mapped",
        ),
        pytest.param("Z", None, id="unmapped"),
    ],
)
def test_translation(code: str, expected: dict[str, str] | None) -> None:
    maps = ConceptMaps.load(Path(__file__).parents[2] / "mappings" / "hl7v2" / "conceptmaps")
    assert maps.translate("http://terminology.hl7.org/CodeSystem/v2-0001", code) == expected


def test_unmapped_provided_keeps_the_code() -> None:
    maps = ConceptMaps(
        [
            {
                "resourceType": "ConceptMap",
                "url": "u",
                "group": [
                    {"source": "s", "target": "t", "element": [], "unmapped": {"mode": "provided"}}
                ],
            }
        ]
    )
    assert maps.translate("s", "x") == {"system": "s", "code": "x"}


def test_golden_cases_pass(mappings: Mappings) -> None:
    failures = [
        o.report
        for o in map(lambda c: run_case(mappings, c), mappings.module("hl7v2").cases)
        if not o.passed
    ]
    assert failures == []


@pytest.mark.parametrize(
    ("old", "new", "location"),
    [
        pytest.param(
            b"|20220125|20220210|20220125|", b"|2022012|20220210||", ("RF1", 3, 7), id="RF1-7"
        ),
        pytest.param(b"|19610615|", b"|1961061|", ("PID", 7, 7), id="PID-7"),
        pytest.param(
            b"|20220125|20220210|20220125|", b"|20221341|20220210||", ("RF1", 3, 7), id="month 13"
        ),
    ],
)
def test_an_invalid_date_names_segment_and_field(
    mappings: Mappings, old: bytes, new: bytes, location: tuple[str, int, int]
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mappings.map(REFERRAL.replace(old, new))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == location


def test_a_missing_segment_is_named_without_a_field(mappings: Mappings) -> None:
    raw = b"\n".join(s for s in REFERRAL.splitlines() if not s.startswith(b"RF1"))
    with pytest.raises(MissingSourceError) as caught:
        mappings.map(raw)
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == (
        "RF1",
        None,
        None,
    )


@pytest.mark.parametrize(
    "key", [(), ("",), ("MR", "12345"), ("Müller", "\\F\\", "x" * 300), ("a\x1fb",)]
)
def test_resource_ids_are_rfc_4122_name_based_uuids(key: tuple[str, ...]) -> None:
    name = "\x1f".join(("EPIC^HOSP", "Patient", *key))
    expected = str(uuid.uuid5(PAINFHIR_NAMESPACE, name))
    assert resource_id("EPIC^HOSP", "Patient", *key) == expected
