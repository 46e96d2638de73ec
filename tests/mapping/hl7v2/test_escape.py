"""Escape sequences: which are translated on reading, which are kept, and escaping out."""

from __future__ import annotations

import pytest

from painfhir.mapping.hl7v2 import Delimiters, Terser, escape, parse_message, unescape
from tests.mapping.hl7v2.conftest import message

DEFAULT = Delimiters()
WITH_TRUNCATION = Delimiters(truncation="#")


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        pytest.param("A\\T\\E", "A&E", id="subcomponent separator"),
        pytest.param("1\\S\\2", "1^2", id="component separator"),
        pytest.param("a\\F\\b", "a|b", id="field separator"),
        pytest.param("a\\R\\b", "a~b", id="repetition separator"),
        pytest.param("C:\\E\\temp", "C:\\temp", id="escape character"),
        pytest.param("line 1\\.br\\line 2", "line 1\nline 2", id="line break"),
        pytest.param("\\X0D0A\\", "\r\n", id="hex"),
        pytest.param("caf\\XC3A9\\", "café", id="hex in the charset (UTF-8)"),
        pytest.param("\\X0\\", "\\X0\\", id="odd hex kept"),
        pytest.param("\\XZZ\\", "\\XZZ\\", id="not hex kept"),
        pytest.param("\\H\\bold\\N\\", "\\H\\bold\\N\\", id="highlighting kept"),
        pytest.param("\\.sp2\\x\\.in+4\\", "\\.sp2\\x\\.in+4\\", id="formatting kept"),
        pytest.param("\\Zlocal\\", "\\Zlocal\\", id="locally defined kept"),
        pytest.param("\\C2842\\x", "\\C2842\\x", id="charset switch kept"),
        pytest.param("a\\P\\", "a\\P\\", id="truncation escape without a truncation char"),
        pytest.param("ends with \\", "ends with \\", id="unclosed escape kept"),
        pytest.param("\\E\\\\E\\", "\\\\", id="two escapes in a row"),
        pytest.param("plain", "plain", id="nothing to do"),
    ],
)
def test_unescape(raw: str, plain: str) -> None:
    assert unescape(raw, DEFAULT) == plain


def test_truncation_escape_when_msh_2_declares_one() -> None:
    assert unescape("50\\P\\ off", WITH_TRUNCATION) == "50# off"


def test_hex_decodes_in_the_message_charset() -> None:
    assert unescape("\\XE9\\", DEFAULT, "iso8859-1") == "é"
    assert unescape("\\XE9\\", DEFAULT, "utf-8") == "\\XE9\\"  # not UTF-8: kept


def test_escape_round_trips_through_unescape() -> None:
    text = "A&E | 1^2 ~ C:\\temp\r\nnext 50#"
    escaped = escape(text, WITH_TRUNCATION)
    assert not set("&|^~#\r\n") & set(escaped)
    assert unescape(escaped, WITH_TRUNCATION) == text


def test_other_delimiters_escape_with_their_own_escape_character() -> None:
    odd = Delimiters(field="*", component=":", repetition="+", escape="?", subcomponent="!")
    assert escape("a*b?c", odd) == "a?F?b?E?c"
    assert unescape("a?F?b?E?c?S?d", odd) == "a*b?c:d"


def test_the_terser_unescapes_values_and_not_raw_text() -> None:
    parsed = parse_message(message("NTE|1||Fever \\T\\ chills\\.br\\see \\H\\note\\N\\"))
    read = Terser(parsed)
    assert read.value("NTE-3") == "Fever & chills\nsee \\H\\note\\N\\"
    assert read.raw("NTE-3") == "Fever \\T\\ chills\\.br\\see \\H\\note\\N\\"


def test_an_escaped_delimiter_does_not_split() -> None:
    parsed = parse_message(message("PID|1||A\\S\\B^C\\R\\D~E"))
    read = Terser(parsed)
    assert read.values("PID-3") == ["A^B", "E"]
    assert read.value("PID-3.2") == "C~D"
