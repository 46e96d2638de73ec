"""Properties, checked by hypothesis on generated and mutated messages: parsing is lossless,
the field trees account for every character, escaping round-trips, and the walkers never
drop a segment."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from painfhir.mapping.hl7v2 import (
    Delimiters,
    Message,
    escape,
    parse_message,
    unescape,
    unparse,
    walk,
)
from tests.mapping.hl7v2.conftest import corpus

# the machine is shared with other jobs: correctness, not timing, is under test here
PROPERTY = settings(deadline=None, max_examples=150)

_PUNCTUATION = "|^~\\&#*:+?!$%@/=;,"
_LINE_ENDS = st.sampled_from(["\r", "\n", "\r\n"])
_SEGMENT_IDS = st.from_regex(r"\A[A-Z][A-Z0-9]{2}\Z").filter(lambda sid: sid != "MSH")
_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=30)


@st.composite
def delimiters(draw: st.DrawFn) -> Delimiters:
    chars = draw(st.permutations(_PUNCTUATION))
    truncation = draw(st.booleans())
    field, component, repetition, escape_char, subcomponent, fifth = chars[:6]
    return Delimiters(
        field, component, repetition, escape_char, subcomponent, fifth if truncation else None
    )


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A message with any delimiters, any field text (delimiters, escapes, non-ASCII and
    all), any terminators per line, blank lines, with or without a BOM or a last terminator."""
    chosen = draw(delimiters())
    header = "MSH" + chosen.field + chosen.encoding_characters
    header += "".join(chosen.field + text for text in draw(st.lists(_TEXT, max_size=12)))
    lines = [header]
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", " ", "\t "])))
            continue
        fields = draw(st.lists(_TEXT, max_size=8))
        lines.append(chosen.field.join([draw(_SEGMENT_IDS), *fields]))
    ends = [draw(_LINE_ENDS) for _ in lines]
    if not draw(st.booleans()):
        ends[-1] = ""
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")


def _rejoins(parsed: Message) -> bool:
    delimiters = parsed.delimiters
    for segment in parsed.segments:
        fields = [
            delimiters.repetition.join(delimiters.component.join(rep) for rep in segment.tree(n))
            for n in range(1, segment.field_count + 1)
        ]
        if segment.id == "MSH":
            rebuilt = "MSH" + fields[0] + delimiters.field.join(fields[1:])
        else:
            rebuilt = delimiters.field.join([segment.id, *fields])
        if rebuilt != segment.raw:
            return False
    return True


@PROPERTY
@given(messages())
def test_generated_messages_round_trip(data: bytes) -> None:
    parsed = parse_message(data)
    assert unparse(parsed) == data
    assert _rejoins(parsed)
    assert len(parsed.segments) == sum(1 for line in parsed.lines if line.strip())


_LINE_BYTES = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@PROPERTY
@given(st.lists(_LINE_BYTES, min_size=1, max_size=5))
def test_any_bytes_in_the_fields_round_trip(contents: list[bytes]) -> None:
    data = b"MSH|^~\\&|A|B|||1||REF^I12|1|P|2.5.1\r" + b"".join(
        b"NTE|1||" + content + b"\r" for content in contents
    )
    parsed = parse_message(data)
    assert unparse(parsed) == data
    for undecodable in parsed.undecodable:
        assert data[undecodable.offset] == undecodable.value >= 0x80


@PROPERTY
@given(_TEXT, delimiters())
def test_escape_then_unescape_gives_the_text_back(text: str, chosen: Delimiters) -> None:
    escaped = escape(text, chosen)
    assert not set(escaped) & {chosen.field, chosen.component, chosen.repetition, "\r", "\n"}
    assert unescape(escaped, chosen) == text


_WALKABLE = ["REF-I12-01", "REF-I14-01", "OMG-O19-01", "OML-O21-01", "ORM-O01-01", "RDE-O11-01"]


@st.composite
def mutated_corpus_messages(draw: st.DrawFn) -> tuple[bytes, int]:
    """A corpus message with Z-segments inserted, segments moved, terminators and the BOM
    changed, and escape sequences added; also how many Z-segments went in."""
    data = corpus(draw(st.sampled_from(_WALKABLE)))
    bom = data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\n")
    ends = ["\n"] * len(lines)
    if lines[-1] == "":
        lines.pop()
        ends.pop()
    else:
        ends[-1] = ""
    inserted = 0
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(1, len(lines) - 1))
        action = draw(st.sampled_from(["z-segment", "move", "terminator", "escape"]))
        if action == "z-segment":
            lines.insert(at, "ZPN|" + draw(_TEXT).replace("|", "\\F\\"))
            ends.insert(at, draw(_LINE_ENDS))
            inserted += 1
        elif action == "move":
            lines.insert(draw(st.integers(1, len(lines) - 1)), lines.pop(at))
        elif action == "terminator":
            ends[at - 1] = draw(_LINE_ENDS)
        else:
            cut = draw(st.integers(4, max(4, len(lines[at]))))
            sequence = draw(st.sampled_from(["\\T\\", "\\S\\", "\\E\\", "\\X41\\", "\\.br\\"]))
            lines[at] = lines[at][:cut] + sequence + lines[at][cut:]
    if draw(st.booleans()):
        bom = not bom
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"), inserted


@PROPERTY
@given(mutated_corpus_messages())
def test_mutated_corpus_messages_round_trip_and_walk_whole(mutated: tuple[bytes, int]) -> None:
    data, inserted = mutated
    parsed = parse_message(data)
    assert unparse(parsed) == data
    tree = walk(parsed)
    assert tree.segments() == list(parsed.segments)
    reported = [u.segment.id for u in tree.unexpected]
    assert reported.count("ZPN") == inserted
    assert len(set(u.number for u in tree.unexpected)) == len(reported)
