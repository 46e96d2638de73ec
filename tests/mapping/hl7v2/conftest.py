"""The HL7 v2 corpus, read in place from ../shared/corpora/hl7v2 (never copied), and a
builder for small messages."""

from __future__ import annotations

from tests.conftest import CORPORA

HL7V2 = CORPORA / "hl7v2"
CORPUS = sorted(HL7V2.glob("*.hl7"))
CORPUS_IDS = [path.stem for path in CORPUS]
HEADER = "MSH|^~\\&|APP|FAC|||20240101||REF^I12^REF_I12|1|P|2.5.1"


def corpus(name: str) -> bytes:
    """One corpus message's bytes, by file stem ("REF-I12-01")."""
    return (HL7V2 / f"{name}.hl7").read_bytes()


def message(*segments: str, header: str = HEADER) -> str:
    """A message as text: the header, then `segments`, each ended by a carriage return."""
    return "".join(f"{segment}\r" for segment in (header, *segments))
