"""The opioid ingredients and their morphine-equivalence factors (CDC 2022; 2016 to compare).

Factors multiply the ingredient's daily dose in mg — for transdermal fentanyl, the patch's
mcg/h. Where a guideline gives no factor the ingredient is not converted, and the MME total
says so in a warning instead of counting zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

Factors = Literal["2022", "2016"]


@dataclass(frozen=True, slots=True)
class Opioid:
    """An opioid ingredient (RxNorm IN) and its factors; None where a guideline has none."""

    rxcui: str
    name: str
    factor_2022: Decimal | None
    factor_2016: Decimal | None


CODEINE = Opioid("2670", "codeine", Decimal("0.15"), Decimal("0.15"))
# The factors of fentanyl are for transdermal patches, per mcg/h; the guidelines give none for
# buccal, sublingual or nasal fentanyl (see `transdermal_only`).
FENTANYL = Opioid("4337", "fentanyl", Decimal("2.4"), Decimal("2.4"))
HYDROCODONE = Opioid("5489", "hydrocodone", Decimal(1), Decimal(1))
HYDROMORPHONE = Opioid("3423", "hydromorphone", Decimal(5), Decimal(4))
# The 2016 factor of methadone depends on the daily dose: `methadone_factor_2016`.
METHADONE = Opioid("6813", "methadone", Decimal("4.7"), Decimal(4))
MORPHINE = Opioid("7052", "morphine", Decimal(1), Decimal(1))
OXYCODONE = Opioid("7804", "oxycodone", Decimal("1.5"), Decimal("1.5"))
OXYMORPHONE = Opioid("7814", "oxymorphone", Decimal(3), Decimal(3))
TAPENTADOL = Opioid("787390", "tapentadol", Decimal("0.4"), None)
TRAMADOL = Opioid("10689", "tramadol", Decimal("0.2"), None)
# A partial agonist: the 2022 guideline says not to convert it to MME.
BUPRENORPHINE = Opioid("1819", "buprenorphine", None, None)

OPIOIDS = (
    CODEINE,
    FENTANYL,
    HYDROCODONE,
    HYDROMORPHONE,
    METHADONE,
    MORPHINE,
    OXYCODONE,
    OXYMORPHONE,
    TAPENTADOL,
    TRAMADOL,
    BUPRENORPHINE,
)
OPIOIDS_BY_RXCUI = {opioid.rxcui: opioid for opioid in OPIOIDS}

# Opioids the guideline's table leaves out: a medication named after one is an opioid
# painfhir cannot convert, which must be said rather than counted as zero.
OTHER_OPIOID_NAMES = (
    "benzhydrocodone",
    "butorphanol",
    "dihydrocodeine",
    "levorphanol",
    "meperidine",
    "pentazocine",
    "sufentanil",
    "opium",
    "dextromoramide",
    "dipipanone",
    "heroin",
    "levomethadyl",
    "meptazinol",
    "pholcodine",
    "propoxyphene",
)
OPIOID_NAMES = tuple(opioid.name for opioid in OPIOIDS) + OTHER_OPIOID_NAMES

_METHADONE_2016_BANDS = (
    (Decimal(20), Decimal(4)),
    (Decimal(40), Decimal(8)),
    (Decimal(60), Decimal(10)),
)


def methadone_factor_2016(mg_per_day: Decimal) -> Decimal:
    """4 up to 20 mg/d, 8 up to 40, 10 up to 60, 12 above (CDC 2016)."""
    for upper, factor in _METHADONE_2016_BANDS:
        if mg_per_day <= upper:
            return factor
    return Decimal(12)


def factor_for(opioid: Opioid, factors: Factors, mg_per_day: Decimal) -> Decimal | None:
    if factors == "2022":
        return opioid.factor_2022
    if opioid is METHADONE:
        return methadone_factor_2016(mg_per_day)
    return opioid.factor_2016
