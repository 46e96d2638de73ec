"""`painfhir validate FILE…`: a readable table of every issue, exit status 1 on errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPORA


def _run(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "painfhir", "validate", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_valid_files_pass(tmp_path: Path) -> None:
    examples = [
        CORPORA / "fhir-r4-examples" / f"{n}.json" for n in ("Patient-example", "Task-example1")
    ]
    done = _run(*examples)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "2 file(s), 0 failed: no issues"


def test_errors_are_listed_with_where_and_why(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-gender.json"
    wrong.write_text('{"resourceType": "Patient", "gender": "mail", "birthDate": "1971-02-30"}')
    broken = tmp_path / "truncated.json"
    broken.write_text('{"resourceType": "Patient",')
    done = _run(wrong, broken)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["file", "severity", "where", "problem"]
    rows = [line.split(maxsplit=3) for line in lines[1:-1]]
    assert [(row[1], row[2]) for row in rows if row[0] == str(wrong)] == [
        ("error", "Patient.gender"),
        ("error", "Patient.birthDate"),
    ]
    assert [row[1] for row in rows if row[0] == str(broken)] == ["fatal"]
    assert lines[-1] == "2 file(s), 2 failed: 2 error, 1 fatal"
