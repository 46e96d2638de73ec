"""The pathway templates painfhir ships (pathways/: PlanDefinitions and the ActivityDefinitions
they use, FHIR JSON), stored at start with fixed ids so clients can read and search them, and
read back from the store when a pathway is applied — a clinic's own pathways work the same."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import writes
from painfhir.store import Store, WriteSession
from painfhir.workflow.careplan._apply import Pathway
from painfhir.workflow.referral._lookup import search

Json = dict[str, Any]

TEMPLATES = Path(__file__).with_name("pathways")


@cache
def shipped_templates() -> tuple[Json, ...]:
    """Every template, ActivityDefinitions first (a PlanDefinition names them)."""
    files = sorted(TEMPLATES.glob("*.json"), key=lambda f: (f.name.startswith("Plan"), f.name))
    return tuple(parse_json(path.read_bytes()) for path in files)


def _unchanged(session: WriteSession, template: Json) -> bool:
    stored = session.current(template["resourceType"], template["id"])
    if stored is None or stored.content is None:
        return False
    content = {key: value for key, value in parse_json(stored.content).items() if key != "meta"}
    return bool(content == template)


def install_templates(store: Store) -> None:
    """PUT each shipped template whose stored version differs: a restart, or several workers
    starting together, add no version; a new painfhir release adds one per changed template."""
    with store.write() as session:
        for template in shipped_templates():
            if not _unchanged(session, template):
                writes.update(session, template["id"], template)


def stored_pathway(session: WriteSession, plan_id: str) -> Pathway:
    """The PlanDefinition `plan_id` and the ActivityDefinitions its actions name."""
    stored = session.current("PlanDefinition", plan_id)
    if stored is None or stored.content is None:
        status = 404 if stored is None else 410
        raise FhirError.of(status, "not-found", f"PlanDefinition/{plan_id} is not here")
    plan: Json = parse_json(stored.content)
    if plan.get("status") == "retired":
        raise FhirError.of(422, "business-rule", f"PlanDefinition/{plan_id} is retired")
    activities = {}
    for url in _canonicals(plan.get("action") or []):
        found = search(session, "ActivityDefinition", [("url", url)], 1)
        if found:
            activities[url] = found[0]
    return Pathway(plan, activities)


def _canonicals(actions: list[Json]) -> set[str]:
    urls = set()
    for action in actions:
        if "definitionCanonical" in action:
            urls.add(str(action["definitionCanonical"]).partition("|")[0])
        urls |= _canonicals(action.get("action") or [])
    return urls
