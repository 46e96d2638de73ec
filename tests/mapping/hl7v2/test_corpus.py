"""Every corpus message parses losslessly, its parsed structure accounts for every
character, and known values read back as the message states them."""

from __future__ import annotations

from pathlib import Path

import pytest

from painfhir.mapping.hl7v2 import Message, Terser, parse_message, unparse, unparse_text
from tests.mapping.hl7v2.conftest import CORPUS, CORPUS_IDS, corpus


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) == 9, "../shared/corpora/hl7v2 should hold the 9 FHIR-Converter messages"


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_every_message_round_trips_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    parsed = parse_message(data)
    assert unparse(parsed) == data
    assert unparse_text(parse_message(data.decode("utf-8"))) == data.decode("utf-8")


def _rejoined(message: Message) -> list[str]:
    """Each segment rebuilt from its field trees alone."""
    delimiters = message.delimiters
    rebuilt = []
    for segment in message.segments:
        fields = [
            delimiters.repetition.join(delimiters.component.join(rep) for rep in segment.tree(n))
            for n in range(1, segment.field_count + 1)
        ]
        if segment.id == "MSH":  # MSH-1 is the separator that joins the rest
            rebuilt.append("MSH" + fields[0] + delimiters.field.join(fields[1:]))
        else:
            rebuilt.append(delimiters.field.join([segment.id, *fields]))
    return rebuilt


@pytest.mark.parametrize("path", CORPUS, ids=CORPUS_IDS)
def test_the_field_trees_account_for_every_character(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert _rejoined(parsed) == [segment.raw for segment in parsed.segments]
    assert [s.raw for s in parsed.segments] == [line for line in parsed.lines if line.strip()]


@pytest.mark.parametrize(
    ("name", "lines", "terminated", "bom"),
    [
        pytest.param("REF-I12-01", 24, False, False, id="REF-I12: no terminator after the last"),
        pytest.param("OML-O21-01", 23, True, True, id="OML-O21: BOM, last line terminated"),
        pytest.param("ORM-O01-02", 15, True, True, id="ORM-O01-02: BOM, terminated"),
        pytest.param("OMG-O19-01", 50, False, True, id="OMG-O19: BOM, unterminated"),
    ],
)
def test_the_layout_is_kept(name: str, lines: int, terminated: bool, bom: bool) -> None:
    parsed = parse_message(corpus(name))
    assert len(parsed.segments) == lines
    assert set(parsed.endings[:-1]) == {"\n"}
    assert parsed.endings[-1] == ("\n" if terminated else "")
    assert parsed.bom is bom
    assert parsed.charset == "utf-8"


KNOWN_VALUES = {
    "REF-I12-01": {
        "MSH-9": "REF",
        "MSH-9.2": "I12",
        "MSH-9.3": "REF_I12",
        "MSH-10": "MSG00112",
        "MSH-12": "2.8",
        "RF1-1.2": "Pending",
        "RF1-10.2": "Provider Ordered",
        "PRD-1.1": "RP",
        "PRD[2]-1.1": "RT",
        "PRD[2]-2.1": "McWILLIAMS",
        "PRD-7.1": "PLN1001",
        "PRD-7.4": "20240112",
        "PID-3": "PATID1234",
        "PID-3[2].1": "123456789",
        "PID-3[2].6": "USSSA",
        "PID-5": "EVERYMAN",
        "PID-5.2": "ADAM",
        "PID-7": "19610615",
        "PID-8": "M",
        "IN1-3.4.2": "2.16.840.1.113883.1.1",
        "IN1-3.4.3": "ISO",
        "DG1-3.1": "K63.3",
        "DG1-3.2": "Ulcer of Intestine",
        "OBX-5": "Positive",
        "NTE[3]-3": "Lab test",
    },
    "REF-I14-01": {
        "MSH-9.2": "I14",
        "MSH-9.3": "REF_I14",
        "OBX-3.1": "22311-7",
        "OBR-4.2": "Helicobacter pylori Ab[Presence] in Serum1",
        "NTE-3": "Lab Test for Ulcer1 ",  # the trailing space is the sender's
        "PV2-3.2": "Abdominal pain other specified site",
    },
    "ORM-O01-01": {
        "MSH-9.3": "ORM_O01",
        "PID-5.1.1": "EVERYMAN",
        "PID-5.1.5": "Aniston",
        "ORC-1": "NW",
        "ORC-2.1": "1101",
        "OBR-4.2": "CT Head",
        "CTD-2.1": "Doe",
        "AL1-3.2": "PENICILLIN",
        "BLG-3.1": "AI167",
        "BLG-3.4.2": "falcon.iupui.edu",
    },
    "ORM-O01-02": {
        "NTE-3": "CT Scan to be done urgent",
        "OBX[2]-5": "https://testurl.com",
        "IN1-4": "Blue Cross Blue Shield of Texas",
        "GT1-3.1": "RADIANT",
    },
    "ORM-O01-03": {
        "ORC[2]-2.1": "2203",
        "OBR[2]-4.2": "MR Brain",
        "FT1[2]-1": "2",
        "CTI[2]-1": "RSID1234",
    },
    "OML-O21-01": {
        "MSH-12": "2.6",
        "OBX[4]-5": (
            "http://172.16.237.4/CaseCenter/index.php?ContainerType=CaseView&ContainerID=0"
            "&SlideID=40bcbe96bcbf8cda8b07403263b92cb4"
        ),
        "SPM-4.2": "Serum",
        "SAC-2": "EA54678",
        "AL1-3.2": "Peanut Allergy",
    },
    "OMG-O19-01": {
        "PID-5[2].1.1": "Josh",
        "PID-5[2].1.5": "Bing",
        "ORC-4.1.1": "9adf2339de714c6698063e3ddf5d07",
        "SPM-4.2": "Biopsy, Skin",
        "BLG-3.1": "AI168",
    },
    "RDE-O11-01": {
        "RXE-2.2": "200 ML BAG : NICARDIPINE IN NACL (ISO-OS) 40 MG/200 ML IV PGBK",
        "RXE-7[3]": "Nicardipine is light sensitivie. Store in carton/overwrap until ready to use.",
        "RXO-1.2": "Ampicillin 250 mg caps",
        "CDO-3.1": "100",
        "TQ1[2]-3.1.2": "Post (after)",
    },
    "ADT-A01-01": {
        "EVN-5.9.2": "1.3.6.1.4.1.44750.1.2.2",
        "PV1-14": "NHS Provider-General (inc.A&E-this Hosp)",
        "PID-10[2].2": "Asian",
    },
}


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        pytest.param(name, path, expected, id=f"{name} {path}")
        for name, values in KNOWN_VALUES.items()
        for path, expected in values.items()
    ],
)
def test_known_values(name: str, path: str, expected: str) -> None:
    assert Terser(parse_message(corpus(name))).value(path) == expected


def test_repetitions_and_counts_in_the_corpus() -> None:
    read = Terser(parse_message(corpus("RDE-O11-01")))
    assert read.count("RXE-7") == 3
    assert read.values("RXE-7")[0] == "Titrate to BP less than 180"
    assert read.values("OBX-5") == ["160", "120"]
    assert read.count("PRT") == 6
    assert read.count("PID-2") == 0


def test_raw_keeps_escape_sequences_as_sent() -> None:
    read = Terser(parse_message(corpus("ADT-A01-01")))
    assert read.raw("PV1-14") == "NHS Provider-General (inc.A\\T\\E-this Hosp)"
