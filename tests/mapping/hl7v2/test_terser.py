"""Terse paths and the Terser: what each path reads, in which scope, and the trace of reads."""

from __future__ import annotations

import pytest

from painfhir.mapping.hl7v2 import (
    Location,
    TersePath,
    TersePathError,
    Terser,
    parse_message,
    parse_terse_path,
    walk,
)
from tests.mapping.hl7v2.conftest import corpus, message


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        pytest.param("PID", TersePath("PID", None, None, None, None, None), id="segment"),
        pytest.param("PID-3", TersePath("PID", None, 3, None, None, None), id="field"),
        pytest.param("PID-3[2].1", TersePath("PID", None, 3, 2, 1, None), id="repetition"),
        pytest.param("PRD-7.1.2", TersePath("PRD", None, 7, None, 1, 2), id="subcomponent"),
        pytest.param("OBX[3]-5", TersePath("OBX", 3, 5, None, None, None), id="occurrence"),
        pytest.param("ZP1[12]-10[3].4.5", TersePath("ZP1", 12, 10, 3, 4, 5), id="everything"),
    ],
)
def test_terse_paths(path: str, parsed: TersePath) -> None:
    assert parse_terse_path(path) == parsed


@pytest.mark.parametrize(
    ("path", "position"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("pid-3", 0, id="lower case"),
        pytest.param("PID-0", 3, id="field 0"),
        pytest.param("PID-3.0", 5, id="component 0"),
        pytest.param("PID.3", 3, id="dot for the field"),
        pytest.param("PID-3[x]", 5, id="not a number"),
        pytest.param("PID-3.1.2.3", 9, id="too deep"),
        pytest.param("PID-3 ", 5, id="trailing space"),
    ],
)
def test_bad_terse_paths(path: str, position: int) -> None:
    with pytest.raises(TersePathError) as raised:
        parse_terse_path(path)
    assert raised.value.position == position


def test_what_is_not_there_reads_empty() -> None:
    read = Terser(parse_message(corpus("REF-I12-01")))
    assert read.value("PID-99") == ""
    assert read.value("PID-5.99") == ""
    assert read.value("PID-5[9]") == ""
    assert read.value("PID-5.1.2") == ""
    assert read.value("PRD[3]-1") == ""
    assert read.value("ZZZ-1") == ""
    assert read.values("ZZZ-1") == []
    assert read.count("ZZZ") == 0
    assert read.raw("ZZZ") == ""


def test_raw_reads_as_far_as_the_path_goes() -> None:
    read = Terser(parse_message(message("PID|1||A^B&C~D^E")))
    assert read.raw("PID") == "PID|1||A^B&C~D^E"
    assert read.raw("PID-3") == "A^B&C~D^E"
    assert read.raw("PID-3[2]") == "D^E"
    assert read.raw("PID-3.2") == "B&C"
    assert read.raw("PID-3.2.2") == "C"


def test_reading_needs_a_field() -> None:
    read = Terser(parse_message(message("PID|1")))
    with pytest.raises(TersePathError, match="needs a field"):
        read.value("PID")
    with pytest.raises(TersePathError, match="every repetition"):
        read.values("PID-3[2]")


def test_the_explicit_null_is_returned_as_sent() -> None:
    assert Terser(parse_message(message('PID|1||""'))).value("PID-3") == '""'


def test_every_read_is_traced_with_its_location() -> None:
    reads: list[tuple[Location, str]] = []
    read = Terser(parse_message(corpus("REF-I12-01")), on_read=lambda at, v: reads.append((at, v)))
    read.value("PID-5")
    read.values("PID-3.1")
    read.count("PID-3")
    read.raw("PRD[2]-2")
    read.raw("ACC")
    read.value("ZZZ-1")
    assert [(str(at), value) for at, value in reads] == [
        ("PID[1]-5[1].1.1", "EVERYMAN"),
        ("PID[1]-3[1].1.1", "PATID1234"),
        ("PID[1]-3[2].1.1", "123456789"),
        ("PID[1]-3", "PATID1234^5^M11^ADT1^GOOD HEALTH HOSPITAL~123456789^^^^^USSSA^"),
        ("PRD[2]-2", "McWILLIAMS^PAUL^^^DR^MD"),
        ("ACC[1]", corpus("REF-I12-01").decode().split("\n")[11]),
        ("ZZZ-1[1].1.1", ""),
    ]
    pid, absent = reads[0][0], reads[-1][0]
    assert (pid.segment, pid.segment_number, pid.occurrence, pid.field) == ("PID", 7, 1, 5)
    assert (absent.segment_number, absent.occurrence) == (None, None)


def test_a_group_scope_counts_occurrences_within_the_group() -> None:
    parsed = parse_message(corpus("OMG-O19-01"))
    reads: list[Location] = []
    read = Terser(parsed, on_read=lambda at, _: reads.append(at))
    order = walk(parsed).groups("ORDER")[0]
    specimen = order.groups("SPECIMEN")[0]
    in_specimen = read.within(specimen)
    assert in_specimen.count("OBX") == 6
    assert in_specimen.value("OBX[2]-3.1") == "3DHISTECH_LABELAREA"
    assert in_specimen.value("OBX[2]-5") == "120"
    assert in_specimen.value("PID-3") == ""  # not in the group
    # the trace still names the segment by its place in the whole message
    assert (reads[0].segment_number, reads[0].occurrence) == (28, 4)


def test_a_segment_scope() -> None:
    parsed = parse_message(corpus("REF-I12-01"))
    read = Terser(parsed)
    [referring, referred_to] = read.segments("PRD")
    assert read.within(referred_to).value("PRD-1.2") == "Referred to Provider"
    assert read.within(referring).value("PRD[2]-1") == ""
