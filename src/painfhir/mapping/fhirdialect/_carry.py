"""Carrying a sender's resources into canonical R4: every element the sender sent is kept,
and three things change.

- **ids**: each carried resource gets a deterministic id (its first identifier's system and
  value, else the sender's own reference to it) and the fullUrl `urn:uuid:<id>`;
- **references** between carried resources are rewritten to those fullUrls (a display is
  kept); a reference that does not resolve within the input is a `MissingSourceError`,
  since painfhir stores only what resolves;
- **local codes and identifier systems** go through the module's ConceptMaps: a coding
  whose system a map knows gets its translations put before it (the sender's own coding
  stays, so nothing is lost), and an identifier system a map knows (source and target
  `urn:ietf:rfc:3986`) is replaced by the system the clinic knows it by.

`meta` is the sender's; the canonical resource gets painfhir's profiles instead.
"""

from __future__ import annotations

from typing import Any

from painfhir.mapping._context import FhirContext
from painfhir.mapping._errors import MissingSourceError
from painfhir.mapping.fhirdialect._source import Json, SourceBundle, SourceResource

# the "code system" of URIs: a ConceptMap group from it to it maps identifier systems
URI_SYSTEM = "urn:ietf:rfc:3986"


class Carrier:
    """Carries the resources of one input; their ids are decided up front, so a reference
    can be rewritten before the resource it points at is built."""

    def __init__(self, ctx: FhirContext, source: SourceBundle, types: frozenset[str]) -> None:
        self.ctx = ctx
        self.source = source
        self._ids: dict[str, str] = {
            found.path: self._id(found) for found in source.resources if found.type in types
        }

    def carried(self, found: SourceResource) -> bool:
        return found.path in self._ids

    def reference(self, found: SourceResource) -> Json:
        return {"reference": f"urn:uuid:{self._ids[found.path]}"}

    def copy(self, found: SourceResource) -> Json:
        """The canonical copy of a carried resource, not yet added to the Bundle."""
        resource: Json = {"resourceType": found.type, "id": self._ids[found.path]}
        for key, value in found.resource.items():
            if key not in ("resourceType", "id", "meta", "contained"):
                resource[key] = self._element(value, f"{found.path}.{key}", key)
        return resource

    def add(self, found: SourceResource) -> Json:
        """Copy a carried resource into the Bundle as it is; a Reference to it."""
        return self.ctx.add(self.copy(found))

    def _id(self, found: SourceResource) -> str:
        for identifier in found.resource.get("identifier") or []:
            system, value = (
                self.identifier_system(identifier.get("system")),
                identifier.get("value"),
            )
            if system and value:
                return self.ctx.resource_id(found.type, system, value)
        return self.ctx.resource_id(found.type, "source", found.key)

    def identifier_system(self, system: Any) -> str | None:
        if not isinstance(system, str):
            return None
        mapped = self.ctx.translate(URI_SYSTEM, system, URI_SYSTEM)
        return mapped["code"] if mapped else system

    def _element(self, value: Any, path: str, key: str) -> Any:
        if isinstance(value, list):
            items = [self._element(item, f"{path}[{n}]", key) for n, item in enumerate(value)]
            return self._translated(items, path) if key == "coding" else items
        if not isinstance(value, dict):
            self.ctx.get(path, value)
            return value
        if isinstance(value.get("reference"), str):
            return self._rewritten(value, path)
        copied = {k: self._element(v, f"{path}.{k}", k) for k, v in value.items()}
        if key == "identifier" and "system" in copied:
            copied["system"] = self.identifier_system(copied["system"])
        return copied

    def _rewritten(self, reference: Json, path: str) -> Json:
        target = self.source.resolve(reference)
        if target is None or not self.carried(target):
            raise MissingSourceError(
                f"{path}.reference {reference['reference']!r} does not resolve to a resource"
                " of the input painfhir keeps"
            )
        self.ctx.get(f"{path}.reference", reference["reference"])
        rewritten = self.reference(target)
        if isinstance(reference.get("display"), str):
            rewritten["display"] = self.ctx.get(f"{path}.display", reference["display"])
        return rewritten

    def _translated(self, codings: list[Any], path: str) -> list[Any]:
        translations: list[Any] = []
        for coding in codings:
            system, code = coding.get("system"), coding.get("code")
            if not (isinstance(system, str) and isinstance(code, str)):
                continue
            for target in self.ctx.concept_maps.targets(system):
                found = self.ctx.translate(system, code, target)
                if found is not None and found not in translations and found not in codings:
                    translations.append(found)
        return translations + codings
