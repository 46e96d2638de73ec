"""Segment-group walkers: the structure found in each corpus message, and segments that do not
fit it (kept where they occurred and reported)."""

from __future__ import annotations

import pytest

from painfhir.mapping.hl7v2 import (
    Group,
    Segment,
    UnsupportedStructureError,
    parse_message,
    structure_of,
    walk,
)
from tests.mapping.hl7v2.conftest import CORPUS_IDS, corpus, message


def outline(group: Group) -> str:
    """The tree as text: segment ids, and groups as NAME{...}."""
    parts = []
    for child in group.children:
        if isinstance(child, Segment):
            parts.append(child.id)
        else:
            parts.append(f"{child.name}{{{outline(child)}}}")
    return " ".join(parts)


EXPECTED = {
    "REF-I12-01": (
        "MSH SFT RF1 AUTHORIZATION_CONTACT{AUT} PROVIDER_CONTACT{PRD} PROVIDER_CONTACT{PRD} "
        "PID NK1 GT1 INSURANCE{IN1 IN2} ACC DG1 AL1 PROCEDURE{PR1 AUTHORIZATION_CONTACT{AUT}} "
        "OBSERVATION{OBR NTE RESULTS_NOTES{OBX PRT NTE}} PATIENT_VISIT{PV1 PV2} NTE"
    ),
    "REF-I14-01": (
        "MSH SFT RF1 AUTHORIZATION_CONTACT{AUT} PROVIDER_CONTACT{PRD} PROVIDER_CONTACT{PRD} "
        "PID NK1 GT1 INSURANCE{IN1 IN2} ACC DG1 AL1 PROCEDURE{PR1 AUTHORIZATION_CONTACT{AUT}} "
        "OBSERVATION{OBR NTE RESULTS_NOTES{OBX PRT}} PATIENT_VISIT{PV1 PV2} NTE"
    ),
    "ORM-O01-01": (
        "MSH PATIENT{PID PATIENT_VISIT{PV1} AL1} "
        "ORDER{ORC ORDER_DETAIL{OBR CTD DG1 OBSERVATION{OBX}} FT1 CTI BLG}"
    ),
    "ORM-O01-02": (
        "MSH PATIENT{PID PATIENT_VISIT{PV1} INSURANCE{IN1 IN2} GT1 AL1} "
        "ORDER{ORC ORDER_DETAIL{OBR NTE CTD DG1 OBSERVATION{OBX} OBSERVATION{OBX NTE}}}"
    ),
    "ORM-O01-03": (
        "MSH PATIENT{PID PATIENT_VISIT{PV1}} ORDER{ORC ORDER_DETAIL{OBR DG1} FT1 CTI BLG} "
        "ORDER{ORC ORDER_DETAIL{OBR} FT1 CTI BLG}"
    ),
    "OML-O21-01": (
        "MSH PATIENT{PID PATIENT_VISIT{PV1} INSURANCE{IN1 IN2} GT1 AL1} "
        "ORDER{ORC TIMING{TQ1} OBSERVATION_REQUEST{OBR NTE CTD DG1 OBSERVATION{OBX} "
        "OBSERVATION{OBX NTE} SPECIMEN{SPM SPECIMEN_OBSERVATION{OBX} "
        "CONTAINER{SAC CONTAINER_OBSERVATION{OBX}}}} FT1 FT1 BLG}"
    ),
    "OMG-O19-01": (
        "MSH SFT PATIENT{PID PD1 PRT NK1 ARV PATIENT_VISIT{PV1 PV2 PRT} INSURANCE{IN1 IN2} "
        "GT1 AL1} ORDER{ORC PRT TIMING{TQ1} OBR NTE PRT DG1 OBSERVATION{OBX} "
        "OBSERVATION{OBX NTE PRT} SPECIMEN{SPM SPECIMEN_OBSERVATION{OBX} "
        "SPECIMEN_OBSERVATION{OBX} SPECIMEN_OBSERVATION{OBX PRT} CONTAINER{SAC "
        "CONTAINER_OBSERVATION{OBX} CONTAINER_OBSERVATION{OBX} CONTAINER_OBSERVATION{OBX PRT}}} "
        "PRIOR_RESULT{PATIENT_VISIT_PRIOR{PV1 PRT} AL1 ORDER_PRIOR{ORC PRT OBR "
        "TIMING_PRIOR{TQ1} NTE PRT OBSERVATION_PRIOR{OBX} OBSERVATION_PRIOR{OBX PRT NTE}}} "
        "FT1 BLG}"
    ),
    "RDE-O11-01": (
        "MSH SFT PATIENT{PID PD1 PRT PATIENT_VISIT{PV1 PV2 PRT} INSURANCE{IN1 IN2} GT1} "
        "ORDER{ORC PRT TIMING{TQ1} ORDER_DETAIL{RXO PRT RXR COMPONENT{RXC}} RXE PRT "
        "TIMING_ENCODED{TQ1} RXR RXC CDO OBSERVATION{OBX PRT} FT1 BLG CTI}"
    ),
}


