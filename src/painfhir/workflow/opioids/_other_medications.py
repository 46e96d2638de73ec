"""The other medications the opioid checks look for: benzodiazepines, rescue naloxone, and
non-opioid pain medications.

A medication is recognised by its RxNorm clinical drug code (the common products), by an
ingredient code (a Medication's ingredients, or a code at the ingredient level), or — for
benzodiazepines and the non-opioid pain medications, whose products are too many to list — by
the ingredient's name in the medication's text or display. Product codes come from the CDC
value sets "Benzodiazepine medications" and "Naloxone medications" (HL7 cdc-opioid-cpg,
2025-02); ingredient codes were checked against an RxNorm listing (CPIC's drug table) where
one was found, and the others are marked unconfirmed.
"""

from __future__ import annotations

# Ingredients (RxNorm IN), by code → name. Confirmed in RxNorm listings: naloxone,
# acetaminophen, clobazam, diazepam, midazolam, oxazepam and the non-opioid analgesics marked so.
NALOXONE = "7242"
BENZODIAZEPINE_INGREDIENTS = {
    "21241": "clobazam",
    "3322": "diazepam",
    "6960": "midazolam",
    "7781": "oxazepam",
    # unconfirmed: to be checked against RxNorm before relying on the code
    "596": "alprazolam",
    "2356": "chlordiazepoxide",
    "2598": "clonazepam",
    "2353": "clorazepate",
    "4077": "estazolam",
    "4501": "flurazepam",
    "6470": "lorazepam",
    "8983": "quazepam",
    "10355": "temazepam",
    "10767": "triazolam",
}
NON_OPIOID_ANALGESIC_INGREDIENTS = {
    "161": "acetaminophen",
    "5640": "ibuprofen",
    "7258": "naproxen",
    "140587": "celecoxib",
    "41493": "meloxicam",
    "3355": "diclofenac",
    "25480": "gabapentin",
    "187832": "pregabalin",
    "72625": "duloxetine",
    "39786": "venlafaxine",
    "704": "amitriptyline",
    "7531": "nortriptyline",
    "21949": "cyclobenzaprine",
    "57258": "tizanidine",
    "1292": "baclofen",
    "6387": "lidocaine",
}  # confirmed: acetaminophen, amitriptyline, celecoxib, diclofenac, duloxetine, lidocaine,
# nortriptyline, venlafaxine; the others unconfirmed

BENZODIAZEPINE_PRODUCTS = frozenset(
    {
        # alprazolam
        "308047", "308048", "197321", "197322", "308049", "308050",
        "433798", "433799", "433800", "433801", "485413", "485414", "485415", "485416",
        "141927", "141928", "214003", "214004",
        # clonazepam
        "197527", "197528", "197529", "349194", "349195", "349196", "349197", "349198",
        "387007", "387008", "206157", "206159", "206160",
        # diazepam
        "197589", "197590", "197591", "309843", "309844", "108379", "108380", "141926",
        "104699", "104700", "104701", "2682564", "2682571", "2682575", "2682578", "2682581",
        # lorazepam
        "197900", "197901", "197902", "199275", "311376", "104719", "206821", "206828",
        "2569564", "2569573", "2569577", "2594600",
        # temazepam
        "198241", "198242", "198243", "485489", "208463", "208464", "208465",
        # triazolam, chlordiazepoxide, clorazepate, clobazam, estazolam, quazepam, flurazepam
        "198317", "198318", "905369", "905495", "905505", "905516", "905521", "905532",
        "197464", "197465", "197466", "199450", "246172", "427538", "1366192",
        "197653", "197654", "198183", "198184", "1298088", "1298091",
    }
)  # fmt: skip

# Naloxone alone — nasal sprays, injections, auto-injectors. Opioid + naloxone combinations
# (buprenorphine/naloxone, oxycodone/naloxone, pentazocine/naloxone) never reverse an overdose
# and are not here.
RESCUE_NALOXONE_PRODUCTS = frozenset(
    {
        "1725059", "1870933", "2540703", "2637879", "2673091", "2685612",  # nasal sprays
        "1725064", "1870935", "2540709", "2680741",  # Narcan, Kloxxado, Rextovy
        "1855730", "2596175", "1191222", "1191228", "1191212", "1191234", "1191250",
        "1659929", "2589612", "2589618", "2679504",  # injections
    }
)  # fmt: skip

NON_OPIOID_ANALGESIC_PRODUCTS = frozenset({"310431"})  # gabapentin 300 MG Oral Capsule
