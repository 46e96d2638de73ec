"""MLLP framing: frames in pieces or together, bytes between frames, oversize frames, and
the budget of bytes all connections share."""

from __future__ import annotations

import pytest

from painfhir.ingress.mllp import FrameBudget, FrameReader, OversizeFrame


def _frame(body: bytes) -> bytes:
    return b"\x0b" + body + b"\x1c\r"


def _feed_all(reader: FrameReader, pieces: list[bytes]) -> list[bytes | OversizeFrame]:
    return [frame for piece in pieces for frame in reader.feed(piece)]


@pytest.mark.parametrize(
    ("pieces", "frames", "skipped"),
    [
        pytest.param([_frame(b"MSH|1")], [b"MSH|1"], 0, id="one frame"),
        pytest.param(
            [_frame(b"MSH|1") + _frame(b"MSH|2")], [b"MSH|1", b"MSH|2"], 0, id="two in one read"
        ),
        pytest.param(
            [b"\x0bMS", b"H|1\x1c", b"\r\x0bMSH|2", b"\x1c\r"],
            [b"MSH|1", b"MSH|2"],
            0,
            id="split anywhere, end block too",
        ),
        pytest.param(
            [b"\r\n", _frame(b"MSH|1"), b"junk", _frame(b"MSH|2")],
            [b"MSH|1", b"MSH|2"],
            6,
            id="bytes between frames skipped",
        ),
        pytest.param(
            [b"\x0bMSH|cut short", _frame(b"MSH|2")],
            [b"MSH|2"],
            14,
            id="an unfinished frame gives way to a new one",
        ),
        pytest.param(
            [b"\x0bMSH|1\x1cX\x1c\r"], [b"MSH|1\x1cX"], 0, id="0x1C alone does not end a frame"
        ),
        pytest.param([b"\x0bMSH|open"], [], 0, id="an open frame waits"),
    ],
)
def test_frames(pieces: list[bytes], frames: list[bytes], skipped: int) -> None:
    reader = FrameReader(max_bytes=1000, budget=FrameBudget(10_000))
    assert _feed_all(reader, pieces) == frames
    assert reader.skipped == skipped


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([_frame(b"MSH|" + b"x" * 200)], id="in one read"),
        pytest.param([b"\x0bMSH|" + b"x" * 60] + [b"x" * 70] * 2 + [b"\x1c\r"], id="over reads"),
    ],
)
def test_an_oversize_frame_is_reported_and_the_next_one_read(pieces: list[bytes]) -> None:
    reader = FrameReader(max_bytes=100, budget=FrameBudget(10_000))
    frames = _feed_all(reader, [*pieces, _frame(b"MSH|next")])
    assert len(frames) == 2
    oversize, following = frames
    assert isinstance(oversize, OversizeFrame)
    assert oversize.head.startswith(b"MSH|x")
    assert oversize.size == 204
    assert following == b"MSH|next"


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([b"\x0bMSH|" + b"x" * 200 + _frame(b"MSH|next")], id="in one read"),
        pytest.param([b"\x0bMSH|" + b"x" * 200, _frame(b"MSH|next")], id="in the next read"),
        pytest.param(
            [b"\x0bMSH|" + b"x" * 200, b"\x0bMSH|ne", b"xt\x1c\r"], id="the new one in pieces"
        ),
    ],
)
def test_an_unfinished_oversize_frame_gives_way_to_a_new_one(pieces: list[bytes]) -> None:
    reader = FrameReader(max_bytes=100, budget=FrameBudget(10_000))
    assert _feed_all(reader, pieces) == [b"MSH|next"]
    assert reader.skipped == 205


def test_an_unfinished_frame_does_not_count_against_the_next_one() -> None:
    reader = FrameReader(max_bytes=100, budget=FrameBudget(10_000))
    pieces = [b"\x0bMSH|" + b"x" * 80, b"\x0bMSH|" + b"y" * 40, b"y" * 40 + b"\x1c\r"]
    assert _feed_all(reader, pieces) == [b"MSH|" + b"y" * 80]


def test_frames_share_the_budget_until_answered() -> None:
    budget = FrameBudget(150)
    first, second = (FrameReader(max_bytes=100, budget=budget) for _ in range(2))
    assert first.feed(b"\x0bMSH|" + b"x" * 90) == []  # 94 bytes held, open
    [refused] = second.feed(_frame(b"MSH|" + b"y" * 90))
    assert isinstance(refused, OversizeFrame)
    assert (refused.size, refused.for_now) == (94, True)
    [taken] = first.feed(b"\x1c\r")
    assert taken == b"MSH|" + b"x" * 90
    assert isinstance(second.feed(_frame(b"MSH|" + b"y" * 90))[0], OversizeFrame)  # unanswered
    first.answered()
    assert second.feed(_frame(b"MSH|" + b"y" * 90)) == [b"MSH|" + b"y" * 90]
    assert first.feed(b"\x0bMSH|" + b"z" * 90) == []  # over what is left: refused, not held
    second.close()
    first.close()
    assert budget.take(150)
