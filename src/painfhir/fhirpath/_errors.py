"""The exceptions of the FHIRPath engine: one tree, rooted at `FhirPathError`."""

from __future__ import annotations


class FhirPathError(ValueError):
    """Anything that stops an expression from being compiled or evaluated."""


class FhirPathSyntaxError(FhirPathError):
    """An expression that is not FHIRPath; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        super().__init__(f"{message} at position {position} in {expression!r}")
        self.expression = expression
        self.position = position


class FhirPathEvaluationError(FhirPathError):
    """An expression that cannot be evaluated on this input, as the specification says
    (several items where one is needed, a String function given a number, ...)."""


class FhirPathUnanswerableError(FhirPathEvaluationError):
    """A question the engine cannot answer here rather than answering it wrongly: a value set
    painfhir does not know (`memberOf`), a profile nobody checks (`conformsTo`)."""
