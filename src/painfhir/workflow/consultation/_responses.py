"""Reading a QuestionnaireResponse: which shipped questionnaire it answers, and its answers by
linkId (groups and nested answers flattened, since the scores only need the leaves)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]
QUESTIONNAIRE_BASE = "http://painfhir.org/fhir/Questionnaire/"


def questionnaire_id(response: Json) -> str | None:
    """The shipped questionnaire's id, whether the response names it by its canonical (with
    or without `|version`) or by a local reference (`Questionnaire/peg`)."""
    named = response.get("questionnaire")
    if not isinstance(named, str):
        return None
    canonical = named.split("|", 1)[0]
    for prefix in (QUESTIONNAIRE_BASE, "Questionnaire/"):
        if canonical.startswith(prefix):
            return canonical.removeprefix(prefix)
    return None


def _leaves(items: list[Json]) -> Iterator[tuple[str, Json]]:
    for item in items:
        for answer in item.get("answer") or []:
            yield item.get("linkId", ""), answer
            yield from _leaves(answer.get("item") or [])
        yield from _leaves(item.get("item") or [])


def answers_by_link(response: Json) -> dict[str, Json]:
    """The first answer of each item, by linkId."""
    answers: dict[str, Json] = {}
    for link_id, answer in _leaves(response.get("item") or []):
        answers.setdefault(link_id, answer)
    return answers
