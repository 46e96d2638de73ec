"""Input that is not an HL7 v2 message: each error names the segment, field and offset that an
acknowledgement's ERR segment reports."""

from __future__ import annotations

import pytest

from painfhir.mapping.hl7v2 import Hl7Error, Hl7ParseError, parse_message

HEADER = b"MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1"
SECOND = len(HEADER) + 1  # where the segment after the header starts


@pytest.mark.parametrize(
    ("data", "segment_number", "segment_id", "field", "offset", "reason"),
    [
        pytest.param(b"", None, None, None, 0, "no MSH segment", id="empty"),
        pytest.param(b"\r\n\r\n", None, None, None, 4, "no MSH segment", id="only blank lines"),
        pytest.param(b"PID|1\rMSH|^~\\&\r", 1, "PID", None, 0, "does not start", id="no MSH"),
        pytest.param(b"FHS|^~\\&\rMSH|^~\\&\r", 1, "FHS", None, 0, "a batch", id="a batch"),
        pytest.param(b"MSH", 1, "MSH", 1, 3, "no field separator", id="MSH alone"),
        pytest.param(b"MSH|^~\\|A\r", 1, "MSH", 2, 4, "4 or 5", id="three encoding characters"),
        pytest.param(b"MSH|^~\\&#!|A\r", 1, "MSH", 2, 4, "4 or 5", id="six encoding characters"),
        pytest.param(b"MSH|^~^&|A\r", 1, "MSH", 2, 4, "not all different", id="repeated"),
        pytest.param(b"MSH|^~|&|A\r", 1, "MSH", 2, 4, "4 or 5", id="field separator inside MSH-2"),
        pytest.param(b"MSHA^~\\&A\r", 1, "MSH", 1, 3, "field separator", id="a letter"),
        pytest.param(b"MSH ^~\\& \r", 1, "MSH", 1, 3, "field separator", id="a space"),
        pytest.param(b"MSH|^~\\1|A\r", 1, "MSH", 2, 4, "cannot be a delimiter", id="a digit"),
        pytest.param(
            HEADER + b"\rpid|1\r", 2, "pid", None, SECOND, "3 upper-case", id="lower case"
        ),
        pytest.param(
            HEADER + b"\rPI|1\r", 2, "PI|", None, SECOND, "3 upper-case", id="two letters"
        ),
        pytest.param(
            HEADER + b"\r1ID|1\r", 2, "1ID", None, SECOND, "3 upper-case", id="leading digit"
        ),
        pytest.param(HEADER + b"\r PID|1\r", 2, " PI", None, SECOND, "3 upper-case", id="indented"),
        pytest.param(
            HEADER + b"\rPID1|1\r", 2, "PID", None, SECOND + 3, "not followed by", id="four letters"
        ),
        pytest.param(
            HEADER + b"\rPID|1\rMSH|^~\\&\r", 3, "MSH", None, SECOND + 6, "second MSH", id="two MSH"
        ),
        pytest.param(
            b"\xef\xbb\xbf" + HEADER + b"\nPV1|1\nobx|1\n",
            3,
            "obx",
            None,
            3 + SECOND + 6,
            "3 upper-case",
            id="offset counts the BOM",
        ),
    ],
)
def test_malformed_input(
    data: bytes,
    segment_number: int | None,
    segment_id: str | None,
    field: int | None,
    offset: int,
    reason: str,
) -> None:
    with pytest.raises(Hl7ParseError) as raised:
        parse_message(data)
    error = raised.value
    assert reason in error.reason
    assert (error.segment_number, error.segment_id, error.field, error.offset) == (
        segment_number,
        segment_id,
        field,
        offset,
    )
    assert isinstance(error, Hl7Error)
    assert isinstance(error, ValueError)


def test_the_offset_is_in_bytes_for_bytes_and_characters_for_text() -> None:
    text = "MSH|^~\\&|Zoë|B\rNTE|1||é\rbad|1\r"
    with pytest.raises(Hl7ParseError) as from_bytes:
        parse_message(text.encode("utf-8"))
    with pytest.raises(Hl7ParseError) as from_text:
        parse_message(text)
    assert from_text.value.offset == text.index("bad")
    assert from_bytes.value.offset == text.encode("utf-8").index(b"bad")
    assert from_bytes.value.offset == from_text.value.offset + 2


def test_the_message_names_the_place() -> None:
    with pytest.raises(Hl7ParseError, match=rf"at segment 2 \(pid\), offset {SECOND}$"):
        parse_message(HEADER + b"\rpid|1\r")


def test_utf16_that_does_not_decode() -> None:
    with pytest.raises(Hl7ParseError, match="not valid in utf-16-le") as raised:
        parse_message(b"\xff\xfeM\x00S\x00H\x00\x00\xdc")
    assert raised.value.offset == 8
