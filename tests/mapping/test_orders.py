"""Orders (ORM^O01, OML^O21, OMG^O19) and medication orders (RDE^O11) of the built-in hl7v2
module: what ORC says of the status, what RXE, its RXR and its TQ1 say of the dosage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from painfhir.mapping import InvalidValueError, Mappings, MissingSourceError

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "hl7v2"
RDE = (CORPUS / "RDE-O11-01.hl7").read_bytes()
# the RXE of RDE-O11-01 up to its give units (RXE-5) and after them
RXE_GIVE = b"|5||43^mg/hr|"
RXE_INSTRUCTIONS = b"|Titrate to BP less than 180~"
# the TQ1 that follows the RXE (its TIMING_ENCODED group)
RXE_TQ1 = b"TQ1|1|2^&cp|P&Post (after)&HL70335^"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover()


def resources(mappings: Mappings, raw: bytes, kind: str) -> list[dict[str, Any]]:
    bundle = mappings.map(raw).bundle
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def medication_request(mappings: Mappings, raw: bytes = RDE) -> dict[str, Any]:
    (request,) = resources(mappings, raw, "MedicationRequest")
    return request


def rde_with(old: bytes, new: bytes) -> bytes:
    changed = RDE.replace(old, new, 1)
    assert changed != RDE
    return changed


def rde_with_segment(start: bytes, segment: bytes) -> bytes:
    """RDE-O11-01 with the segment that begins with `start` replaced by `segment`."""
    lines = RDE.splitlines()
    (index,) = [n for n, line in enumerate(lines) if line.startswith(start)]
    return b"\r".join([*lines[:index], segment, *lines[index + 1 :]])


def without_orc(name: str) -> bytes:
    segments = (CORPUS / f"{name}.hl7").read_bytes().splitlines()
    return b"\r".join(s for s in segments if not s.startswith(b"ORC"))


# --- 8: an order message without its ORC --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ORM-O01-01",
        "OML-O21-01",
        "RDE-O11-01",
        "OMG-O19-01",
    ],
)
def test_an_order_message_without_orc_names_the_missing_segment(
    mappings: Mappings, name: str
) -> None:
    with pytest.raises(MissingSourceError) as caught:
        mappings.map(without_orc(name))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == (
        "ORC",
        None,
        None,
    )


# --- 9: RDE^O11 dosage ----------------------------------------------------------------------


def test_the_route_is_the_rxe_s_own_rxr_not_the_rxo_s(mappings: Mappings) -> None:
    (dosage,) = medication_request(mappings)["dosageInstruction"]
    # RXR|IV^IV Infusion belongs to the RXO (ORDER_DETAIL); RXR|IV^Intravenous to the RXE
    assert dosage["route"] == {"coding": [{"code": "IV", "display": "Intravenous"}]}


def test_without_the_rxe_s_rxr_there_is_no_route(mappings: Mappings) -> None:
    raw = b"\r".join(s for s in RDE.splitlines() if not s.startswith(b"RXR|IV^Intravenous"))
    (dosage,) = medication_request(mappings, raw)["dosageInstruction"]
    assert "route" not in dosage


def test_units_are_the_text_of_the_cwe(mappings: Mappings) -> None:
    request = medication_request(mappings)
    (dosage,) = request["dosageInstruction"]
    assert dosage["doseAndRate"] == [{"doseQuantity": {"value": 5, "unit": "mg/hr"}}]
    assert request["dispenseRequest"]["quantity"] == {"value": 3, "unit": "Bag"}


@pytest.mark.parametrize("system", [b"UCUM", b"ucum"])
def test_a_ucum_unit_gives_system_and_code(mappings: Mappings, system: bytes) -> None:
    raw = rde_with(RXE_GIVE, b"|5||mg^milligram^" + system + b"|")
    (dosage,) = medication_request(mappings, raw)["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 5,
        "unit": "milligram",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }


def test_a_ucum_dispense_unit_without_text_keeps_the_code_as_unit(mappings: Mappings) -> None:
    raw = rde_with(b"|3|BG^Bag|", b"|3|mL^^UCUM|")
    quantity = medication_request(mappings, raw)["dispenseRequest"]["quantity"]
    assert quantity == {
        "value": 3,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    }


def test_minimum_and_maximum_give_a_dose_range(mappings: Mappings) -> None:
    raw = rde_with(RXE_GIVE, b"|5|10|43^mg/hr|")
    (dosage,) = medication_request(mappings, raw)["dosageInstruction"]
    assert dosage["doseAndRate"] == [
        {
            "doseRange": {
                "low": {"value": 5, "unit": "mg/hr"},
                "high": {"value": 10, "unit": "mg/hr"},
            }
        }
    ]


def test_a_maximum_below_the_minimum_fails_naming_rxe_4(mappings: Mappings) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mappings.map(rde_with(RXE_GIVE, b"|10|5|43^mg/hr|"))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == ("RXE", 19, 4)


@pytest.mark.parametrize(
    ("amount", "value"),
    [(b"+2", 2), (b"-0.5", -0.5), (b"02.50", 2.5), (b".5", 0.5), (b"7.", 7.0)],
)
def test_a_give_amount_is_read_as_hl7_nm(mappings: Mappings, amount: bytes, value: float) -> None:
    raw = rde_with(RXE_GIVE, b"|" + amount + b"||43^mg/hr|")
    (dosage,) = medication_request(mappings, raw)["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == value


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        pytest.param(RXE_GIVE, b"|2,5||43^mg/hr|", 3, id="comma"),
        pytest.param(RXE_GIVE, b"|1e3||43^mg/hr|", 3, id="exponent"),
        pytest.param(RXE_GIVE, b"|++2||43^mg/hr|", 3, id="two-signs"),
        pytest.param(b"|3|BG^Bag|", b"|2.5.1|BG^Bag|", 10, id="dispense-amount"),
        pytest.param(b"|BG^Bag|12|", b"|BG^Bag|1.5|", 12, id="refills-not-whole"),
    ],
)
def test_a_malformed_number_fails_the_message_naming_the_field(
    mappings: Mappings, old: bytes, new: bytes, field: int
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mappings.map(rde_with(old, new))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == (
        "RXE",
        19,
        field,
    )


def test_an_empty_give_amount_gives_no_dose(mappings: Mappings) -> None:
    raw = rde_with(RXE_GIVE, b'|""||43^mg/hr|')
    (dosage,) = medication_request(mappings, raw)["dosageInstruction"]
    assert "doseAndRate" not in dosage


def test_the_administration_instructions_are_the_dosage_text(mappings: Mappings) -> None:
    (dosage,) = medication_request(mappings)["dosageInstruction"]
    # RXE-7 repeats, each a CWE with its text in the first component
    assert dosage["text"].split("\n") == [
        "Titrate to BP less than 180",
        "Starting dose is 5 mg/hr. Titrate by 2.5 mg/hr increments every 5 minutes as needed"
        " to a maximum dose of 15 mg/hr. Call Physician if ineffective.",
        "Nicardipine is light sensitivie. Store in carton/overwrap until ready to use.",
    ]


def test_special_dispensing_instructions_are_a_note_not_the_dosage_text(
    mappings: Mappings,
) -> None:
    raw = rde_with(b"|PN15||||||", b"|PN15||||||^Keep refrigerated~^Original container")
    raw = raw.replace(RXE_INSTRUCTIONS, b"|^Take with food~", 1)
    request = medication_request(mappings, raw)
    (dosage,) = request["dosageInstruction"]
    assert dosage["text"].startswith("Take with food\n")
    assert request["note"] == [{"text": "Keep refrigerated"}, {"text": "Original container"}]


def test_the_rxe_s_tq1_is_the_dosage_timing(mappings: Mappings) -> None:
    request = medication_request(mappings)
    (dosage,) = request["dosageInstruction"]
    assert dosage["timing"] == {
        "repeat": {
            "boundsPeriod": {
                "start": "2019-11-04T10:30:00+02:15",
                "end": "2019-11-04T11:30:00+02:15",
            },
            "count": 2,  # TQ1-14, the total occurrences
        },
        "code": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0335",
                    "code": "P",
                    "display": "Post (after)",
                }
            ]
        },
    }
    assert request["priority"] == "stat"  # the RXE's TQ1-9, not the order's R


@pytest.mark.parametrize(
    ("pattern", "repeat"),
    [
        (b"Q6H", {"frequency": 1, "period": 6, "periodUnit": "h"}),
        (b"Q2D", {"frequency": 1, "period": 2, "periodUnit": "d"}),
        (b"Q30M", {"frequency": 1, "period": 30, "periodUnit": "min"}),
        (b"Q1W", {"frequency": 1, "period": 1, "periodUnit": "wk"}),
        (b"BID", {"frequency": 2, "period": 1, "periodUnit": "d"}),
        (b"TID", {"frequency": 3, "period": 1, "periodUnit": "d"}),
        (b"QID", {"frequency": 4, "period": 1, "periodUnit": "d"}),
        (b"5ID", {"frequency": 5, "period": 1, "periodUnit": "d"}),
        (b"QOD", {"frequency": 1, "period": 2, "periodUnit": "d"}),
        (b"PRN", {}),
        (b"Q1J2", {}),
    ],
)
def test_a_repeat_pattern_of_table_0335_gives_frequency_and_period(
    mappings: Mappings, pattern: bytes, repeat: dict[str, Any]
) -> None:
    raw = rde_with_segment(RXE_TQ1, b"TQ1|1||" + pattern + b"|" * 11 + b"4")
    timing = medication_request(mappings, raw)["dosageInstruction"][0]["timing"]
    assert timing["code"] == {"coding": [{"code": pattern.decode()}]}
    assert timing["repeat"] == {**repeat, "count": 4}


def test_several_repeat_patterns_are_left_to_the_trace(mappings: Mappings) -> None:
    raw = rde_with_segment(RXE_TQ1, b"TQ1|1||Q1J2~Q1J4")
    result = mappings.map(raw, trace=True)
    (request,) = [
        e["resource"]
        for e in result.bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    assert "timing" not in request["dosageInstruction"][0]
    assert result.trace is not None
    unused = {field.source: field.value for field in result.trace.unused}
    assert unused["TQ1[2]-3[1].1.1"] == "Q1J2"
    assert unused["TQ1[2]-3[2].1.1"] == "Q1J4"


def test_an_impossible_timing_start_fails_naming_tq1_7(mappings: Mappings) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mappings.map(rde_with(b"|20191104103000+0215|", b"|20191304103000+0215|"))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == ("TQ1", 21, 7)


def test_without_any_tq1_there_is_no_timing(mappings: Mappings) -> None:
    raw = b"\r".join(s for s in RDE.splitlines() if not s.startswith(b"TQ1"))
    request = medication_request(mappings, raw)
    assert "timing" not in request["dosageInstruction"][0]
    assert "priority" not in request


# --- 10: the order status is ORC-5's before ORC-1's -----------------------------------------


def test_an_order_on_hold_is_on_hold_whatever_orc_1_says(mappings: Mappings) -> None:
    # OMG-O19-01: ORC|SC||| ... |HD (ORC-5, table 0038)
    raw = (CORPUS / "OMG-O19-01.hl7").read_bytes()
    requests = resources(mappings, raw, "ServiceRequest")
    assert requests
    assert {r["status"] for r in requests} == {"on-hold"}


@pytest.mark.parametrize(
    ("order_status", "status"),
    [(b"CM", "completed"), (b"CA", "revoked"), (b"DC", "revoked"), (b"IP", "active")],
)
def test_the_order_status_gives_the_service_request_status(
    mappings: Mappings, order_status: bytes, status: str
) -> None:
    source = (CORPUS / "ORM-O01-01.hl7").read_bytes()
    raw = source.replace(b"|1201^GHHFiller||SC|", b"|1201^GHHFiller||" + order_status + b"|", 1)
    assert raw != source
    (request,) = resources(mappings, raw, "ServiceRequest")
    assert request["status"] == status


@pytest.mark.parametrize(
    ("order_status", "status"),
    [(b"HD", "on-hold"), (b"CA", "cancelled"), (b"DC", "stopped"), (b"CM", "completed")],
)
def test_the_order_status_gives_the_medication_request_status(
    mappings: Mappings, order_status: bytes, status: str
) -> None:
    # ORC-5, between the placer number (ORC-2) and the transaction time (ORC-9)
    raw = rde_with(b"|1163422591^EPC|||||||", b"|1163422591^EPC|||" + order_status + b"||||")
    assert medication_request(mappings, raw)["status"] == status


def test_without_an_order_status_the_order_control_decides(mappings: Mappings) -> None:
    assert medication_request(mappings)["status"] == "active"  # ORC-1 NW, no ORC-5


def test_without_a_priority_of_its_own_the_rxe_has_the_order_s(mappings: Mappings) -> None:
    raw = rde_with_segment(RXE_TQ1, b"TQ1|1||Q6H")
    assert medication_request(mappings, raw)["priority"] == "routine"  # ORDER/TIMING's TQ1-9


@pytest.mark.parametrize("occurrences", [b"0", b"2.5"])
def test_total_occurrences_that_are_no_count_fail_naming_tq1_14(
    mappings: Mappings, occurrences: bytes
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        mappings.map(rde_with_segment(RXE_TQ1, b"TQ1|1||Q6H" + b"|" * 11 + occurrences))
    assert (caught.value.segment, caught.value.segment_index, caught.value.field) == ("TQ1", 21, 14)
