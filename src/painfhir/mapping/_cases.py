"""Golden cases: map a case's input and compare the Bundle with its `expected.json`.

Both sides are serialised the same way (sorted keys, two-space indent) before comparing, so
a failure reads as a unified diff of JSON lines.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from painfhir.mapping._errors import MappingError
from painfhir.mapping._module import Case

if TYPE_CHECKING:
    from painfhir.mapping._mappings import Mappings


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    case: Case
    passed: bool
    report: str  # the unified diff, the mapping error or the validation errors; "" on a pass


def canonical_json(bundle: Any) -> str:
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def run_case(mappings: Mappings, case: Case) -> CaseOutcome:
    try:
        result = mappings.map(case.input.read_bytes(), module=case.module)
    except MappingError as error:
        return CaseOutcome(case, False, f"mapping failed: {error}")
    errors = [i for i in result.issues if i.severity in ("error", "fatal")]
    if errors:
        lines = [f"{i.expression}: {i.diagnostics}" for i in errors]
        return CaseOutcome(case, False, "invalid output:\n" + "\n".join(lines))
    actual = canonical_json(result.bundle)
    if not case.expected.is_file():
        return CaseOutcome(case, False, f"{case.expected} is missing; the output was:\n{actual}")
    expected = canonical_json(orjson.loads(case.expected.read_bytes()))
    if actual == expected:
        return CaseOutcome(case, True, "")
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=str(case.expected),
        tofile=f"{case.module}/{case.name} (mapped)",
    )
    return CaseOutcome(case, False, "".join(diff))
