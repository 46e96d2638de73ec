"""Problems found in FHIR input, and the OperationOutcome that reports them.

Every error painfhir returns to a client is an OperationOutcome; code anywhere in the
service raises `FhirError` with the HTTP status it deserves and the issues that explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome.issue: what is wrong, and where (a FHIRPath-style expression)."""

    severity: Severity
    code: str  # http://hl7.org/fhir/issue-type, e.g. "structure", "required", "value"
    diagnostics: str
    expression: str | None = None

    def to_json(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression is not None:
            issue["expression"] = [self.expression]
        return issue


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [issue.to_json() for issue in issues]}


def information(message: str) -> dict[str, Any]:
    return operation_outcome([Issue("information", "informational", message)])


@dataclass(slots=True)
class FhirError(Exception):
    """A request that cannot be carried out; `status` is the HTTP status to answer with."""

    status: int
    issues: list[Issue] = field(default_factory=list)

    @classmethod
    def of(cls, status: int, code: str, message: str, expression: str | None = None) -> FhirError:
        return cls(status, [Issue("error", code, message, expression)])

    def __str__(self) -> str:
        return "; ".join(issue.diagnostics for issue in self.issues)

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)
