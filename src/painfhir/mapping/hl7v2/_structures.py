"""The message structures painfhir walks, as HL7 v2.5.1 defines them, with the optional
segments and groups that v2.6 to v2.8 added marked by the version that added them (the
corpus senders write v2.6 and v2.8, and PRT, ARV and UAC are where later versions put them).

Names are the standard's. Where a later version only wraps what v2.5.1 lists in a group of
its own (v2.7's SPECIMEN_OBSERVATION and CONTAINER_OBSERVATION, so an OBX keeps its PRT),
the later grouping is used; where it makes an optional segment required (ORDER_PRIOR's ORC
from v2.7), so does the walker for those versions. Elements a later version withdrew (ROL
where v2.7 put PRT, ORM_O01 as a whole) are still accepted: a receiver gains nothing by
refusing them.

Which structure a message has: MSH-9.3 when it names one of these, else HL7 table 0354's
entry for the message type and trigger event (REF^I14 uses REF_I12).
"""

from __future__ import annotations

from painfhir.mapping.hl7v2._structure import Structure, structure

REF_I12 = structure(
    "REF_I12",
    """MSH [{SFT}] [UAC@2.6] [RF1]
    [AUTHORIZATION_CONTACT: AUT [CTD]]
    {PROVIDER_CONTACT: PRD [{CTD}]}
    PID [{NK1}] [{GT1}]
    [{INSURANCE: IN1 [IN2] [IN3]}]
    [ACC] [{DG1}] [{DRG}] [{AL1}]
    [{PROCEDURE: PR1 [AUTHORIZATION_CONTACT: AUT [CTD]]}]
    [{OBSERVATION: OBR [{NTE}] [{RESULTS_NOTES: OBX [{PRT@2.8}] [{NTE}]}]}]
    [PATIENT_VISIT: PV1 [PV2]]
    [{NTE}]""",
)

OMG_O19 = structure(
    "OMG_O19",
    """MSH [{SFT}] [UAC@2.6] [{NTE}]
    [PATIENT: PID [PD1] [{PRT@2.7}] [{NTE}] [{NK1}] [{ARV@2.8}]
        [PATIENT_VISIT: PV1 [PV2] [{PRT@2.7}]]
        [{INSURANCE: IN1 [IN2] [IN3]}]
        [GT1] [{AL1}]]
    {ORDER: ORC [{PRT@2.7}]
        [{TIMING: TQ1 [{TQ2}]}]
        OBR [{NTE}] [{ROL@2.6}] [{PRT@2.7}] [CTD] [{DG1}]
        [{OBSERVATION: OBX [{PRT@2.7}] [{NTE}]}]
        [{SPECIMEN: SPM [{SPECIMEN_OBSERVATION: OBX [{PRT@2.7}]}]
            [{CONTAINER: SAC [{CONTAINER_OBSERVATION: OBX [{PRT@2.7}]}]}]}]
        [{PRIOR_RESULT: [PATIENT_PRIOR: PID [PD1] [{ARV@2.8}] [{PRT@2.7}]]
            [PATIENT_VISIT_PRIOR: PV1 [PV2] [{PRT@2.7}]] [{AL1}]
            {ORDER_PRIOR: [ORC!2.7] [{PRT@2.7}] OBR [{TIMING_PRIOR: TQ1 [{TQ2}]}]
                [{NTE}] [{ROL@2.6}] [{PRT@2.7}] [CTD]
                {OBSERVATION_PRIOR: OBX [{PRT@2.7}] [{NTE}]}}}]
        [{FT1}] [{CTI}] [BLG]}""",
)

