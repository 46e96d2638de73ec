"""The referral's reactions to writes, in the writing transaction (painfhir.interactions.reactions).

- A referral ServiceRequest that arrives — by REST, in a transaction Bundle or from an HL7 v2
  message — gets its referral Task (2.0, owned by the clinic) unless one already tracks it,
  as the v2 mapping's does; either way its intake check runs and the findings go on the Task.
- When the package changes later (the referral is updated, a Coverage or prior records
  arrive), the check runs again on the patient's open referrals; the Task gets a new version
  only if its findings changed, and never changes state.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import Issue
from painfhir.interactions import writes
from painfhir.interactions.reactions import shared_notes
from painfhir.settings import Settings
from painfhir.store import StoredVersion, WriteSession
from painfhir.store._time import instant_text
from painfhir.workflow.referral._arrival import arrival_task, is_referral
from painfhir.workflow.referral._findings import findings_on, with_findings
from painfhir.workflow.referral._gathering import referral_package
from painfhir.workflow.referral._intake import IntakeFinding, intake_findings
from painfhir.workflow.referral._lookup import local_reference, resolve, search
from painfhir.workflow.referral._machine import TASK_CODE_SYSTEM, is_referral_task, state_of

Json = dict[str, Any]
# A patient seldom has more open referrals than this; the check reads at most these.
_OPEN_REFERRALS = 20


@cache
def clinic_organization() -> str:
    """The clinic's Organization, from PAINFHIR_CLINIC_ORGANIZATION (read once)."""
    return Settings().clinic_organization


def _summary(task_id: str, findings: list[IntakeFinding], started: bool) -> Issue:
    what = f"Referral Task/{task_id} " + ("started (2.0 received)" if started else "rechecked")
    missing = ", ".join(f.code for f in findings) if findings else "nothing missing"
    return Issue("information", "informational", f"{what}; intake check: {missing}")


def _checked_now(task_id: str) -> bool:
    """Has this transaction's intake check of the Task run already? Notes that it has. In a
    Bundle the check runs once all entries are written, so its first run sees all of them;
    the referral and each package resource would otherwise each run it again."""
    checked: set[str] = shared_notes().setdefault("referral intake checked", set())
    if task_id in checked:
        return True
    checked.add(task_id)
    return False


def _recheck(session: WriteSession, task_id: str) -> list[Issue]:
    """Re-run the intake check of a referral Task that is not final, on its current version.

    That version is read under lock (on PostgreSQL; held until the transaction ends), never
    taken from the search that found the Task: a move committed meanwhile ($accept …) may
    have replaced the version found, and a copy of it written over the current one would
    undo the move. A Task that moved to a final state meanwhile is left alone."""
    current = session.current("Task", task_id)
    if current is None or current.content is None:
        return []
    task: Json = parse_json(current.content)
    state = state_of(task) if is_referral_task(task) else None
    if state is None or state.final or _checked_now(task_id):
        return []
    request = resolve(session, task.get("focus"))
    if request is None:
        return []
    findings = intake_findings(referral_package(session, request))
    updated = with_findings(task, findings)
    if findings_on(updated) == findings_on(task):
        return []
    writes.update(session, task_id, {**updated, "id": task_id}, current.etag)
    return [_summary(task_id, findings, started=False)]


def tracking_tasks(session: WriteSession, request_id: str) -> list[Json]:
    tasks = search(session, "Task", [("focus", f"ServiceRequest/{request_id}")], _OPEN_REFERRALS)
    return [task for task in tasks if is_referral_task(task)]


def on_referral_written(
    session: WriteSession, version: StoredVersion, resource: Json
) -> list[Issue]:
    clinic = clinic_organization()
    if not is_referral(resource, clinic):
        return []
    request = {**resource, "id": version.res_id}
    tracking = tracking_tasks(session, version.res_id)
    if tracking:
        return [issue for task in tracking for issue in _recheck(session, task["id"])]
    findings = intake_findings(referral_package(session, request))
    received = instant_text(session.now)
    task = with_findings(arrival_task(version.res_id, request, clinic, received), findings)
    written = writes.create(session, task)
    _checked_now(written.version.res_id)
    return [_summary(written.version.res_id, findings, started=True)]


def patient_of(resource: Json) -> str | None:
    for element in ("beneficiary", "subject", "patient"):
        target = local_reference(resource.get(element))
        if target is not None and target[0] == "Patient":
            return f"Patient/{target[1]}"
    return None


def on_package_written(
    session: WriteSession, version: StoredVersion, resource: Json
) -> list[Issue]:
    """Re-run the intake check of the patient's open referrals: part of a package changed."""
    patient = patient_of(resource)
    if patient is None:
        return []
    fulfil = f"{TASK_CODE_SYSTEM}|fulfill"
    tasks = search(session, "Task", [("patient", patient), ("code", fulfil)], _OPEN_REFERRALS)
    issues = []
    for task in tasks:
        if is_referral_task(task):
            issues += _recheck(session, task["id"])
    return issues
