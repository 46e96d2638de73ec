"""FHIR JSON keeps every digit of a decimal, and refuses what is not JSON."""

from __future__ import annotations

import copy

import pytest

from painfhir.fhir.codec import dump_json, parse_json
from painfhir.fhir.outcome import FhirError


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b'{"v":1.10}', id="trailing-zero"),
        pytest.param(b'{"v":0.000}', id="zeros"),
        pytest.param(b'{"v":2e5}', id="exponent"),
        pytest.param(b'{"v":-0.0}', id="negative-zero"),
        pytest.param(b'{"v":1E400}', id="beyond-float"),
        pytest.param(b'{"v":3.141592653589793238462643383279}', id="beyond-double-precision"),
        pytest.param(b'{"v":[1,2.50,"1.10"]}', id="in-arrays"),
    ],
)
def test_numbers_are_written_back_as_received(text: bytes) -> None:
    assert dump_json(parse_json(text)) == text


def test_copies_keep_the_text() -> None:
    parsed = parse_json(b'{"v":1.10}')
    assert dump_json(copy.deepcopy(parsed)) == b'{"v":1.10}'


def test_decimals_still_compute() -> None:
    assert parse_json(b"1.50") * 2 == 3


def test_byte_order_mark_is_accepted() -> None:
    assert parse_json("\ufeff{}".encode()) == {}


@pytest.mark.parametrize("text", [b"{", b'{"a": NaN}', b"Infinity", b"\xff\xfe", b""])
def test_not_json_is_400(text: bytes) -> None:
    with pytest.raises(FhirError) as raised:
        parse_json(text)
    assert raised.value.status == 400
