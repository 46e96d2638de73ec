"""Storing a mapped input: what every channel does once its module has mapped and validated
an input without errors."""

from __future__ import annotations

from painfhir.interactions import bundles
from painfhir.interactions.acting import REFERRING_SIDE, acting
from painfhir.mapping import MappingResult
from painfhir.store import Store


def store_mapped(store: Store, result: MappingResult, base: str, lenient: bool) -> bytes:
    """The mapped transaction Bundle, stored; its transaction-response. The caller refused
    any validation error of the mapping, so the entries are not validated a second time."""
    # Inputs come from the referring EHRs: a change one makes to a referral Task (a REF^I14's
    # PATCH, say) is the referring side's move, whoever relayed it.
    with acting(REFERRING_SIDE):
        return bundles.process(store, result.bundle, base, False, lenient=lenient, validated=True)