def test_every_corpus_message_but_the_adt_has_a_walker() -> None:
    assert sorted([*EXPECTED, "ADT-A01-01"]) == CORPUS_IDS


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_structure_of_each_corpus_message(name: str) -> None:
    parsed = parse_message(corpus(name))
    tree = walk(parsed)
    assert outline(tree) == EXPECTED[name]
    assert tree.segments() == list(parsed.segments)


def test_the_one_misplaced_corpus_segment_is_reported() -> None:
    [misplaced] = walk(parse_message(corpus("OMG-O19-01"))).unexpected
    assert (misplaced.number, misplaced.segment.id) == (25, "PRT")
    assert misplaced.group == "OMG_O19/ORDER[1]/OBSERVATION[2]"
    assert misplaced.reason == "PRT is out of order: OMG_O19 has no place for it after NTE"
    assert all(not walk(parse_message(corpus(n))).unexpected for n in EXPECTED if n[:3] != "OMG")


def test_groups_give_a_mapper_its_segments() -> None:
    tree = walk(parse_message(corpus("REF-I12-01")))
    assert tree.name == "REF_I12"
    providers = tree.groups("PROVIDER_CONTACT")
    assert [p.path for p in providers] == [
        "REF_I12/PROVIDER_CONTACT[1]",
        "REF_I12/PROVIDER_CONTACT[2]",
    ]
    assert [p.repetition for p in providers] == [1, 2]
    observation = tree.group("OBSERVATION")
    assert observation is not None
    assert [s.id for s in observation.segments()] == ["OBR", "NTE", "OBX", "PRT", "NTE"]
    assert [s.id for s in observation.segments("NTE")] == ["NTE", "NTE"]
    assert observation.segment("OBX") is None  # it is in RESULTS_NOTES
    assert tree.segment("PID") is not None
    assert tree.group("PRIOR_RESULT") is None


@pytest.mark.parametrize(
    ("msh_9", "structure"),
    [
        pytest.param("REF^I12^REF_I12", "REF_I12", id="structure id"),
        pytest.param("REF^I14^REF_I14", "REF_I12", id="unknown structure id: table 0354"),
        pytest.param("REF^I13", "REF_I12", id="no structure id"),
        pytest.param("RDE^O25", "RDE_O11", id="a refill uses RDE_O11"),
        pytest.param("ORM^O01^ORM_O01", "ORM_O01", id="ORM"),
        pytest.param("OML^O21", "OML_O21", id="OML"),
        pytest.param("OMG^O19", "OMG_O19", id="OMG"),
        pytest.param("ADT^A01^REF_I12", "REF_I12", id="MSH-9.3 is what decides"),
    ],
)
def test_the_structure_comes_from_msh_9(msh_9: str, structure: str) -> None:
    header = f"MSH|^~\\&|A|B|||1||{msh_9}|1|P|2.5.1"
    assert structure_of(parse_message(message(header=header))).name == structure


def test_an_unknown_message_type_is_refused() -> None:
    with pytest.raises(UnsupportedStructureError, match="ADT\\^A01\\^ADT_A01"):
        walk(parse_message(corpus("ADT-A01-01")))


