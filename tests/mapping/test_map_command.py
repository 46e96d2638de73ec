"""`painfhir map` and `painfhir mappings test`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from painfhir.cli import main

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "hl7v2"
BUILT_IN = Path(__file__).parents[2] / "mappings" / "hl7v2"


def test_map_prints_the_bundle_and_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    main(["map", str(CORPUS / "REF-I12-01.hl7"), "--trace"])
    out, err = capsys.readouterr()
    assert json.loads(out)["type"] == "transaction"
    assert "module: hl7v2" in err
    assert "PID[1]-5[1].1.1" in err
    assert "source fields no rule read:" in err


@pytest.mark.parametrize(
    ("content", "args"),
    [
        pytest.param(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\r", [], id="no-module"),
        pytest.param((CORPUS / "REF-I12-01.hl7").read_bytes(), ["--module", "nope"], id="unknown"),
    ],
)
def test_map_fails_with_a_reason(tmp_path: Path, content: bytes, args: list[str]) -> None:
    source = tmp_path / "message.hl7"
    source.write_bytes(content)
    with pytest.raises(SystemExit) as exited:
        main(["map", str(source), *args])
    assert exited.value.code not in (0, None)


def test_mappings_test_passes(capsys: pytest.CaptureFixture[str]) -> None:
    main(["mappings", "test", "hl7v2"])
    assert "all cases pass" in capsys.readouterr().out


def test_mappings_test_shows_a_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    shutil.copytree(BUILT_IN, site)
    expected = site / "cases" / "ref-i12-chronic-low-back-pain" / "expected.json"
    expected.write_text(expected.read_text().replace('"MARGARET"', '"MARGRET"'))
    monkeypatch.setenv("PAINFHIR_MAPPINGS_PATH", str(site))
    with pytest.raises(SystemExit) as exited:
        main(["mappings", "test", "site"])
    out = capsys.readouterr().out
    assert exited.value.code == 1
    assert "FAIL site/ref-i12-chronic-low-back-pain" in out
    removed = [line for line in out.splitlines() if line.startswith("-") and "MARGRET" in line]
    added = [line for line in out.splitlines() if line.startswith("+") and "MARGARET" in line]
    assert removed and added
