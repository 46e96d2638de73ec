"""Non-opioid pain therapies that count as "tried or in the plan" (codes of domain.md §3):
rehabilitation, psychological support, interventional procedures, pain management."""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
# G0283 (electrical stimulation) is HCPCS Level II; it is accepted under either system.
HCPCS = "urn:oid:2.16.840.1.113883.6.285"


def _cpt_range(first: int, last: int) -> set[str]:
    return {str(code) for code in range(first, last + 1)}


NON_OPIOID_THERAPY_SNOMED = frozenset(
    {
        "91251008",  # physical therapy procedure
        "84478008",  # occupational therapy
        "228557008",  # cognitive and behavioural therapy
        "278414003",  # pain management
        "408957008",  # chronic pain control management
    }
)

NON_OPIOID_THERAPY_CPT = frozenset(
    _cpt_range(97161, 97163)  # PT evaluation
    | _cpt_range(97165, 97167)  # OT evaluation
    | {"97110", "97140", "97014", "97032", "G0283"}  # exercise, manual therapy, TENS
    | {"96158", "90901"}  # health behaviour intervention (CBT for pain), biofeedback
    | {"62321", "62323", "64479", "64483"}  # epidural steroid injections
    | _cpt_range(64490, 64495)  # facet / medial branch blocks
    | _cpt_range(64633, 64636)  # radiofrequency ablation
    | _cpt_range(64405, 64450)  # peripheral nerve blocks
    | {"64510", "64520"}  # sympathetic blocks
)


def is_non_opioid_therapy(system: str | None, code: str) -> bool:
    if system == SNOMED:
        return code in NON_OPIOID_THERAPY_SNOMED
    return system in (CPT, HCPCS) and code in NON_OPIOID_THERAPY_CPT
