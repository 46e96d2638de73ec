"""What went wrong with an inbound message, said twice: as ERR segments for the sender's
acknowledgement, and as OperationOutcome issues for the message log."""

from __future__ import annotations

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.ingress import ack
from painfhir.ingress.ack import AckError
from painfhir.mapping import (
    InvalidValueError,
    MappingError,
    MissingSourceError,
    NoModuleError,
    UnmappedCodeError,
    UnreadableMessageError,
)
from painfhir.mapping.hl7v2 import Hl7ParseError

# FHIR issue type (validation) → HL7 table 0357 code
_CODE_OF_ISSUE = {
    "required": ack.REQUIRED_FIELD_MISSING,
    "code-invalid": ack.TABLE_VALUE_NOT_FOUND,
    "value": ack.DATA_TYPE_ERROR,
    "structure": ack.DATA_TYPE_ERROR,
    "invariant": ack.DATA_TYPE_ERROR,
    "invalid": ack.DATA_TYPE_ERROR,
}
# HL7 table 0357 code → FHIR issue type, for the log's OperationOutcome
_ISSUE_OF_CODE = {
    ack.SEGMENT_SEQUENCE_ERROR: "structure",
    ack.REQUIRED_FIELD_MISSING: "required",
    ack.DATA_TYPE_ERROR: "value",
    ack.TABLE_VALUE_NOT_FOUND: "code-invalid",
    ack.UNSUPPORTED_MESSAGE_TYPE: "not-supported",
    ack.UNSUPPORTED_PROCESSING_ID: "not-supported",
    ack.UNSUPPORTED_VERSION_ID: "not-supported",
}


def header_field_error(code: int, field: int, message: str) -> AckError:
    return AckError(code, message, segment="MSH", segment_number=1, field=field)


def parse_error(error: Hl7ParseError) -> AckError:
    code = ack.DATA_TYPE_ERROR if error.field is not None else ack.SEGMENT_SEQUENCE_ERROR
    return AckError(
        code,
        str(error),
        segment=error.segment_id,
        segment_number=error.segment_number,
        field=error.field,
    )


def mapping_error(error: MappingError) -> AckError:
    if isinstance(error, NoModuleError):
        code = ack.UNSUPPORTED_MESSAGE_TYPE
    elif isinstance(error, MissingSourceError):
        # HL7 table 0357: 100 covers "required segments are missing", 101 a field
        code = ack.REQUIRED_FIELD_MISSING if error.field else ack.SEGMENT_SEQUENCE_ERROR
    elif isinstance(error, InvalidValueError):
        code = ack.DATA_TYPE_ERROR
    elif isinstance(error, UnmappedCodeError):
        code = ack.TABLE_VALUE_NOT_FOUND
    elif isinstance(error, UnreadableMessageError):
        code = ack.DATA_TYPE_ERROR if error.field is not None else ack.SEGMENT_SEQUENCE_ERROR
    else:
        code = ack.APPLICATION_INTERNAL_ERROR
    return AckError(
        code,
        error.reason,
        segment=error.segment,
        segment_number=error.segment_index,
        field=error.field,
    )


def issue_error(issue: Issue) -> AckError:
    """An issue with the mapped resources (validation, a refused write): no segment to
    name, the FHIR path says where in the output."""
    where = f" ({issue.expression})" if issue.expression else ""
    return AckError(
        _CODE_OF_ISSUE.get(issue.code, ack.APPLICATION_INTERNAL_ERROR),
        f"{issue.diagnostics}{where}",
        severity="E" if issue.severity in ("error", "fatal") else "W",
    )


def stored_with_changes(response: bytes) -> list[AckError]:
    """What the clinic's rules kept back from a stored message — a settled referral's status,
    say — as ERR segments of severity I: the information issues of code business-rule in the
    transaction response's entries. The message was stored (AA), but its sender should know
    that not all of it was taken as sent."""
    entries = parse_json(response).get("entry", [])
    return [
        AckError(ack.MESSAGE_ACCEPTED, issue["diagnostics"], severity="I")
        for entry in entries
        for issue in ((entry.get("response") or {}).get("outcome") or {}).get("issue", [])
        if issue.get("severity") == "information" and issue.get("code") == "business-rule"
    ]


def as_issue(error: AckError) -> Issue:
    where = ""
    if error.segment:
        where = f"{error.segment}"
        where += f" (segment {error.segment_number})" if error.segment_number else ""
        where += f" field {error.field}" if error.field else ""
        where += ": "
    return Issue(
        "error" if error.severity == "E" else "warning",
        _ISSUE_OF_CODE.get(error.code, "processing"),
        f"{where}{error.message}",
    )