def test_unknown_segments_are_kept_where_they_occur_and_reported() -> None:
    parsed = parse_message(
        message(
            "ZIF|1|interface",
            "RF1|P",
            "PRD|RP",
            "ZPR|mine",
            "PID|1",
            "OBR|1",
            "OBX|1|NM|PAIN^Pain score||7",
            "ZSC|7",
            "NTE|1||after the Z",
            "EVN|A01",
            "PV1|1",
        )
    )
    tree = walk(parsed)
    assert outline(tree) == (
        "MSH ZIF RF1 PROVIDER_CONTACT{PRD ZPR} PID "
        "OBSERVATION{OBR RESULTS_NOTES{OBX ZSC NTE EVN}} PATIENT_VISIT{PV1}"
    )
    assert [(u.number, u.segment.id, u.group) for u in tree.unexpected] == [
        (2, "ZIF", "REF_I12"),
        (5, "ZPR", "REF_I12/PROVIDER_CONTACT[1]"),
        (9, "ZSC", "REF_I12/OBSERVATION[1]/RESULTS_NOTES[1]"),
        (11, "EVN", "REF_I12/OBSERVATION[1]/RESULTS_NOTES[1]"),
    ]
    assert tree.unexpected[0].reason == "ZIF is a Z-segment (locally defined), not part of REF_I12"
    assert tree.unexpected[3].reason == "EVN is not part of REF_I12"
    observation = tree.group("OBSERVATION")
    assert observation is not None
    assert [u.number for u in observation.unexpected] == [9, 11]
    assert tree.segments() == list(parsed.segments)


def test_a_segment_out_of_order_is_reported_with_what_it_followed() -> None:
    tree = walk(parse_message(message("PID|1", "RF1|P", "PRD|RP")))
    assert outline(tree) == "MSH PID RF1 PRD"
    assert [(u.segment.id, u.reason) for u in tree.unexpected] == [
        ("RF1", "RF1 is out of order: REF_I12 has no place for it after PID"),
        ("PRD", "PRD is out of order: REF_I12 has no place for it after RF1"),
    ]


def test_segments_later_versions_added_count_only_for_those_versions() -> None:
    segments = ("PID|1", "ORC|NW", "PRT|1", "OBR|1")
    newer = walk(parse_message(message(*segments, header=_header("OMG^O19", "2.7"))))
    assert outline(newer) == "MSH PATIENT{PID} ORDER{ORC PRT OBR}"
    assert not newer.unexpected
    older = walk(parse_message(message(*segments, header=_header("OMG^O19", "2.5.1"))))
    assert outline(older) == "MSH PATIENT{PID} ORDER{ORC PRT OBR}"
    [prt] = older.unexpected
    assert prt.reason == "PRT is part of OMG_O19 from v2.7 on; this message is v2.5.1"
    unknown = walk(parse_message(message(*segments, header=_header("OMG^O19", "x"))))
    assert not unknown.unexpected  # no usable version: every version's additions count


def test_a_prior_order_needs_its_orc_from_v2_7() -> None:
    segments = ("ORC|NW", "OBR|1", "PV1|1", "OBR|2", "OBX|1")
    older = walk(parse_message(message(*segments, header=_header("OMG^O19", "2.5.1"))))
    assert outline(older) == (
        "MSH ORDER{ORC OBR PRIOR_RESULT{PATIENT_VISIT_PRIOR{PV1} "
        "ORDER_PRIOR{OBR OBSERVATION_PRIOR{OBX}}}}"
    )
    newer = walk(parse_message(message(*segments, header=_header("OMG^O19", "2.8"))))
    assert [u.segment.id for u in newer.unexpected] == ["OBR", "OBX"]


def test_a_choice_takes_one_of_its_segments() -> None:
    tree = walk(parse_message(message("ORC|NW", "RXO|1", "NTE|1", header=_header("ORM^O01"))))
    assert outline(tree) == "MSH ORDER{ORC ORDER_DETAIL{RXO NTE}}"


def _header(msh_9: str, version: str = "2.6") -> str:
    return f"MSH|^~\\&|A|B|||1||{msh_9}|1|P|{version}"
