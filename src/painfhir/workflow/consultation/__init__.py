"""The initial consultation: the assessment questionnaires painfhir ships (PEG, PHQ-9, GAD-7,
Opioid Risk Tool, pain now and its impact), installed with fixed ids when the service starts,
and the scoring of their completed responses into Observations, in the same transaction as the
response (docs/workflow.md#the-initial-consultation).

Pure parts: `SCORERS` (a response's answers → its Observations). Service parts:
`install_questionnaires` and the write reaction in `CONSULTATION_REACTIONS`.
"""

from painfhir.interactions.reactions import Reaction
from painfhir.workflow.consultation._questionnaires import QUESTIONNAIRES, install_questionnaires
from painfhir.workflow.consultation._reaction import derived_observation_id, score_response
from painfhir.workflow.consultation._scoring import SCORERS, Instrument

CONSULTATION_REACTIONS: dict[str, tuple[Reaction, ...]] = {
    "QuestionnaireResponse": (score_response,),
}

__all__ = [
    "CONSULTATION_REACTIONS",
    "QUESTIONNAIRES",
    "SCORERS",
    "Instrument",
    "derived_observation_id",
    "install_questionnaires",
    "score_response",
]
