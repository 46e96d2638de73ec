"""The questionnaires painfhir ships (questionnaires/*.json), stored under their fixed ids
when the service starts — only where the stored one differs, so starting again, or several
workers starting together, writes nothing new."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.interactions import writes
from painfhir.store import Store

Json = dict[str, Any]
log = logging.getLogger(__name__)


def _shipped() -> dict[str, Json]:
    folder = resources.files("painfhir.workflow.consultation") / "questionnaires"
    found = (parse_json(entry.read_bytes()) for entry in folder.iterdir())
    return {questionnaire["id"]: questionnaire for questionnaire in found}


QUESTIONNAIRES = _shipped()


def _as_stored(content: bytes) -> Json:
    stored: Json = parse_json(content)
    stored.pop("meta", None)
    return stored


def install_questionnaires(store: Store) -> list[str]:
    """Store the shipped questionnaires that are missing or changed; returns their ids."""
    with store.write() as session:
        written = []
        for questionnaire_id, questionnaire in QUESTIONNAIRES.items():
            current = session.current("Questionnaire", questionnaire_id)
            if current and current.content and _as_stored(current.content) == questionnaire:
                continue
            writes.update(session, questionnaire_id, questionnaire)
            written.append(questionnaire_id)
        return written
