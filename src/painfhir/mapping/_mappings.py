"""The set of mapping modules a service runs with: choosing a module for an input and
running it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from painfhir.fhir.outcome import Issue
from painfhir.mapping._context import FhirContext, Hl7v2Context, MappingContext
from painfhir.mapping._detection import message_sender, score_fhir, score_hl7v2
from painfhir.mapping._discovery import discover
from painfhir.mapping._errors import (
    MappingError,
    ModuleLoadError,
    NoModuleError,
    RuleError,
    UnreadableMessageError,
)
from painfhir.mapping._module import Hl7v2Mapping, MappingModule
from painfhir.mapping._trace import Trace, TraceRecorder
from painfhir.mapping._unused import unused_elements, unused_fields
from painfhir.mapping.hl7v2 import Hl7Error, Message, parse_message, walk
from painfhir.validation.validator import validate

_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(slots=True)
class MappingResult:
    """A mapped input: the module that mapped it, the transaction Bundle of canonical
    resources, the validation issues of those resources (their expressions start at
    `Bundle.entry[n].resource`), and the trace when one was asked for."""

    module: str
    bundle: dict[str, Any]
    issues: list[Issue]
    trace: Trace | None


@dataclass(frozen=True, slots=True)
class _Source:
    """An input, read as far as choosing a module needs."""

    message: Message | None = None
    resource: dict[str, Any] | None = None


class Mappings:
    """The modules found at start-up; `map` turns an input into canonical R4.

    `clients` is the site's configuration (PAINFHIR_MAPPING_CLIENTS): a client id, or a FHIR
    sender (MessageHeader.source.endpoint, meta.source), → the module its inputs take, which
    wins over detection by content. `failures` are the modules that did not load, by name.
    """

    def __init__(
        self,
        modules: Sequence[MappingModule],
        failures: Mapping[str, ModuleLoadError] | None = None,
        clients: Mapping[str, str] | None = None,
    ) -> None:
        self._modules = {module.name: module for module in modules}
        self.failures = dict(failures or {})
        self._clients = dict(clients or {})

    @classmethod
    def discover(
        cls, extra_paths: Sequence[Path] = (), clients: Mapping[str, str] | None = None
    ) -> Mappings:
        """The built-in modules and those in `extra_paths` (PAINFHIR_MAPPINGS_PATH)."""
        found = discover(extra_paths)
        return cls(found.modules, found.failures, clients)

    @property
    def modules(self) -> list[str]:
        return list(self._modules)

    def module(self, name: str) -> MappingModule:
        try:
            return self._modules[name]
        except KeyError:
            if name in self.failures:
                reason = self.failures[name].reason
                raise NoModuleError(f"mapping module {name!r} failed to load: {reason}") from None
            raise NoModuleError(f"no mapping module named {name!r}") from None

    def detect(
        self, raw: bytes, content_type: str | None = None, client: str | None = None
    ) -> MappingModule:
        """The module that takes this input, or `NoModuleError`."""
        return self._chosen(_read(raw, content_type), None, client)

    def map(
        self,
        raw: bytes,
        *,
        module: str | None = None,
        client: str | None = None,
        content_type: str | None = None,
        trace: bool = False,
    ) -> MappingResult:
        """Map with the module named, else the one configured for the client or the FHIR
        sender, else the one detected by content."""
        source = _read(raw, content_type)
        chosen = self._chosen(source, module, client)
        recorder = TraceRecorder() if trace else None
        context = _run(chosen, source, recorder)
        with _failures_of(chosen):  # what the module added may break the Bundle or validation
            bundle = context.bundle()
            issues = validate_bundle(bundle)
        result_trace = None
        if recorder is not None:
            result_trace = recorder.trace
            if source.message is not None:
                result_trace.unused = unused_fields(source.message, recorder.read_locations)
            elif source.resource is not None:
                result_trace.unused = unused_elements(source.resource, recorder.read_paths)
        return MappingResult(chosen.name, bundle, issues, result_trace)

    def _chosen(self, source: _Source, module: str | None, client: str | None) -> MappingModule:
        if module:
            return self.module(module)
        sender = message_sender(source.resource) if source.resource is not None else None
        for key in (client, sender):
            if key and key in self._clients:
                return self.module(self._clients[key])
        return self._choose(source)

    def _choose(self, source: _Source) -> MappingModule:
        scored = [(_score(module, source), module) for module in self._modules.values()]
        best = max((score for score, _ in scored), default=0)
        if best == 0:
            broken = f" (not loaded: {', '.join(sorted(self.failures))})" if self.failures else ""
            raise NoModuleError(f"no mapping module takes {_describe(source)}{broken}")
        # among equals, a site's own module wins over a built-in one
        winners = [module for score, module in scored if score == best]
        return next((m for m in winners if not m.builtin), winners[0])


def _read(raw: bytes, content_type: str | None) -> _Source:
    media = (content_type or "").split(";")[0].strip().lower()
    if "hl7-v2" in media or (not media and _looks_like_er7(raw)):
        try:
            return _Source(message=parse_message(raw))
        except Hl7Error as error:
            raise UnreadableMessageError.from_hl7(error) from error
    try:
        resource = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise UnreadableMessageError(f"neither HL7 v2 (ER7) nor JSON: {error}") from error
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise UnreadableMessageError("JSON input is not a FHIR resource (no resourceType)")
    return _Source(resource=resource)


def _looks_like_er7(raw: bytes) -> bool:
    for mark in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            return True  # JSON is UTF-8 without a byte-order mark (RFC 8259)
    return raw.lstrip().startswith(b"MSH")


def _score(module: MappingModule, source: _Source) -> int:
    """0: the module does not take the input; more: how specifically it takes it."""
    mapping = module.mapping
    if isinstance(mapping, Hl7v2Mapping):
        return 0 if source.message is None else score_hl7v2(mapping, source.message)
    return 0 if source.resource is None else score_fhir(mapping, source.resource)


def _describe(source: _Source) -> str:
    if source.message is not None:
        return f"HL7 v2 message type {source.message.header.field(9)!r}"
    assert source.resource is not None  # _read gives one or the other
    return f"FHIR {source.resource.get('resourceType')}"


@contextmanager
def _failures_of(module: MappingModule) -> Iterator[None]:
    """A module's bug fails the input it maps (a `RuleError`), not the service."""
    try:
        yield
    except MappingError:
        raise
    except Hl7Error as error:
        raise UnreadableMessageError.from_hl7(error) from error
    except Exception as error:
        raise RuleError(f"module {module.name} failed: {error!r}") from error


