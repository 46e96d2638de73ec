"""The write reaction of QuestionnaireResponse: a completed (or amended) response to one of
the shipped questionnaires is scored in the same transaction, and its Observations are stored
with ids made from the response's, so a corrected response replaces its scores; a response
withdrawn (entered-in-error, stopped) withdraws them. The response itself is kept as sent,
whether or not it can be scored."""

from __future__ import annotations

import uuid
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import writes
from painfhir.store import StoredVersion, WriteSession
from painfhir.validation.validator import write_refusal
from painfhir.workflow.consultation._instruments import NotScoredError
from painfhir.workflow.consultation._observations import ResponseContext
from painfhir.workflow.consultation._responses import answers_by_link, questionnaire_id
from painfhir.workflow.consultation._scoring import SCORERS

Json = dict[str, Any]
SCORED_STATUSES = ("completed", "amended")
WITHDRAWN_STATUSES = ("entered-in-error", "stopped")
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "http://painfhir.org/fhir/derived-observation")


def derived_observation_id(kind: str, response_id: str) -> str:
    """`peg-{response id}`, or a uuid5 of it when that would pass FHIR's 64 characters."""
    readable = f"{kind}-{response_id}"
    return readable if len(readable) <= 64 else str(uuid.uuid5(_IDS, readable))


def _context(session: WriteSession, version: StoredVersion, response: Json) -> ResponseContext:
    authored = response.get("authored")
    # The profiles want the day at least; a response dated to the month is dated when stored.
    effective = authored if isinstance(authored, str) and len(authored) >= 10 else None
    return ResponseContext(
        response=version.reference,
        subject=response["subject"],
        effective=effective or session.now.isoformat(timespec="seconds"),
        performer=response.get("author"),
        encounter=response.get("encounter"),
    )


def _gender(session: WriteSession, subject: str) -> str | None:
    stored = session.current("Patient", subject.removeprefix("Patient/"))
    if stored is None or stored.content is None:
        return None
    gender = parse_json(stored.content).get("gender")
    return gender if isinstance(gender, str) else None


def _withdraw(session: WriteSession, version: StoredVersion, kinds: tuple[str, ...]) -> list[Issue]:
    issues = []
    for kind in kinds:
        obs_id = derived_observation_id(kind, version.res_id)
        stored = session.current("Observation", obs_id)
        if stored is None or stored.content is None:
            continue
        observation = parse_json(stored.content)
        if observation.get("status") != "entered-in-error":
            writes.update(session, obs_id, {**observation, "status": "entered-in-error"})
            issues.append(Issue("information", "informational", f"Withdrew Observation/{obs_id}"))
    return issues


def _summary(obs_id: str, observation: Json) -> str:
    """ "Derived Observation/phq-9-total-7: PHQ-9 total score 12 (Moderate depression)"."""
    values = [str(observation["valueInteger"])] if "valueInteger" in observation else []
    values += [f"mean {c['valueQuantity']['value']}" for c in observation.get("component", [])
               if "valueQuantity" in c]  # fmt: skip
    bands = [f"({i['text']})" for i in observation.get("interpretation", [])]
    return " ".join(
        [f"Derived Observation/{obs_id}:", observation["code"]["text"], *values, *bands]
    )


def _store(session: WriteSession, version: StoredVersion, derived: dict[str, Json]) -> list[Issue]:
    issues = []
    for kind, observation in derived.items():
        obs_id = derived_observation_id(kind, version.res_id)
        refusal = write_refusal({**observation, "id": obs_id})
        if refusal is not None:
            problems = "; ".join(issue.diagnostics for issue in refusal.issues)
            issues.append(Issue("warning", "business-rule", f"{kind} not derived: {problems}"))
            continue
        writes.update(session, obs_id, {**observation, "id": obs_id})
        issues.append(Issue("information", "informational", _summary(obs_id, observation)))
    return issues


def score_response(
    session: WriteSession, version: StoredVersion, resource: dict[str, Any]
) -> list[Issue]:
    """The write reaction of QuestionnaireResponse (see painfhir.interactions.reactions)."""
    questionnaire = questionnaire_id(resource) or ""
    scorer = SCORERS.get(questionnaire)
    if scorer is None:
        return []
    status = resource.get("status")
    if status in WITHDRAWN_STATUSES:
        return _withdraw(session, version, scorer.kinds)
    if status not in SCORED_STATUSES:
        return []
    subject = (resource.get("subject") or {}).get("reference")
    if not isinstance(subject, str) or not subject.startswith("Patient/"):
        return [
            Issue("warning", "required", f"Not scored: {questionnaire} needs a Patient subject")
        ]
    context = _context(session, version, resource)
    try:
        derived = scorer.score(context, answers_by_link(resource), _gender(session, subject))
    except NotScoredError as reason:
        # An amendment that cannot be scored leaves no score of the earlier answers behind.
        not_scored = Issue("warning", "incomplete", f"Not scored: {questionnaire} {reason}")
        return [not_scored, *_withdraw(session, version, scorer.kinds)]
    return _store(session, version, derived)
