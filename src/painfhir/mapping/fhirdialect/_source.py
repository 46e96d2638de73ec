"""What a FHIR sender posted, as the rules read it: its resources, where each sits, and
how the others refer to it.

A sender posts a Bundle (transaction, batch, collection or message) or one resource with
its context contained. References between them are a fullUrl (`urn:uuid:…`, an absolute
URL), `Type/id` (read against the referring entry's base, or any entry of that type and
id), or `#id` for a contained resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.mapping._detection import message_header

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SourceResource:
    """One resource of the input, its path in it (`Bundle.entry[2].resource`) and the
    sender's own name for it (its fullUrl, else `Type/id`), which its id derives from when
    it has no identifier."""

    path: str
    resource: Json
    key: str

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType", ""))


class SourceBundle:
    """The resources of one input, found by type and by reference."""

    def __init__(self, source: Json) -> None:
        self.source = source
        self.header = message_header(source)
        self.resources: list[SourceResource] = []
        self._by_reference: dict[str, SourceResource] = {}
        if source.get("resourceType") == "Bundle":
            for index, entry in enumerate(source.get("entry") or []):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict):
                    full_url = entry.get("fullUrl")
                    found = self._add(f"Bundle.entry[{index}].resource", resource, full_url)
                    self._refer(found, full_url)
        else:
            self._add(source.get("resourceType", ""), source, None)
        for found in list(self.resources):
            self._add_contained(found)

    def _add(self, path: str, resource: Json, full_url: Any) -> SourceResource:
        local = f"{resource.get('resourceType')}/{resource.get('id')}"
        key = full_url if isinstance(full_url, str) and full_url else local
        found = SourceResource(path, resource, key)
        self.resources.append(found)
        if isinstance(resource.get("id"), str):
            self._by_reference.setdefault(local, found)
        return found

    def _refer(self, found: SourceResource, full_url: Any) -> None:
        if isinstance(full_url, str) and full_url:
            self._by_reference[full_url] = found
            # `Type/id` read against the entry's base ("…/fhir/Patient/1" is Patient/1)
            parts = full_url.rstrip("/").split("/")
            if len(parts) >= 2:
                self._by_reference.setdefault("/".join(parts[-2:]), found)

    def _add_contained(self, container: SourceResource) -> None:
        for index, contained in enumerate(container.resource.get("contained") or []):
            if isinstance(contained, dict) and isinstance(contained.get("id"), str):
                path = f"{container.path}.contained[{index}]"
                found = SourceResource(path, contained, f"{container.key}#{contained['id']}")
                self.resources.append(found)
                self._by_reference[f"#{contained['id']}"] = found

    def of_type(self, resource_type: str) -> list[SourceResource]:
        return [found for found in self.resources if found.type == resource_type]

    def resolve(self, reference: Any) -> SourceResource | None:
        """The resource a Reference (or its `reference` string) points at, in the input."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str):
            return None
        found = self._by_reference.get(reference)
        if found is None and "/_history/" in reference:
            found = self._by_reference.get(reference.split("/_history/")[0])
        return found