def _run(module: MappingModule, source: _Source, recorder: TraceRecorder | None) -> MappingContext:
    mapping = module.mapping
    context: MappingContext
    with _failures_of(module):
        if isinstance(mapping, Hl7v2Mapping):
            if source.message is None:
                raise NoModuleError(f"module {module.name} maps HL7 v2, not {_describe(source)}")
            tree = walk(source.message)
            context = Hl7v2Context(source.message, tree, module.concept_maps, recorder)
            mapping.rules(context)
        else:
            if source.resource is None:
                raise NoModuleError(f"module {module.name} maps FHIR, not {_describe(source)}")
            context = FhirContext(source.resource, module.concept_maps, recorder)
            mapping.rules(context)
    return context


def validate_bundle(bundle: dict[str, Any]) -> list[Issue]:
    """The validation issues of every resource in a mapped Bundle, references between its
    entries resolved to the entries."""
    by_full_url = {entry["fullUrl"]: entry["resource"] for entry in bundle.get("entry", [])}
    issues = []
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry["resource"]
        prefix = f"Bundle.entry[{index}].resource"
        for issue in validate(resource, resolve=by_full_url.get):
            issues.append(_within(issue, resource["resourceType"], prefix))
    return issues


def _within(issue: Issue, resource_type: str, prefix: str) -> Issue:
    expression = issue.expression
    if expression is None:
        expression = prefix
    elif expression.startswith(resource_type):
        expression = prefix + expression[len(resource_type) :]
    return Issue(issue.severity, issue.code, issue.diagnostics, expression)
