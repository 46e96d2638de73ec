"""`painfhir validate FILE…`: each file validated, the issues as a table a person can read.

A file that is not JSON is reported as one fatal issue, like a resource that fails; the
command's exit status is 1 when any file has an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.validation.validator import BLOCKING, validate

_HEADINGS = ("file", "severity", "where", "problem")


@dataclass(frozen=True, slots=True)
class FileReport:
    path: Path
    issues: list[Issue]

    @property
    def failed(self) -> bool:
        return any(issue.severity in BLOCKING for issue in self.issues)


def validate_file(path: Path) -> FileReport:
    try:
        resource = parse_json(path.read_bytes())
    except OSError as exc:
        return FileReport(path, [Issue("fatal", "not-found", f"cannot read the file: {exc}")])
    except FhirError as exc:  # not JSON
        return FileReport(
            path, [Issue("fatal", issue.code, issue.diagnostics) for issue in exc.issues]
        )
    return FileReport(path, validate(resource))


def table(reports: Sequence[FileReport]) -> str:
    rows = [
        (str(report.path), issue.severity, issue.expression or "", issue.diagnostics)
        for report in reports
        for issue in report.issues
    ]
    widths = [max(len(row[i]) for row in [_HEADINGS, *rows]) for i in range(3)]
    lines = [_line(_HEADINGS, widths)] + [_line(row, widths) for row in rows]
    return "\n".join([*lines, _summary(reports)]) if rows else _summary(reports)


def _line(row: tuple[str, str, str, str], widths: list[int]) -> str:
    *aligned, last = row  # the problem, last, is not padded
    padded = (cell.ljust(width) for cell, width in zip(aligned, widths, strict=True))
    return "  ".join([*padded, last])


def _summary(reports: Sequence[FileReport]) -> str:
    failed = sum(report.failed for report in reports)
    counts: dict[str, int] = {}
    for report in reports:
        for issue in report.issues:
            counts[issue.severity] = counts.get(issue.severity, 0) + 1
    found = ", ".join(f"{n} {severity}" for severity, n in counts.items()) or "no issues"
    return f"{len(reports)} file(s), {failed} failed: {found}"
