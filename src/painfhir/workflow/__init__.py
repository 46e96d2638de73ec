"""The pain clinic's workflow on top of the store: reactions to writes (the referral Task,
intake, consultation scores, the MDT, care plans, opioid safety) and the content it ships."""

from painfhir.store import Store
from painfhir.workflow._reactions import reactions_for
from painfhir.workflow.careplan import install_templates
from painfhir.workflow.consultation import install_questionnaires


def install_content(store: Store) -> None:
    """Store what the workflow ships — the assessment Questionnaires and the pathway
    templates — where it is missing or differs (several workers may start at once)."""
    install_questionnaires(store)
    install_templates(store)


__all__ = ["install_content", "reactions_for"]
