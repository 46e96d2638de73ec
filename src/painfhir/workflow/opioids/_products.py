"""The bundled opioid products: RxNorm clinical drug → opioid ingredient, strength, dose form.

Every code here was checked against a published RxNorm expansion with the same name and
strength — the CDC opioid value sets ("Opioid analgesics with ambulatory misuse potential",
the HL7 cdc-opioid-cpg guide, 2025-02; "naloxone medications" of the CQF chronic-pain guide
for the oxycodone/naloxone tablets) — and is marked `confirmed`; a code added later without
that check must say so. docs/opioid-safety.md lists what is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from painfhir.workflow.opioids._ingredients import (
    BUPRENORPHINE,
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
    Opioid,
)


@dataclass(frozen=True, slots=True)
class DoseForm:
    """How the product is taken, and what one counted dose of it is."""

    name: str
    route: str
    unit: str  # one dose unit: tablet, capsule, patch, film, lozenge, actuation, or mL
    strength_unit: str  # the unit of the strength: mg (per unit), mg/mL, mcg/h, mg/actuation

    @property
    def transdermal(self) -> bool:
        return self.route == "transdermal"


ORAL_TABLET = DoseForm("oral tablet", "oral", "tablet", "mg")
ER_ORAL_TABLET = DoseForm("extended-release oral tablet", "oral", "tablet", "mg")
ORAL_CAPSULE = DoseForm("oral capsule", "oral", "capsule", "mg")
ER_ORAL_CAPSULE = DoseForm("extended-release oral capsule", "oral", "capsule", "mg")
ORAL_SOLUTION = DoseForm("oral solution", "oral", "mL", "mg/mL")
PATCH = DoseForm("transdermal patch", "transdermal", "patch", "mcg/h")
BUCCAL_TABLET = DoseForm("buccal tablet", "buccal", "tablet", "mg")
BUCCAL_FILM = DoseForm("buccal film", "buccal", "film", "mg")
SUBLINGUAL_TABLET = DoseForm("sublingual tablet", "sublingual", "tablet", "mg")
SUBLINGUAL_FILM = DoseForm("sublingual film", "sublingual", "film", "mg")
LOZENGE = DoseForm("oral lozenge", "oromucosal", "lozenge", "mg")
NASAL_SPRAY = DoseForm("nasal spray", "nasal", "actuation", "mg/actuation")
MUCOSAL_SPRAY = DoseForm("sublingual spray", "sublingual", "actuation", "mg/actuation")


@dataclass(frozen=True, slots=True)
class OpioidProduct:
    rxcui: str
    opioid: Opioid
    strength: Decimal  # of the opioid, in form.strength_unit
    form: DoseForm
    # The other ingredient of a combination: acetaminophen, ibuprofen, or naloxone — there to
    # deter misuse, so never counted as rescue naloxone.
    partner: str | None = None
    confirmed: bool = True  # checked against a published RxNorm expansion (see above)


PRODUCTS: dict[str, OpioidProduct] = {}


def _add(
    opioid: Opioid, form: DoseForm, strengths: dict[str, str], partner: str | None = None
) -> None:
    for rxcui, strength in strengths.items():
        PRODUCTS[rxcui] = OpioidProduct(rxcui, opioid, Decimal(strength), form, partner)


# codeine
_add(CODEINE, ORAL_TABLET, {"997169": "15", "997285": "30", "997301": "60"})  # phosphate
_add(CODEINE, ORAL_TABLET, {"997170": "15", "997287": "30", "997296": "60"})  # sulfate
_add(CODEINE, ORAL_TABLET, {"993770": "15", "993781": "30", "993890": "60"}, "acetaminophen")
_add(CODEINE, ORAL_TABLET, {"993837": "30", "993892": "60"}, "acetaminophen")  # Tylenol-Codeine
_add(CODEINE, ORAL_SOLUTION, {"996734": "5"})
_add(CODEINE, ORAL_SOLUTION, {"993755": "2.4"}, "acetaminophen")

# fentanyl
_add(
    FENTANYL,
    PATCH,
    {
        "577057": "12",
        "245134": "25",
        "1603495": "37.5",
        "245135": "50",
        "1603498": "62.5",
        "197696": "75",
        "1603501": "87.5",
        "245136": "100",
    },
)
_add(
    FENTANYL,
    BUCCAL_TABLET,
    {"668363": "0.1", "668364": "0.2", "706898": "0.3", "668365": "0.4", "668366": "0.6"},
)
_add(FENTANYL, BUCCAL_TABLET, {"668367": "0.8"})
_add(
    FENTANYL,
    BUCCAL_FILM,
    {"858092": "0.2", "858095": "0.4", "858098": "0.6", "858101": "0.8", "858087": "1.2"},
)
_add(
    FENTANYL,
    SUBLINGUAL_TABLET,
    {
        "1053647": "0.1",
        "1053652": "0.2",
        "1053655": "0.3",
        "1053658": "0.4",
        "1053661": "0.6",
        "1053664": "0.8",
    },
)
_add(
    FENTANYL,
    LOZENGE,
    {
        "310295": "0.2",
        "310297": "0.4",
        "313992": "0.6",
        "313993": "0.8",
        "310293": "1.2",
        "310294": "1.6",
    },
)
_add(FENTANYL, NASAL_SPRAY, {"1115573": "0.1", "1729320": "0.3", "1115577": "0.4"})
_add(
    FENTANYL,
    MUCOSAL_SPRAY,
    {"1237050": "0.1", "1237057": "0.2", "1237060": "0.4", "1237064": "0.6", "1237068": "0.8"},
)

# hydrocodone (bitartrate)
_add(
    HYDROCODONE,
    ORAL_TABLET,
    {"857391": "2.5", "857002": "5", "857005": "7.5", "856999": "10"},
    "acetaminophen",
)  # acetaminophen 325 MG
_add(HYDROCODONE, ORAL_TABLET, {"857004": "5", "857007": "7.5", "857001": "10"}, "acetaminophen")
_add(HYDROCODONE, ORAL_TABLET, {"856987": "5", "856992": "7.5", "856980": "10"}, "acetaminophen")
_add(
    HYDROCODONE,
    ORAL_TABLET,
    {"858770": "2.5", "858778": "5", "858798": "7.5", "859315": "10"},
    "ibuprofen",
)
_add(HYDROCODONE, ORAL_TABLET, {"860599": "7.5"})
_add(
    HYDROCODONE,
    ER_ORAL_CAPSULE,
    {
        "1860491": "10",
        "1860493": "15",
        "1860495": "20",
        "1860497": "30",
        "1860499": "40",
        "1860501": "50",
    },
)
_add(
    HYDROCODONE,
    ER_ORAL_TABLET,
    {
        "1595730": "20",
        "1595740": "30",
        "1595746": "40",
        "1595752": "60",
        "1595758": "80",
        "1595764": "100",
        "1595770": "120",
    },
)
_add(
    HYDROCODONE,
    ORAL_SOLUTION,
    {"1044427": "0.667", "856940": "0.5", "856944": "0.67"},
    "acetaminophen",
)

# hydromorphone (hydrochloride)
_add(
    HYDROMORPHONE,
    ORAL_TABLET,
    {"897771": "1", "897696": "2", "898139": "3", "897702": "4", "897710": "8"},
)
_add(HYDROMORPHONE, ORAL_TABLET, {"897698": "2", "897704": "4", "897712": "8"})  # Dilaudid
_add(HYDROMORPHONE, ORAL_SOLUTION, {"897657": "1", "897658": "1"})
_add(
    HYDROMORPHONE, ER_ORAL_TABLET, {"902741": "8", "902729": "12", "902736": "16", "1306898": "32"}
)

# methadone (hydrochloride)
_add(METHADONE, ORAL_TABLET, {"864718": "5", "864706": "10", "864978": "40"})
_add(METHADONE, ORAL_TABLET, {"864720": "5", "864708": "10", "864737": "5", "864712": "10"})
_add(
    METHADONE,
    ORAL_SOLUTION,
    {"864761": "1", "864769": "2", "864826": "5", "991147": "10", "991149": "10", "864984": "20"},
)

# morphine (sulfate)
_add(
    MORPHINE,
    ORAL_TABLET,
    {"895014": "10", "892582": "15", "895201": "20", "892672": "30", "895247": "60"},
)
_add(MORPHINE, ORAL_CAPSULE, {"892579": "15", "892669": "30"})
_add(MORPHINE, ORAL_SOLUTION, {"892589": "2", "894780": "4", "895016": "10", "892625": "20"})
_add(
    MORPHINE,
    ER_ORAL_TABLET,
    {
        "895217": "5",
        "891881": "15",
        "891888": "30",
        "891893": "60",
        "891874": "100",
        "892646": "200",
    },
)
_add(
    MORPHINE,
    ER_ORAL_TABLET,
    {"892574": "15", "892660": "30", "894813": "60", "892560": "100", "892648": "200"},
)  # MS Contin
_add(
    MORPHINE,
    ER_ORAL_CAPSULE,
    {
        "892494": "10",
        "892596": "20",
        "892345": "30",
        "1303736": "40",
        "894801": "50",
        "892352": "60",
        "894814": "80",
        "892554": "100",
        "892643": "200",
        "892342": "30",
        "894942": "45",
        "892349": "60",
        "894970": "75",
        "892355": "90",
        "892297": "120",
    },
)

# oxycodone (hydrochloride; Xtampza is dosed as oxycodone base)
_add(
    OXYCODONE,
    ORAL_TABLET,
    {
        "1049621": "5",
        "1113314": "7.5",
        "1049683": "10",
        "1049611": "15",
        "1049686": "20",
        "1049618": "30",
    },
)
_add(OXYCODONE, ORAL_TABLET, {"1049623": "5", "1049613": "15", "1049620": "30"})  # Roxicodone
_add(OXYCODONE, ORAL_CAPSULE, {"1049696": "5", "1049717": "10", "1049721": "20"})
_add(OXYCODONE, ORAL_SOLUTION, {"1049604": "1", "1049720": "10", "1049615": "20"})
_add(
    OXYCODONE,
    ER_ORAL_TABLET,
    {
        "1049502": "10",
        "1049543": "15",
        "1049563": "20",
        "1049574": "30",
        "1049584": "40",
        "1049593": "60",
        "1049599": "80",
    },
)
_add(
    OXYCODONE,
    ER_ORAL_TABLET,
    {
        "1860157": "10",
        "1860154": "15",
        "1860129": "20",
        "1860151": "30",
        "1860137": "40",
        "1860127": "60",
        "1860148": "80",
    },
)  # abuse-deterrent
_add(
    OXYCODONE,
    ER_ORAL_TABLET,
    {
        "1049504": "10",
        "1049545": "15",
        "1049565": "20",
        "1049576": "30",
        "1049586": "40",
        "1049595": "60",
        "1049601": "80",
    },
)  # OxyContin
_add(
    OXYCODONE,
    ER_ORAL_CAPSULE,
    {"1790527": "9", "1791558": "13.5", "1791567": "18", "1791574": "27", "1791580": "36"},
)
_add(
    OXYCODONE,
    ORAL_TABLET,
    {"1049635": "2.5", "1049221": "5", "1049225": "7.5", "1049214": "10"},
    "acetaminophen",
)  # acetaminophen 325 MG
_add(
    OXYCODONE,
    ORAL_TABLET,
    {"1049637": "2.5", "1049640": "5", "1049642": "7.5", "1049625": "10"},
    "acetaminophen",
)  # Percocet
_add(OXYCODONE, ORAL_TABLET, {"1049223": "5", "1049216": "10"}, "acetaminophen")  # Endocet
_add(OXYCODONE, ORAL_TABLET, {"1014615": "5", "1014632": "7.5", "1014599": "10"}, "acetaminophen")
_add(OXYCODONE, ORAL_SOLUTION, {"1049580": "1"}, "acetaminophen")
_add(OXYCODONE, ORAL_TABLET, {"1049589": "5"}, "ibuprofen")
_add(
    OXYCODONE,
    ER_ORAL_TABLET,
    {"1545910": "10", "1545903": "20", "1545907": "40", "2268081": "20", "2268085": "40"},
    "naloxone",
)  # Targiniq and its generic

# oxymorphone (hydrochloride)
_add(OXYMORPHONE, ORAL_TABLET, {"977939": "5", "977942": "10"})
_add(
    OXYMORPHONE,
    ER_ORAL_TABLET,
    {
        "977923": "5",
        "977929": "7.5",
        "977874": "10",
        "977894": "15",
        "977902": "20",
        "977909": "30",
        "977915": "40",
    },
)

# tapentadol
_add(TAPENTADOL, ORAL_TABLET, {"825411": "50", "825413": "75", "825409": "100"})
_add(TAPENTADOL, ORAL_TABLET, {"854142": "50", "854144": "75", "854140": "100"})  # Nucynta
_add(
    TAPENTADOL,
    ER_ORAL_TABLET,
    {"1148809": "50", "1148797": "100", "1148800": "150", "1148803": "200", "1148807": "250"},
)
_add(TAPENTADOL, ORAL_SOLUTION, {"1356315": "20"})

# tramadol (hydrochloride)
_add(
    TRAMADOL,
    ORAL_TABLET,
    {"2670390": "25", "835603": "50", "835605": "50", "2692878": "75", "2179635": "100"},
)
_add(TRAMADOL, ORAL_CAPSULE, {"836466": "50"})
_add(TRAMADOL, ORAL_TABLET, {"836395": "37.5", "836397": "37.5"}, "acetaminophen")
_add(TRAMADOL, ER_ORAL_TABLET, {"833709": "100", "833711": "200", "833713": "300"})
_add(
    TRAMADOL,
    ER_ORAL_CAPSULE,
    {"1148478": "100", "1248115": "150", "1148485": "200", "1148489": "300"},
)
_add(TRAMADOL, ORAL_SOLUTION, {"2395808": "5", "836485": "1"})

# buprenorphine (not converted, but an opioid for every other check)
_add(
    BUPRENORPHINE,
    PATCH,
    {"904880": "5", "1542997": "7.5", "904870": "10", "1432969": "15", "904876": "20"},
)
_add(
    BUPRENORPHINE,
    PATCH,
    {"904882": "5", "1542999": "7.5", "904874": "10", "1432971": "15", "904878": "20"},
)  # BuTrans
_add(
    BUPRENORPHINE,
    BUCCAL_FILM,
    {
        "1716077": "0.075",
        "1716057": "0.15",
        "1716065": "0.3",
        "1716069": "0.45",
        "1716073": "0.6",
        "1716081": "0.75",
        "1716086": "0.9",
    },
)
_add(
    BUPRENORPHINE,
    SUBLINGUAL_TABLET,
    {"246474": "0.2", "250426": "0.4", "351264": "2", "351265": "8"},
)
_add(
    BUPRENORPHINE,
    SUBLINGUAL_FILM,
    {
        "1010600": "2",
        "1307056": "4",
        "1010604": "8",
        "1307061": "12",
        "1010603": "2",
        "1010606": "8",
    },
    "naloxone",
)
_add(
    BUPRENORPHINE,
    SUBLINGUAL_TABLET,
    {
        "351266": "2",
        "351267": "8",
        "1864412": "0.7",
        "1431076": "1.4",
        "1666338": "2.9",
        "1431102": "5.7",
        "1597573": "8.6",
        "1597568": "11.4",
    },
    "naloxone",
)
_add(BUPRENORPHINE, BUCCAL_FILM, {"1542390": "2.1", "1544851": "4.2", "1544854": "6.3"}, "naloxone")