OML_O21 = structure(
    "OML_O21",
    """MSH [{SFT}] [UAC@2.6] [{NTE}]
    [PATIENT: PID [PD1] [{PRT@2.7}] [{NTE}] [{NK1}] [{ARV@2.8}]
        [PATIENT_VISIT: PV1 [PV2] [{PRT@2.7}]]
        [{INSURANCE: IN1 [IN2] [IN3]}]
        [GT1] [{AL1}]]
    {ORDER: ORC [{PRT@2.7}]
        [{TIMING: TQ1 [{TQ2}]}]
        [OBSERVATION_REQUEST: OBR [TCD] [{NTE}] [{ROL@2.6}] [{PRT@2.7}] [CTD] [{DG1}]
            [{OBSERVATION: OBX [{PRT@2.7}] [TCD] [{NTE}]}]
            [{SPECIMEN: SPM [{SPECIMEN_OBSERVATION: OBX [{PRT@2.7}]}]
                [{CONTAINER: SAC [{CONTAINER_OBSERVATION: OBX [{PRT@2.7}]}]}]}]
            [{PRIOR_RESULT: [PATIENT_PRIOR: PID [PD1] [{PRT@2.7}] [{ARV@2.8}]]
                [PATIENT_VISIT_PRIOR: PV1 [PV2] [{PRT@2.7}]] [{AL1}]
                {ORDER_PRIOR: [ORC!2.7] [{PRT@2.7}] OBR [{NTE}] [{ROL@2.6}] [{PRT@2.7}]
                    [{TIMING_PRIOR: TQ1 [{TQ2}]}]
                    {OBSERVATION_PRIOR: OBX [{PRT@2.7}] [{NTE}]}}}]]
        [{FT1}] [{CTI}] [BLG]}""",
)

ORM_O01 = structure(
    "ORM_O01",
    """MSH [{NTE}]
    [PATIENT: PID [PD1] [{NTE}]
        [PATIENT_VISIT: PV1 [PV2]]
        [{INSURANCE: IN1 [IN2] [IN3]}]
        [GT1] [{AL1}]]
    {ORDER: ORC
        [ORDER_DETAIL: <OBR|RQD|RQ1|RXO|ODS|ODT> [{NTE}] [CTD] [{DG1}]
            [{OBSERVATION: OBX [{NTE}]}]]
        [{FT1}] [{CTI}] [BLG]}""",
)

RDE_O11 = structure(
    "RDE_O11",
    """MSH [{SFT}] [UAC@2.6] [{NTE}]
    [PATIENT: PID [PD1] [{PRT@2.7}] [{NTE}] [{ARV@2.8}]
        [PATIENT_VISIT: PV1 [PV2] [{PRT@2.7}] [{ARV@2.8}]]
        [{INSURANCE: IN1 [IN2] [IN3]}]
        [GT1] [{AL1}]]
    {ORDER: ORC [{PRT@2.7}]
        [{TIMING: TQ1 [{TQ2}]}]
        [ORDER_DETAIL: RXO [{PRT@2.8}] [{NTE}] {RXR} [{COMPONENT: RXC [{NTE}]}]]
        RXE [{PRT@2.7}] [{NTE}]
        {TIMING_ENCODED: TQ1 [{TQ2}]}
        [{PHARMACY_TREATMENT_INFUSION_ORDER@2.8: RXV [{PRT}] [{NTE}]
            {TIMING_ENCODED: TQ1 [{TQ2}]}}]
        {RXR} [{RXC}] [{CDO@2.8}]
        [{OBSERVATION: OBX [{PRT@2.7}] [{NTE}]}]
        [{FT1}] [BLG] [{CTI}]}""",
)

STRUCTURES: dict[str, Structure] = {
    each.name: each for each in (REF_I12, OMG_O19, OML_O21, ORM_O01, RDE_O11)
}

# HL7 table 0354: the structure each message type and trigger event uses.
EVENTS: dict[tuple[str, str], str] = {
    ("REF", "I12"): "REF_I12",
    ("REF", "I13"): "REF_I12",
    ("REF", "I14"): "REF_I12",
    ("REF", "I15"): "REF_I12",
    ("OMG", "O19"): "OMG_O19",
    ("OML", "O21"): "OML_O21",
    ("ORM", "O01"): "ORM_O01",
    ("RDE", "O11"): "RDE_O11",
    ("RDE", "O25"): "RDE_O11",
}
