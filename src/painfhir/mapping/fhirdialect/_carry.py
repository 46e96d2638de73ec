"""Carrying a sender's resources into canonical R4: every element the sender sent is kept,
and three things change.

- **ids**: each carried resource gets a deterministic id and the fullUrl `urn:uuid:<id>`.
  The id comes from the resource's first identifier (system and value) that no other,
  different resource of its type in the input carries too; a resource without one gets its
  id from the input's scope (the referral's placer identifier) and its place among such
  resources of its type (the first Observation without an identifier of its own, the
  second, …). Never from the sender's fullUrl or id: a `urn:uuid:` fullUrl is minted afresh
  for every transaction, and `Observation/1` of one message is not that of the next;
- **references** between carried resources are rewritten to those fullUrls (a display is
  kept); a reference that does not resolve within the input is a `MissingSourceError`,
  since painfhir stores only what resolves. What a carried resource refers to is carried
  too, whatever its type (a Medication, a Location), but for the types a rule leaves out;
- **local codes and identifier systems** go through the module's ConceptMaps: a coding
  whose system a map knows gets its translations put before it (the sender's own coding
  stays, so nothing is lost), and an identifier system a map knows (source and target
  `urn:ietf:rfc:3986`) is replaced by the system the clinic knows it by.

`meta` is the sender's; the canonical resource gets painfhir's profiles instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from painfhir.mapping._context import FhirContext
from painfhir.mapping._errors import MissingSourceError
from painfhir.mapping.fhirdialect._source import Json, SourceBundle, SourceResource, objects

# the "code system" of URIs: a ConceptMap group from it to it maps identifier systems
URI_SYSTEM = "urn:ietf:rfc:3986"
# what the copy replaces or drops: painfhir's own id and profiles; contained resources are
# carried as resources of their own
_NOT_COPIED = ("resourceType", "id", "meta", "contained")


class Carrier:
    """Carries the resources of one input; their ids are decided up front, so a reference
    can be rewritten before the resource it points at is built.

    `types` are carried whole, with what they refer to but `left_out`; `scope` is what
    identifies the input among the sender's (the referral's placer system and value), under
    which resources without an identifier of their own get their ids."""

    def __init__(
        self,
        ctx: FhirContext,
        source: SourceBundle,
        types: frozenset[str],
        scope: tuple[str, ...],
        left_out: frozenset[str] = frozenset(),
    ) -> None:
        self.ctx = ctx
        self.source = source
        carried = self._carried(types, left_out)
        self._ids = self._decide_ids(carried, scope)
        self._first: dict[str, str] = {}  # the path of the first resource given each id
        for found in carried:
            self._first.setdefault(self._ids[found.path], found.path)

    def carried(self, found: SourceResource) -> bool:
        return found.path in self._ids

    def repeated(self, found: SourceResource) -> bool:
        """Whether an earlier resource of the input is this one again (the same type,
        identifier and content), which the Bundle holds once."""
        return self._first[self._ids[found.path]] != found.path

    def reference(self, found: SourceResource) -> Json:
        return {"reference": f"urn:uuid:{self._ids[found.path]}"}

    def copy(self, found: SourceResource, leave: tuple[str, ...] = ()) -> Json:
        """The canonical copy of a carried resource, not yet added to the Bundle. The keys
        in `leave` are neither copied nor read: a rule that sets them reads what it uses."""
        resource: Json = {"resourceType": found.type, "id": self._ids[found.path]}
        for key, value in found.resource.items():
            if key not in _NOT_COPIED and key not in leave:
                resource[key] = self._element(value, found, f"{found.path}.{key}", key)
        return resource

    def add(self, found: SourceResource) -> Json:
        """Copy a carried resource into the Bundle as it is; a Reference to it."""
        return self.ctx.add(self.copy(found))

    def _carried(self, types: frozenset[str], left_out: frozenset[str]) -> list[SourceResource]:
        """The resources of `types` and, over and over, those they refer to, in input order."""
        kept = {found.path for found in self.source.resources if found.type in types}
        pending = [found for found in self.source.resources if found.path in kept]
        while pending:
            found = pending.pop()
            for reference in _references(found.resource):
                target = self.source.resolve(reference, found)
                if target is not None and target.path not in kept and target.type not in left_out:
                    kept.add(target.path)
                    pending.append(target)
        return [found for found in self.source.resources if found.path in kept]

    def _decide_ids(self, carried: list[SourceResource], scope: tuple[str, ...]) -> dict[str, str]:
        identifiers = {found.path: self._identifiers(found) for found in carried}
        # each identifier's different holders: two Observations under one order number are
        # two resources, and neither may take the other's place in the store
        holders: dict[tuple[str, str, str], list[Json]] = {}
        for found in carried:
            for system, value in identifiers[found.path]:
                contents = holders.setdefault((found.type, system, value), [])
                if _content(found.resource) not in contents:
                    contents.append(_content(found.resource))
        ids: dict[str, str] = {}
        places: Counter[str] = Counter()
        for found in carried:
            own = [key for key in identifiers[found.path] if len(holders[(found.type, *key)]) == 1]
            if own:
                ids[found.path] = self.ctx.resource_id(found.type, *own[0])
            else:
                places[found.type] += 1
                ids[found.path] = self.ctx.resource_id(found.type, *scope, str(places[found.type]))
        return ids

    def _identifiers(self, found: SourceResource) -> list[tuple[str, str]]:
        """The (translated) system and value of each identifier that has both."""
        keys = []
        for identifier in objects(found.resource.get("identifier")):
            system, value = identifier.get("system"), identifier.get("value")
            if isinstance(system, str) and system and isinstance(value, str) and value:
                keys.append((translated_system(self.ctx, system), value))
        return keys

    def _element(self, value: Any, at: SourceResource, path: str, key: str) -> Any:
        if isinstance(value, list):
            items = [self._element(item, at, f"{path}[{n}]", key) for n, item in enumerate(value)]
            return self._translated(items) if key == "coding" else items
        if not isinstance(value, dict):
            self.ctx.get(path, value)
            return value
        if isinstance(value.get("reference"), str):
            return self._rewritten(value, at, path)
        copied = {k: self._element(v, at, f"{path}.{k}", k) for k, v in value.items()}
        if key == "identifier" and isinstance(copied.get("system"), str):
            copied["system"] = translated_system(self.ctx, copied["system"])
        return copied

    def _rewritten(self, reference: Json, at: SourceResource, path: str) -> Json:
        target = self.source.resolve(reference, at)
        if target is None:
            raise MissingSourceError(
                f"{path}.reference {reference['reference']!r} does not resolve to a resource"
                " of the input"
            )
        if not self.carried(target):
            raise MissingSourceError(
                f"{path}.reference {reference['reference']!r} points at the input's"
                f" {target.type or 'resource'}, which painfhir does not keep"
            )
        self.ctx.get(f"{path}.reference", reference["reference"])
        rewritten = self.reference(target)
        if isinstance(reference.get("display"), str):
            rewritten["display"] = self.ctx.get(f"{path}.display", reference["display"])
        return rewritten

    def _translated(self, codings: list[Any]) -> list[Any]:
        translations: list[Any] = []
        for coding in objects(codings):
            system, code = coding.get("system"), coding.get("code")
            if not (isinstance(system, str) and isinstance(code, str)):
                continue
            for target in self.ctx.concept_maps.targets(system):
                found = self.ctx.translate(system, code, target)
                if found is not None and found not in translations and found not in codings:
                    translations.append(found)
        return translations + codings


def translated_system(ctx: FhirContext, system: str) -> str:
    """An identifier system as the clinic knows it, through the module's ConceptMaps."""
    mapped = ctx.translate(URI_SYSTEM, system, URI_SYSTEM)
    return mapped["code"] if mapped else system


def _content(resource: Json) -> Json:
    """What a resource says, apart from the names the sender gave it."""
    return {key: value for key, value in resource.items() if key not in ("id", "meta")}


def _references(node: Any, top: bool = True) -> Iterator[Json]:
    """The References in a resource, but those of the resources it contains (carried, when
    they are, as resources of their own)."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item, top=False)
    elif isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for key, value in node.items():
            if not (top and key == "contained"):
                yield from _references(value, top=False)
