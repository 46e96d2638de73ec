"""Which opioid a medication holds, and at what strength per dose unit.

By RxNorm product code first (the bundled table), then by a Medication's ingredients (an
opioid ingredient code with its strength), then by an ingredient-level code (the strength is
then unknown, so only a dose in mg can be used). A product of the CDC opioid value set that the
table does not hold, or a medication named after an opioid, is an unknown opioid product: the
caller warns, it never counts zero. Anything else is not an opioid as far as painfhir knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from painfhir.workflow.opioids._ingredients import OPIOID_NAMES, OPIOIDS_BY_RXCUI, Opioid
from painfhir.workflow.opioids._medication import Amount, Ingredient, Medication
from painfhir.workflow.opioids._products import PRODUCTS, OpioidProduct
from painfhir.workflow.opioids._value_set import OPIOID_VALUE_SET


@dataclass(frozen=True, slots=True)
class OpioidContent:
    """One opioid ingredient of a prescribed medication."""

    opioid: Opioid
    strength: Decimal | None  # per dose unit; None when only the ingredient is known
    strength_unit: str  # mg (per unit), mg/mL, mcg/h or mg/actuation
    transdermal: bool
    product: OpioidProduct | None = None


@dataclass(frozen=True, slots=True)
class UnknownOpioid:
    reason: str


Identified = tuple[OpioidContent, ...] | UnknownOpioid


_MG_PER = {"mg": Decimal(1), **dict.fromkeys(("ug", "mcg", "µg", "μg"), Decimal("0.001"))}
_HOURS = ("h", "hr")


def _from_product(product: OpioidProduct) -> OpioidContent:
    form = product.form
    return OpioidContent(
        product.opioid, product.strength, form.strength_unit, form.transdermal, product
    )


def _strength(amount: Amount, per: Amount | None) -> tuple[Decimal, str] | None:
    """An ingredient strength as (value, unit) in painfhir's units, or None if unusable.

    A patch's is a rate, in mcg/h: its mass (UCUM `ug` or `mg`; `mcg` and `µg` are common
    too) per `h` (75 ug / 1 h), or a rate per patch (0.075 mg/h / 1 {patch})."""
    unit, per_unit = amount.unit.lower(), (per.unit.lower() if per else "")
    per_value = per.value if per and per.value else Decimal(1)
    mass, _, rate_per = unit.partition("/")
    if mass not in _MG_PER or rate_per not in ("", *_HOURS):
        return None
    mg = amount.value / per_value * _MG_PER[mass]
    if per_unit in _HOURS or rate_per:
        return mg * 1000, "mcg/h"
    return (mg, "mg/mL") if per_unit == "ml" else (mg, "mg")


def _from_ingredient(ingredient: Ingredient, opioid: Opioid) -> OpioidContent | UnknownOpioid:
    if ingredient.amount is None:
        return OpioidContent(opioid, None, "mg", transdermal=False)
    strength = _strength(ingredient.amount, ingredient.per)
    if strength is None:
        return UnknownOpioid(f"the {opioid.name} strength's unit {ingredient.amount.unit!r}")
    value, unit = strength
    return OpioidContent(opioid, value, unit, transdermal=unit == "mcg/h")


def _ingredient_opioid(ingredient: Ingredient) -> Opioid | None:
    for code in ingredient.concept.rxnorm:
        if code in OPIOIDS_BY_RXCUI:
            return OPIOIDS_BY_RXCUI[code]
        if code in PRODUCTS:
            return PRODUCTS[code].opioid
    return None


def identify(medication: Medication) -> Identified:
    """The opioids of a medication: none (not an opioid), some, or an unknown opioid."""
    for code in medication.concept.rxnorm:
        if code in PRODUCTS:
            return (_from_product(PRODUCTS[code]),)
    contents: list[OpioidContent] = []
    for ingredient in medication.ingredients:
        opioid = _ingredient_opioid(ingredient)
        if opioid is not None:
            content = _from_ingredient(ingredient, opioid)
            if isinstance(content, UnknownOpioid):
                return content
            contents.append(content)
    if contents:
        return tuple(contents)
    for code in medication.concept.rxnorm:
        if code in OPIOIDS_BY_RXCUI:
            return (OpioidContent(OPIOIDS_BY_RXCUI[code], None, "mg", transdermal=False),)
    return _unlisted_opioid(medication)


def _unlisted_opioid(medication: Medication) -> Identified:
    """An opioid product without a strength painfhir knows: by value-set code, else by name."""
    concepts = [medication.concept, *(i.concept for i in medication.ingredients)]
    codes = [code for concept in concepts for code in concept.rxnorm]
    for code in codes:
        if code in OPIOID_VALUE_SET:
            name = OPIOID_VALUE_SET[code]
            return UnknownOpioid(f"a {name} product whose strength painfhir's table lacks ({code})")
    for name in OPIOID_NAMES:
        if any(concept.named(name) for concept in concepts):
            listed = ", ".join(medication.concept.rxnorm) or "no RxNorm code"
            return UnknownOpioid(f"a {name} product painfhir's table does not know ({listed})")
    return ()
