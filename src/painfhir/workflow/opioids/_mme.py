"""Morphine milligram equivalents: per prescription and in total.

Daily dose of the opioid (mg/d; for transdermal patches the patch's mcg/h, whatever its
change interval) times the ingredient's factor. A prescription whose MME cannot be known — an
unknown product, no dose, a dose unit that does not fit the product, an opioid with no
factor — is reported with the reason and left out of the total, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from painfhir.workflow.opioids._dosage import Dose, doses_of
from painfhir.workflow.opioids._identification import OpioidContent, UnknownOpioid, identify
from painfhir.workflow.opioids._ingredients import (
    FENTANYL,
    METHADONE,
    Factors,
    Opioid,
    factor_for,
    methadone_factor_2016,
)
from painfhir.workflow.opioids._medication import medication_of

PAIN_MEDICATION_CATEGORY = "http://painfhir.org/fhir/CodeSystem/pain-medication-category"

_EACH = {
    "tab", "tablet", "tbl", "cap", "capsule", "patch", "film", "lozenge", "troche",
    "actuat", "actuation", "spray", "puff", "each", "ea", "1", "dose", "supp", "suppository",
}  # fmt: skip
_MG_PER = {"mg": Decimal(1), "g": Decimal(1000), "mcg": Decimal("0.001"), "ug": Decimal("0.001")}
# A patch's dose as a rate: mcg/h in any of its spellings, or mg/h.
_MCG_PER_HOUR = {
    **{f"{mass}/{hour}": Decimal(1) for mass in ("ug", "mcg", "µg", "μg") for hour in ("h", "hr")},
    "mg/h": Decimal(1000),
    "mg/hr": Decimal(1000),
}


@dataclass(frozen=True, slots=True)
class PrescriptionMme:
    """One opioid of one prescription. `mme` is None when it cannot be counted (`problem`)."""

    reference: str
    opioid: Opioid | None
    daily_dose: Decimal | None
    daily_dose_unit: str  # mg/d, or ug/h for a transdermal patch
    factor: Decimal | None
    mme: Decimal | None
    problem: str | None = None
    note: str | None = None  # how the factor was chosen, when it is not the opioid's own


def plain(value: Decimal) -> Decimal:
    """Rounded to 2 decimals, without trailing zeros or exponent: 60, 7.5, 0.33."""
    return Decimal(f"{value.quantize(Decimal('0.01')).normalize():f}")


def unit_kind(unit: str) -> str:
    """each (tablets, patches, actuations…), ml, mg, g, mcg, ug, a rate (ug/h, mg/h…), or ?
    (unknown)."""
    bare = unit.strip("{}").lower().removesuffix("s")
    if bare in _EACH:
        return "each"
    return bare if bare == "ml" or bare in _MG_PER or bare in _MCG_PER_HOUR else "?"


def _per_dose(dose: Dose, content: OpioidContent) -> Decimal | str:
    """The opioid in one administration: mg, or mcg/h for a patch."""
    kind, value = unit_kind(dose.amount.unit), dose.amount.value
    if content.transdermal and kind in _MCG_PER_HOUR:
        return value * _MCG_PER_HOUR[kind]
    if kind in _MG_PER and not content.transdermal:
        return value * _MG_PER[kind]
    if content.strength is None:
        return f"its dose is in {dose.amount.unit!r} but the strength is unknown: dose it in mg"
    per_ml = content.strength_unit == "mg/mL"
    if not ((kind == "each" and not per_ml) or (kind == "ml" and per_ml)):
        return f"its dose unit {dose.amount.unit!r} does not fit a {content.strength_unit} strength"
    return value * content.strength


def daily_dose(groups: list[list[Dose]], content: OpioidContent) -> Decimal | str:
    """mg/d — or, for a patch, mcg/h of the patches worn together — at its highest."""
    highest = Decimal(0)
    for group in groups:
        total = Decimal(0)
        for dose in group:
            amount = _per_dose(dose, content)
            if isinstance(amount, str):
                return amount
            total += amount if content.transdermal else amount * dose.per_day
        highest = max(highest, total)
    return highest


def _counted(
    reference: str, content: OpioidContent, daily: Decimal, factors: Factors
) -> PrescriptionMme:
    opioid, unit = content.opioid, "ug/h" if content.transdermal else "mg/d"
    factor = factor_for(opioid, factors, daily)
    problem = None
    if opioid is FENTANYL and not content.transdermal:
        factor, problem = None, "the guideline gives no factor for fentanyl other than patches"
    elif factor is None:
        problem = f"the {factors} guideline gives no MME factor for {opioid.name}"
    mme = plain(daily * factor) if factor is not None else None
    return PrescriptionMme(reference, opioid, plain(daily), unit, factor, mme, problem)


def _marked_opioid(request: dict[str, Any]) -> bool:
    return any(
        coding.get("system") == PAIN_MEDICATION_CATEGORY and coding.get("code") == "opioid"
        for category in request.get("category") or []
        for coding in category.get("coding") or []
    )


def prescription_mme(
    request: dict[str, Any], medications: Mapping[str, dict[str, Any]], factors: Factors
) -> list[PrescriptionMme]:
    """One entry per opioid the prescription holds; none when it holds no opioid."""
    reference = f"MedicationRequest/{request.get('id')}"
    medication = medication_of(request, medications)
    if isinstance(medication, str):
        identified: tuple[OpioidContent, ...] | UnknownOpioid = (
            UnknownOpioid(medication) if _marked_opioid(request) else ()
        )
    else:
        identified = identify(medication)
    if identified == () and _marked_opioid(request):
        identified = UnknownOpioid("its medication is marked opioid but is not in painfhir's table")
    if isinstance(identified, UnknownOpioid):
        return [PrescriptionMme(reference, None, None, "mg/d", None, None, identified.reason)]
    doses = doses_of(request)
    found: list[PrescriptionMme] = []
    for content in identified:
        daily = doses if isinstance(doses, str) else daily_dose(doses, content)
        if isinstance(daily, str):
            found.append(
                PrescriptionMme(reference, content.opioid, None, "mg/d", None, None, daily)
            )
        else:
            found.append(_counted(reference, content, daily, factors))
    return found


def with_patient_methadone_factor(
    prescriptions: list[PrescriptionMme], factors: Factors
) -> list[PrescriptionMme]:
    """The 2016 methadone factor goes by the patient's total methadone mg/d, not one
    prescription's: two 15 mg/d prescriptions are 30 mg/d, factor 8 for both."""
    counted = [
        p
        for p in prescriptions
        if p.opioid is METHADONE and p.daily_dose is not None and p.factor is not None
    ]
    if factors != "2016" or not counted:
        return prescriptions
    mg_per_day = sum((p.daily_dose for p in counted if p.daily_dose is not None), Decimal(0))
    factor = methadone_factor_2016(mg_per_day)
    note = f"CDC 2016 methadone factor {factor} for the patient's {plain(mg_per_day)} mg/d in all"
    return [
        replace(p, factor=factor, mme=plain(p.daily_dose * factor), note=note)
        if p in counted and p.daily_dose is not None
        else p
        for p in prescriptions
    ]


def total_mme(prescriptions: list[PrescriptionMme]) -> Decimal:
    return plain(sum((p.mme for p in prescriptions if p.mme is not None), Decimal(0)))
