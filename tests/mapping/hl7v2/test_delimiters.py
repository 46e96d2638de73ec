"""MSH-1 and MSH-2 as the sender declares them: other separators, a truncation character,
MSH's own field numbering, and Z-segments read like any other."""

from __future__ import annotations

from painfhir.mapping.hl7v2 import Delimiters, Terser, parse_message, unparse, walk


def test_non_default_separators() -> None:
    data = (
        b"MSH*^~\\&*LAB*FAC***20240101**REF^I12^REF_I12*7*P*2.5.1\r"
        b"PID*1**A1^^^H&1.2&ISO~B2**DOE^JANE*\r"
        b"PRD*RP*SMITH^ANN\r"
    )
    parsed = parse_message(data)
    assert parsed.delimiters == Delimiters(field="*")
    read = Terser(parsed)
    assert read.value("MSH-1") == "*"
    assert read.value("MSH-3") == "LAB"
    assert read.value("MSH-9.2") == "I12"
    assert read.values("PID-3.1") == ["A1", "B2"]
    assert read.value("PID-3.4.2") == "1.2"
    assert read.value("PID-5.2") == "JANE"
    assert parsed.segments[1].field_count == 6  # the empty trailing field counts
    assert unparse(parsed) == data


def test_every_delimiter_changed() -> None:
    data = b"MSH#:+?!#A#B###1##REF:I12#1#P#2.5.1\rPID#1##X:Y!Z+W?T?V\r"
    parsed = parse_message(data)
    assert parsed.delimiters == Delimiters("#", ":", "+", "?", "!")
    read = Terser(parsed)
    assert read.value("PID-3.2.2") == "Z"
    assert read.value("PID-3[2]") == "W!V"  # ?T? is the escaped subcomponent separator
    assert read.value("MSH-9.2") == "I12"
    assert unparse(parsed) == data


def test_a_truncation_character() -> None:
    data = b"MSH|^~\\&#|A|B|||1||REF^I12|1|P|2.7\rNTE|1||Pain 7/10 since Ja#|50\\P\\ off\r"
    parsed = parse_message(data)
    assert parsed.delimiters.truncation == "#"
    assert parsed.delimiters.encoding_characters == "^~\\&#"
    read = Terser(parsed)
    assert read.value("MSH-2") == "^~\\&#"
    assert read.value("NTE-3") == "Pain 7/10 since Ja#"  # truncated by the sender: kept
    assert read.value("NTE-4") == "50# off"
    assert unparse(parsed) == data


def test_msh_fields_are_numbered_from_the_separator() -> None:
    parsed = parse_message(b"MSH|^~\\&|SENDER|FAC\r")
    read = Terser(parsed)
    assert [read.value(f"MSH-{n}") for n in (1, 2, 3, 4, 5)] == ["|", "^~\\&", "SENDER", "FAC", ""]
    assert read.value("MSH-2.2") == ""  # MSH-2 is not split into components
    assert read.raw("MSH-2") == "^~\\&"
    assert parsed.header.field_count == 4


def test_z_segments_parse_and_read_like_any_other() -> None:
    data = b"MSH|^~\\&|A|B|||1||REF^I12^REF_I12|1|P|2.5.1\rZPN|1|7^Severe|\\T\\ok\rZ01|x\r"
    parsed = parse_message(data)
    read = Terser(parsed)
    assert read.value("ZPN-2.2") == "Severe"
    assert read.value("ZPN-3") == "&ok"
    assert read.value("Z01-1") == "x"
    assert [u.segment.id for u in walk(parsed).unexpected] == ["ZPN", "Z01"]
    assert unparse(parsed) == data


def test_empty_trailing_fields_and_components_are_kept() -> None:
    data = b"MSH|^~\\&|A|||||||||||\rPID|1||^^^||~|\r"
    parsed = parse_message(data)
    pid = parsed.segments[1]
    assert pid.field_count == 6
    assert [list(rep) for rep in pid.tree(3)] == [["", "", "", ""]]
    assert Terser(parsed).count("PID-5") == 2
    assert unparse(parsed) == data
