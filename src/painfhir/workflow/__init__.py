"""The pain clinic's workflow on top of the store: reactions to writes (the referral Task,
intake, consultation scores, the MDT, care plans, opioid safety) and the content it ships."""

import logging

from painfhir.fhir.outcome import FhirError
from painfhir.store import Store
from painfhir.workflow._reactions import reactions_for
from painfhir.workflow.careplan import install_templates
from painfhir.workflow.consultation import install_questionnaires

log = logging.getLogger(__name__)


def install_content(store: Store) -> None:
    """Store what the workflow ships — the assessment Questionnaires and the pathway
    templates — where it is missing or differs.

    Several workers may start at once on one PostgreSQL: when another stored the same
    content first, the write conflicts (409), and running the install again finds nothing
    left to do."""
    for install in (install_questionnaires, install_templates):
        try:
            install(store)
        except FhirError as error:
            if error.status != 409:
                raise
            log.info("Shipped content was being installed by another worker: %s", error)
            install(store)


__all__ = ["install_content", "reactions_for"]
