"""What a FHIR sender posted, as the rules read it: its resources, where each sits, and
how the others refer to it.

A sender posts a Bundle (transaction, batch, collection or message) or one resource with
its context contained. References between them are a fullUrl (`urn:uuid:…`, an absolute
URL), `Type/id` (read against the referring entry's base, or any entry of that type and
id), or `#id` for a contained resource — local to the resource that contains it (FHIR R4,
references.html#contained), so two entries may each contain a `#p` of their own.

A sender's JSON may hold any JSON type where FHIR wants an array or an object; the rules
read through `array` and `objects`, which pass over what is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from painfhir.mapping._detection import message_header

Json = dict[str, Any]


def array(value: Any) -> list[Any]:
    """A JSON array as such; anything else (null, an object where an array belongs) as an
    empty one."""
    return value if isinstance(value, list) else []


def objects(value: Any) -> list[Json]:
    """The JSON objects of an array (a Reference, an identifier, a coding each), in order."""
    return [item for item in array(value) if isinstance(item, dict)]


@dataclass(frozen=True, slots=True)
class SourceResource:
    """One resource of the input, its path in it (`Bundle.entry[2].resource`) and the path
    of the resource whose `contained` holds it (its own path when it is not contained),
    against which the `#id` references in it resolve."""

    path: str
    resource: Json
    container: str

    @property
    def type(self) -> str:
        found = self.resource.get("resourceType")
        return found if isinstance(found, str) else ""


class SourceBundle:
    """The resources of one input, found by type and by reference."""

    def __init__(self, source: Json) -> None:
        self.source = source
        self.header = message_header(source)
        self.resources: list[SourceResource] = []
        self._by_reference: dict[str, SourceResource] = {}
        self._contained: dict[tuple[str, str], SourceResource] = {}  # by container and id
        if source.get("resourceType") == "Bundle":
            for index, entry in enumerate(array(source.get("entry"))):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict):
                    found = self._add(f"Bundle.entry[{index}].resource", resource)
                    self._refer(found, entry.get("fullUrl"))
        else:
            self._add(str(source.get("resourceType", "")), source)
        for found in list(self.resources):
            self._add_contained(found)

    def _add(self, path: str, resource: Json) -> SourceResource:
        found = SourceResource(path, resource, path)
        self.resources.append(found)
        if isinstance(resource.get("id"), str):
            self._by_reference.setdefault(f"{found.type}/{resource['id']}", found)
        self._contained[(path, "")] = found  # `#` alone: a contained resource's container
        return found

    def _refer(self, found: SourceResource, full_url: Any) -> None:
        if isinstance(full_url, str) and full_url:
            self._by_reference[full_url] = found
            # `Type/id` read against the entry's base ("…/fhir/Patient/1" is Patient/1)
            parts = full_url.rstrip("/").split("/")
            if len(parts) >= 2:
                self._by_reference.setdefault("/".join(parts[-2:]), found)

    def _add_contained(self, container: SourceResource) -> None:
        for index, contained in enumerate(array(container.resource.get("contained"))):
            if isinstance(contained, dict) and isinstance(contained.get("id"), str):
                path = f"{container.path}.contained[{index}]"
                found = SourceResource(path, contained, container.path)
                self.resources.append(found)
                self._contained.setdefault((container.path, contained["id"]), found)

    def of_type(self, resource_type: str) -> list[SourceResource]:
        return [found for found in self.resources if found.type == resource_type]

    def resolve(self, reference: Any, at: SourceResource | None = None) -> SourceResource | None:
        """The resource a Reference (or its `reference` string) in `at` points at, in the
        input; a `#id` only among what `at`'s container contains."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str):
            return None
        if reference.startswith("#"):
            return None if at is None else self._contained.get((at.container, reference[1:]))
        found = self._by_reference.get(reference)
        if found is None and "/_history/" in reference:
            found = self._by_reference.get(reference.split("/_history/")[0])
        return found
