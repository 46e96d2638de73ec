"""The exceptions of the mapping engine: one tree, rooted at `MappingError`.

Each carries where in the source the problem lies, as far as it is known, because an HL7
acknowledgement's ERR-2 names segment and field: `segment` is the segment id (`RF1`),
`segment_index` its 1-based position in the message (ERR-2.2), `field` the 1-based field.
"""

from __future__ import annotations

from painfhir.fhir.outcome import Issue
from painfhir.mapping.hl7v2 import Hl7Error, Hl7ParseError


class MappingError(Exception):
    """Anything that stops a message from being mapped. `issue_code` is its FHIR issue type
    (http://hl7.org/fhir/issue-type), for answers in FHIR."""

    issue_code = "processing"

    def __init__(
        self,
        reason: str,
        *,
        segment: str | None = None,
        segment_index: int | None = None,
        field: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segment = segment
        self.segment_index = segment_index
        self.field = field

    def issue(self) -> Issue:
        """The error as an OperationOutcome issue (the reason names the source's path)."""
        return Issue("error", self.issue_code, self.reason)


class UnreadableMessageError(MappingError):
    """Input that is not a message of its kind at all: ER7 that does not parse, JSON that
    is not JSON. The original error (an `Hl7ParseError`, say) is the `__cause__`."""

    issue_code = "structure"

    @classmethod
    def from_hl7(cls, error: Hl7Error) -> UnreadableMessageError:
        if isinstance(error, Hl7ParseError):
            return cls(
                str(error),
                segment=error.segment_id,
                segment_index=error.segment_number,
                field=error.field,
            )
        return cls(str(error))


class NoModuleError(MappingError):
    """No mapping module takes this input (or none has the name asked for)."""

    issue_code = "not-supported"


class ModuleLoadError(MappingError):
    """A mapping module folder whose code or ConceptMaps cannot be loaded."""

    issue_code = "exception"


class MissingSourceError(MappingError):
    """A value the mapping cannot do without is absent from the message (no RF1, no
    patient identifier, ...). A missing segment has no `field` and no `segment_index`."""

    issue_code = "required"


class InvalidValueError(MappingError):
    """A value the message carries that its data type does not allow (a date of seven
    digits): reported, never dropped or guessed at, so the sender can correct it."""

    issue_code = "value"


class UnmappedCodeError(MappingError):
    """A code a ConceptMap does not translate, where the map says unmapped codes are an
    error."""

    issue_code = "code-invalid"


class RuleError(MappingError):
    """A module's rules failed on this input in a way they did not foresee (a bug in the
    module); the original exception is the `__cause__`. The message can be replayed once the
    module is fixed."""
