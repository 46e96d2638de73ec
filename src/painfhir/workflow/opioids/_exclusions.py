"""Who the long-term opioid checks are not for (CDC 2022): patients in active cancer
treatment, in palliative or end-of-life care, with sickle cell disease, or under 18.

Conditions are recognised by ICD-10-CM category and a short list of SNOMED CT codes — painfhir
has no SNOMED hierarchy, so a more specific SNOMED concept is missed unless it is listed or the
Condition also carries its ICD-10-CM code. An active malignancy stands in for active cancer
treatment, as the CDC's own decision support does.
"""

from __future__ import annotations

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"

# Sickle cell disorders: ICD-10-CM D57 but the trait (D57.3); SNOMED from the CDC value set
# "Sickle-cell diseases" (confirmed).
SICKLE_CELL_SNOMED = frozenset(
    {"417357006", "127040003", "35434009", "25472008", "47024008", "127041004", "417425009"}
)
MALIGNANCY_SNOMED = frozenset({"363346000", "372087000", "128462008"})  # unconfirmed
# Palliative care, hospice care, terminal illness; ICD-10-CM Z51.5 is a palliative encounter.
PALLIATIVE_SNOMED = frozenset({"103735009", "385763009", "300936002"})  # unconfirmed


def exclusion_of_condition(system: str | None, code: str) -> str | None:
    """Why a Condition with this code excludes the patient from the checks, or None."""
    if system == ICD10CM:
        if code.startswith("D57") and not code.startswith("D57.3"):
            return "sickle cell disease"
        if code.startswith("C"):  # every C code of ICD-10-CM is a malignant neoplasm
            return "active cancer"
        if code.startswith("Z51.5"):
            return "palliative care"
        return None
    if system == SNOMED:
        if code in SICKLE_CELL_SNOMED:
            return "sickle cell disease"
        if code in MALIGNANCY_SNOMED:
            return "active cancer"
        if code in PALLIATIVE_SNOMED:
            return "palliative or end-of-life care"
    return None


def is_palliative_care(system: str | None, code: str) -> bool:
    """A palliative or hospice care service (a ServiceRequest, Procedure or CarePlan)."""
    return (system == SNOMED and code in PALLIATIVE_SNOMED) or (
        system == ICD10CM and code.startswith("Z51.5")
    )


# History of substance misuse (2016 naloxone rule): ICD-10-CM F10-F19 but nicotine (F17).
def is_substance_misuse(system: str | None, code: str) -> bool:
    if system != ICD10CM or code[:1] != "F" or not code[1:3].isdigit():
        return False
    return 10 <= int(code[1:3]) <= 19 and code[1:3] != "17"
