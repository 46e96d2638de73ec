"""What mapping rules work with: the source, the module's ConceptMaps, deterministic ids,
and the transaction Bundle they fill.

Each resource a rule adds becomes a PUT entry (`Type/<id>`) — or, for what the receiver
goes on to change (the referral Task), a conditional create — with the fullUrl
`urn:uuid:<id>`, and other resources refer to it by that fullUrl, so the references resolve
within the Bundle and a store turns them into `Type/<id>` on the way in.
"""

from __future__ import annotations

from typing import Any

from painfhir.mapping._conceptmap import Coding, ConceptMaps
from painfhir.mapping._detection import message_sender
from painfhir.mapping._errors import InvalidValueError, MissingSourceError, UnmappedCodeError
from painfhir.mapping._ids import resource_id
from painfhir.mapping._trace import TraceRecorder
from painfhir.mapping.hl7v2 import Group, Message, Terser, parse_terse_path


def reference_to(resource: dict[str, Any]) -> dict[str, str]:
    """The Reference to a resource a rule adds (which has its id), by its fullUrl."""
    return {"reference": f"urn:uuid:{resource['id']}"}


class MappingContext:
    """The part of a context every kind of source shares."""

    def __init__(self, concept_maps: ConceptMaps, sender: str, recorder: TraceRecorder | None):
        self.concept_maps = concept_maps
        self.sender = sender
        self.recorder = recorder
        self.entries: list[dict[str, Any]] = []
        self._entry_keys: set[str] = set()  # method, url and criteria of each entry

    def resource_id(self, resource_type: str, *key: str) -> str:
        """The id this sender's resource of this type with this key always gets."""
        return resource_id(self.sender, resource_type, *key)

    def add(self, resource: dict[str, Any]) -> dict[str, str]:
        """Put `resource` (which has its id) in the Bundle; a Reference to it. Adding a
        resource with the same type and id again keeps the first (a provider named in two
        segments is one Practitioner)."""
        return self.add_entry(resource, "PUT", f"{resource['resourceType']}/{resource['id']}")

    def add_if_none_exist(self, resource: dict[str, Any], criteria: str) -> dict[str, str]:
        """Put `resource` in the Bundle as a conditional create: stored only when nothing
        matches `criteria` (a search on its business identifier), so a message sent again
        never overwrites what the receiver has made of it since. A new one gets a server id;
        its references still go by the fullUrl."""
        return self.add_entry(resource, "POST", resource["resourceType"], criteria)

    def add_entry(
        self, resource: dict[str, Any], method: str, url: str, if_none_exist: str | None = None
    ) -> dict[str, str]:
        """An entry of any method: a PATCH carries its JSON Patch as a Binary `resource`."""
        self._put(resource, method, url, if_none_exist)
        if self.recorder is not None:
            self.recorder.on_resources([resource])
        return reference_to(resource)

    def add_together(self, *resources: dict[str, Any]) -> None:
        """Put resources built from the same reads (a payer and its authorization of the
        referral, both from one AUT) in the Bundle as `add` does each; the trace looks for
        each of those reads in all of them. Refer to one with `reference_to`."""
        for resource in resources:
            self._put(resource, "PUT", f"{resource['resourceType']}/{resource['id']}")
        if self.recorder is not None:
            self.recorder.on_resources(resources)

    def _put(
        self, resource: dict[str, Any], method: str, url: str, if_none_exist: str | None = None
    ) -> None:
        key = url if if_none_exist is None else f"{url}?{if_none_exist}"
        if key in self._entry_keys:
            return
        self._entry_keys.add(key)
        request = {"method": method, "url": url}
        if if_none_exist is not None:
            request["ifNoneExist"] = if_none_exist
        full_url = reference_to(resource)["reference"]
        self.entries.append({"fullUrl": full_url, "resource": resource, "request": request})

    def translate(self, system: str, code: str, target: str | None = None) -> Coding | None:
        """`code` of `system` through the module's ConceptMaps; None when none maps it."""
        if not code:
            return None
        on_translate = None if self.recorder is None else self.recorder.on_translate
        return self.concept_maps.translate(system, code, target, on_translate=on_translate)

    def translate_required(self, system: str, code: str, target: str | None = None) -> Coding:
        coding = self.translate(system, code, target)
        if coding is None:
            raise UnmappedCodeError(f"no ConceptMap translates {system}|{code} to {target}")
        return coding

    def bundle(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}


class Hl7v2Context(MappingContext):
    """A context over one HL7 v2 message: `read` is the Terser (traced), `tree` the
    message's segment groups."""

    def __init__(
        self,
        message: Message,
        tree: Group,
        concept_maps: ConceptMaps,
        recorder: TraceRecorder | None,
    ) -> None:
        on_read = None if recorder is None else recorder.on_read
        self.message = message
        self.tree = tree
        self.read = Terser(message, on_read=on_read)
        header = Terser(message)
        sender = header.value("MSH-4.1") or header.value("MSH-3.1")
        super().__init__(concept_maps, sender, recorder)

    def require(self, read: Terser, path: str) -> str:
        """The value at `path`, or a `MissingSourceError` naming its segment and field (or
        only the segment, when the message lacks it)."""
        value = read.value(path)
        if value and value != '""':
            return value
        segment, number, field = self.locate(read, path)
        if number is None:
            raise MissingSourceError(
                f"a {segment} segment is required and missing", segment=segment
            )
        raise MissingSourceError(
            f"{path} is required and empty", segment=segment, segment_index=number, field=field
        )

    def invalid(self, read: Terser, path: str, reason: str) -> InvalidValueError:
        """The error for a value at `path` its data type does not allow."""
        segment, number, field = self.locate(read, path)
        return InvalidValueError(reason, segment=segment, segment_index=number, field=field)

    @staticmethod
    def locate(read: Terser, path: str) -> tuple[str, int | None, int | None]:
        """The segment id, its position in the message (None when absent) and the field of
        a Terser path."""
        terse = parse_terse_path(path)
        found = read.segments(terse.segment)
        index = (terse.occurrence or 1) - 1
        number = found[index].number if index < len(found) else None
        return terse.segment, number, terse.field


class FhirContext(MappingContext):
    """A context over one FHIR resource (or Bundle) a sender posted."""

    def __init__(
        self, source: dict[str, Any], concept_maps: ConceptMaps, recorder: TraceRecorder | None
    ) -> None:
        self.source = source
        super().__init__(concept_maps, message_sender(source), recorder)

    def get(self, path: str, value: Any) -> Any:
        """Record that the rule used `value` found at `path` of the source; return it."""
        if self.recorder is not None and isinstance(value, str | int | float):
            self.recorder.on_read(path, str(value))
        return value
