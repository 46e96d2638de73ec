"""Bytes and text: byte-order marks, segment terminators, MSH-18 and bytes the charset
cannot decode."""

from __future__ import annotations

import pytest

from painfhir.mapping.hl7v2 import Terser, parse_message, unparse, unparse_text
from tests.mapping.hl7v2.conftest import corpus, message

REFERRAL = corpus("REF-I12-01")


@pytest.mark.parametrize(
    "terminator",
    [pytest.param("\r", id="CR"), pytest.param("\n", id="LF"), pytest.param("\r\n", id="CRLF")],
)
@pytest.mark.parametrize("trailing", [True, False], ids=["terminated", "unterminated"])
@pytest.mark.parametrize("bom", [True, False], ids=["BOM", "no BOM"])
def test_line_ends_and_bom_round_trip(terminator: str, trailing: bool, bom: bool) -> None:
    lines = REFERRAL.decode("utf-8").split("\n")
    text = terminator.join(lines) + (terminator if trailing else "")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    parsed = parse_message(data)
    assert unparse(parsed) == data
    assert len(parsed.segments) == 24
    assert Terser(parsed).value("PID-5") == "EVERYMAN"
    assert parsed.bom is bom
    assert set(parsed.endings[:-1]) == {terminator}


def test_mixed_line_ends_are_kept_per_line() -> None:
    data = b"MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1\r\nPID|1\rPV1|1\nNTE|1\r\n"
    parsed = parse_message(data)
    assert parsed.endings == ("\r\n", "\r", "\n", "\r\n")
    assert unparse(parsed) == data


def test_blank_lines_are_kept_but_are_no_segments() -> None:
    data = b"\nMSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1\r\rPID|1\r  \r\n\n"
    parsed = parse_message(data)
    assert [segment.id for segment in parsed.segments] == ["MSH", "PID"]
    assert [segment.number for segment in parsed.segments] == [1, 2]
    assert unparse(parsed) == data


def test_text_input_round_trips_as_text() -> None:
    text = "\ufeff" + message("PID|1||X")
    parsed = parse_message(text)
    assert parsed.bom
    assert unparse_text(parsed) == text
    assert unparse(parsed) == text.encode("utf-8")


def test_utf16_with_a_bom() -> None:
    data = "\ufeff".encode("utf-16-le") + message("PID|1||Zoë").encode("utf-16-le")
    parsed = parse_message(data)
    assert parsed.charset == "utf-16-le"
    assert Terser(parsed).value("PID-3") == "Zoë"
    assert unparse(parsed) == data


def test_utf16_without_a_bom_is_recognised_by_its_nul_bytes() -> None:
    data = message("PID|1||Zoë").encode("utf-16-be")
    parsed = parse_message(data)
    assert parsed.charset == "utf-16-be"
    assert unparse(parsed) == data


def test_msh_18_names_the_charset() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|8859/1"
    data = message("PID|1||Müller", header=header).encode("latin-1")
    parsed = parse_message(data)
    assert (parsed.charset, parsed.declared_charset) == ("iso8859-1", "8859/1")
    assert Terser(parsed).value("PID-3") == "Müller"
    assert unparse(parsed) == data


def test_msh_18_first_repetition_and_python_names() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|windows-1252~ISO IR87"
    data = message("NTE|1||“quoted”", header=header).encode("cp1252")
    parsed = parse_message(data)
    assert parsed.charset == "cp1252"
    assert Terser(parsed).value("NTE-3") == "“quoted”"


def test_without_msh_18_utf8_first_then_windows_1252() -> None:
    assert parse_message(message("PID|1||Zoë").encode("utf-8")).charset == "utf-8"
    fallback = parse_message(message("PID|1||Zoë").encode("cp1252"))
    assert fallback.charset == "cp1252"
    assert Terser(fallback).value("PID-3") == "Zoë"
    assert not fallback.undecodable


def test_a_bom_outweighs_msh_18() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|ASCII"
    data = b"\xef\xbb\xbf" + message("PID|1||Zoë", header=header).encode("utf-8")
    parsed = parse_message(data)
    assert (parsed.charset, parsed.declared_charset) == ("utf-8", "ASCII")


def test_bytes_invalid_in_the_declared_charset_are_kept_and_reported() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|UNICODE UTF-8"
    data = message("PID|1||M\xfcller", header=header).encode("latin-1")
    parsed = parse_message(data)
    assert unparse(parsed) == data
    [bad] = parsed.undecodable
    assert (bad.value, bad.segment_number, bad.field) == (0xFC, 2, 3)
    assert data[bad.offset] == 0xFC
    assert Terser(parsed).value("PID-3") == "M\ufffdller"
    assert Terser(parsed).raw("PID-3") == "M\ufffdller"


def test_ascii_declared_but_8_bit_sent() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|ASCII"
    data = message("NTE|1||caf\xe9", header=header).encode("latin-1")
    parsed = parse_message(data)
    assert parsed.charset == "ascii"
    assert [(b.value, b.segment_number, b.field) for b in parsed.undecodable] == [(0xE9, 2, 3)]
    assert unparse(parsed) == data


def test_an_undecodable_byte_in_msh_counts_msh_fields() -> None:
    header = "MSH|^~\\&|\x81PP|B|||1||REF^I12|1|P|2.5.1"
    data = message(header=header).encode("latin-1")
    parsed = parse_message(data)
    assert parsed.charset == "cp1252"  # 0x81 is undefined even there
    assert [(b.value, b.segment_number, b.field, b.offset) for b in parsed.undecodable] == [
        (0x81, 1, 3, 9)
    ]
    assert unparse(parsed) == data


def test_undecodable_offsets_count_multibyte_characters_before_them() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|UNICODE UTF-8"
    data = (
        message(header=header).encode("utf-8")
        + "PID|1||Zoë".encode()
        + b"\xff|\xfe\r"
        + "NTE|1||日本".encode()
        + b"\x80\r"
    )
    parsed = parse_message(data)
    found = [(b.value, b.segment_number, b.field) for b in parsed.undecodable]
    assert found == [(0xFF, 2, 3), (0xFE, 2, 4), (0x80, 3, 3)]
    assert [data[b.offset] for b in parsed.undecodable] == [0xFF, 0xFE, 0x80]
    assert unparse(parsed) == data


def test_an_msh_18_that_names_no_charset_falls_back_to_what_decodes() -> None:
    for declared in ("base64", "no-such-charset", "CNS 11643-1992"):
        header = f"MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||USA|{declared}"
        parsed = parse_message(message("PID|1||Zoë", header=header).encode("utf-8"))
        assert (parsed.charset, parsed.declared_charset) == ("utf-8", declared)
        assert Terser(parsed).value("PID-3") == "Zoë"


def test_a_multibyte_legacy_charset() -> None:
    header = "MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1|||||CHN|GB 18030-2000"
    data = message("PID|1||||张^伟", header=header).encode("gb18030")
    parsed = parse_message(data)
    assert parsed.charset == "gb18030"
    assert Terser(parsed).values("PID-5.2") == ["伟"]
    assert unparse(parsed) == data
