"""FHIRPath (N1, as FHIR R4 uses it) on parsed FHIR JSON.

    expression = compile_fhirpath("start.hasValue().not() or end.hasValue().not() or start <= end")
    expression.holds(period, resource=patient, focus_type="Period")

Expressions compile once into closures (`compile_fhirpath` caches them) and evaluate on JSON as
`painfhir.fhir.codec.parse_json` gives it, with the R4 structure model supplying the types:
choice elements (`Observation.value` finds `valueQuantity`), primitives' `_x` ids and
extensions, `is`/`as`/`ofType` with FHIR and System types, and the FHIR additions: %resource,
%rootResource, %context, %ucum, %sct, %loinc, %"vs-name", %"ext-name"; extension(url),
hasValue(), getValue(), resolve() (contained resources, Bundle entries, or services),
conformsTo(), memberOf(), htmlChecks().

Where N1 leaves room, this engine reads it as R4's constraints need and as the HL7 validator
does, and says so where it does it: an invariant whose result is empty is not met
(`constraint_holds`); `as` filters a collection like `ofType` (R4's dom-3 applies it to many
items); a FHIR primitive also `is` the System type of its value (`answer is Boolean`);
`matches()` must match the whole string. Dates of different precision that agree as far as
both go are neither equal nor ordered (empty); quantities convert through UCUM (`_ucum`).

Errors form one tree under `FhirPathError`: `FhirPathSyntaxError` (at compile time, with the
position), `FhirPathEvaluationError` (what the specification calls an error, e.g. a String
function on several items), and its `FhirPathUnanswerableError` (a value set or profile nobody
here can judge).
"""

from painfhir.fhirpath._context import Context, FhirPathServices
from painfhir.fhirpath._errors import (
    FhirPathError,
    FhirPathEvaluationError,
    FhirPathSyntaxError,
    FhirPathUnanswerableError,
)
from painfhir.fhirpath._expression import (
    FhirPathExpression,
    compile_fhirpath,
    constraint_holds,
    scope,
)
from painfhir.fhirpath._model import Node
from painfhir.fhirpath._narrative import NarrativeCheck, check_narrative
from painfhir.fhirpath._quantity import Quantity
from painfhir.fhirpath._references import BundleIndex
from painfhir.fhirpath._temporal import Temporal

__all__ = [
    "BundleIndex",
    "Context",
    "FhirPathError",
    "FhirPathEvaluationError",
    "FhirPathExpression",
    "FhirPathServices",
    "FhirPathSyntaxError",
    "FhirPathUnanswerableError",
    "NarrativeCheck",
    "Node",
    "Quantity",
    "Temporal",
    "check_narrative",
    "compile_fhirpath",
    "constraint_holds",
    "scope",
]
