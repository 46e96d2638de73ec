"""The pain clinic's workflow on top of the store: reactions to writes, opioid safety."""

from painfhir.workflow._reactions import reactions_for

__all__ = ["reactions_for"]
