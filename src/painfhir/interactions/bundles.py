"""Batch and transaction Bundles (https://hl7.org/fhir/R4/http.html#transaction).

A transaction runs in one database transaction: identities are resolved first (new ids for
POSTs, matches for conditional entries), then every reference to an entry's fullUrl —
Reference.reference, uri values and narrative links, in extensions and contained resources
too — is rewritten to the entry's new `Type/id`, then the entries run in the spec's order
(DELETE, POST, PUT / PATCH, GET). Any failure rolls everything back and names the entry.
A batch runs each entry on its own and reports each entry's outcome.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import orjson

from painfhir.fhir.codec import dump_json, parse_json
from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.fhir.structure import ReferenceSite, check_resource, find_references
from painfhir.interactions import reactions, reads, search, writes
from painfhir.interactions._resources import new_id
from painfhir.search.criteria import parse_criteria
from painfhir.store import Store, StoredVersion, WriteSession
from painfhir.store._time import instant_text
from painfhir.validation.profile import bundle_resolver
from painfhir.validation.validator import write_refusal

_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
_PLACEHOLDER = re.compile(r"urn:(?:uuid|oid):[^\"'\s<>]+")
_CONDITIONAL_REFERENCE = re.compile(r"([A-Z][A-Za-z]+)\?(.+)")


@dataclass(slots=True)
class Entry:
    index: int
    method: str
    res_type: str | None  # None for system-level GETs, which bundles do not support
    res_id: str | None
    version: str | None
    query: str
    full_url: str | None
    resource: dict[str, Any] | None
    request: dict[str, Any]

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}]"

    def header(self, name: str) -> str | None:
        value = self.request.get(name)
        return value if isinstance(value, str) else None


def _fail(entry: Entry, error: FhirError) -> FhirError:
    """The same error, but saying which entry it came from."""
    where = f"entry {entry.index}" + (f" ({entry.full_url})" if entry.full_url else "")
    issues = [
        Issue(i.severity, i.code, f"{where}: {i.diagnostics}", _in_entry(entry, i.expression))
        for i in error.issues
    ]
    return FhirError(error.status, issues)


def _in_entry(entry: Entry, expression: str | None) -> str:
    """A resource's `Type.path` as the path within the Bundle (`Type` alone: the resource)."""
    if not expression or entry.resource is None:
        return expression or entry.path
    _, dot, inside = expression.partition(".")
    return f"{entry.path}.resource" + (f".{inside}" if dot else "")


def _parse_entry(index: int, raw: dict[str, Any], base: str) -> Entry:
    request = raw.get("request")
    path = f"Bundle.entry[{index}].request"
    if not isinstance(request, dict):
        raise FhirError.of(400, "required", "Every entry needs a request", path)
    method, url = request.get("method"), request.get("url", "")
    if method not in _ORDER:
        raise FhirError.of(400, "value", f"Unsupported method {method!r}", f"{path}.method")
    url = url.removeprefix(base).lstrip("/")
    location, _, query = url.partition("?")
    parts = location.split("/")
    res_type, res_id, version = parts[0], None, None
    if res_type not in RESOURCE_TYPES or len(parts) not in (1, 2, 4):
        raise FhirError.of(400, "value", f"Unsupported request url {url!r}", f"{path}.url")
    if len(parts) >= 2:
        res_id = parts[1]
    if len(parts) == 4 and parts[2] == "_history" and method == "GET":
        version = parts[3]
    elif len(parts) == 4:
        raise FhirError.of(400, "value", f"Unsupported request url {url!r}", f"{path}.url")
    resource = raw.get("resource")
    if method in ("POST", "PUT", "PATCH") and not isinstance(resource, dict):
        raise FhirError.of(400, "required", f"A {method} entry needs a resource", path)
    if method in ("POST", "PUT") and (resource or {}).get("resourceType") != res_type:
        raise FhirError.of(
            400, "invalid", f"The entry's resource is not a {res_type}", f"{path}.url"
        )
    if method in ("PUT", "DELETE", "PATCH") and res_id is None and not query:
        raise FhirError.of(400, "value", f"{method} needs an id or criteria", f"{path}.url")
    return Entry(
        index, method, res_type, res_id, version, query, raw.get("fullUrl"), resource, request
    )


def _patch_operations(entry: Entry) -> Any:
    """A PATCH entry carries its JSON Patch as a Binary, base64-encoded."""
    binary = entry.resource or {}
    if binary.get("resourceType") != "Binary" or "json-patch" not in binary.get("contentType", ""):
        raise FhirError.of(
            400, "not-supported", "A PATCH entry must be a Binary of application/json-patch+json"
        )
    try:
        return parse_json(base64.b64decode(binary.get("data", ""), validate=True))
    except binascii.Error as exc:
        raise FhirError.of(400, "invalid", "The PATCH Binary's data is not base64") from exc


def _matches(entry: Entry) -> bool:
    """Is the entry conditional: does resolving its identity match on its type?"""
    if entry.method == "POST":
        return bool(entry.header("ifNoneExist"))
    return entry.method not in ("GET", "HEAD") and entry.res_id is None


def _response(status: int, version: StoredVersion | None, *, with_resource: bool) -> dict[str, Any]:
    response: dict[str, Any] = {"status": f"{status} {HTTPStatus(status).phrase}"}
    entry: dict[str, Any] = {"response": response}
    if version is None:
        return entry
    if status == 201:
        response["location"] = f"{version.reference}/_history/{version.version}"
    response["etag"] = version.etag
    response["lastModified"] = instant_text(version.last_updated)
    if with_resource and version.content is not None:
        entry["resource"] = orjson.Fragment(version.content)
    return entry


def _written_response(written: writes.Written | None, representation: bool) -> dict[str, Any]:
    """An entry's response; the reactions' warnings go in its `outcome`."""
    if written is None:
        return _response(204, None, with_resource=False)
    entry = _response(written.status, written.version, with_resource=representation)
    if written.issues:
        entry["response"]["outcome"] = operation_outcome(list(written.issues))
    return entry


def _run_get(store: Store, entry: Entry, base: str) -> dict[str, Any]:
    assert entry.res_type is not None
    if entry.res_id is None:
        items = parse_qsl(entry.query, keep_blank_values=True)
        found = search.search_bundle(store, entry.res_type, items, base, strict=False)
        return {"resource": orjson.Fragment(found), "response": {"status": "200 OK"}}
    if entry.version is not None:
        version = reads.vread(store, entry.res_type, entry.res_id, entry.version)
    else:
        version = reads.read(store, entry.res_type, entry.res_id)
    return _response(200, version, with_resource=True)


def _run_write(
    session: WriteSession, entry: Entry, res_id: str | None, existing: bool
) -> writes.Written | None:
    assert entry.res_type is not None
    if entry.method == "DELETE":
        if res_id is None:
            return None
        return writes.delete(session, entry.res_type, res_id, entry.header("ifMatch"))
    if entry.method == "PATCH":
        assert res_id is not None
        return writes.patch(
            session, entry.res_type, res_id, _patch_operations(entry), entry.header("ifMatch")
        )
    assert entry.resource is not None and res_id is not None
    if existing:
        current = session.current(entry.res_type, res_id)
        assert current is not None
        return writes.Written(200, current)
    if entry.method == "POST":
        return writes.create(session, entry.resource, res_id=res_id)
    # `PUT Type/id` must carry that id, as a plain update must: `writes.update` refuses a
    # body without it or with another (400). A conditional PUT's body may leave it out.
    resource = entry.resource
    if entry.res_id is None:
        if resource.get("id", res_id) != res_id:
            raise FhirError.of(
                400,
                "invalid",
                f"The criteria match {entry.res_type}/{res_id}, not the body's id"
                f" '{resource['id']}'",
            )
        resource = {**resource, "id": res_id}
    return writes.update(session, res_id, resource, entry.header("ifMatch"))


class _Transaction:
    def __init__(self, store: Store, session: WriteSession, entries: list[Entry], base: str):
        self.store, self.session, self.entries, self.base = store, session, entries, base
        self.ids: dict[int, str | None] = {}
        self.existing: set[int] = set()
        self.identities: dict[str, str] = {}  # fullUrl → "Type/id"
        # What the written resources refer to: walked once, for the types that conditional
        # references match on (locked first), then to rewrite the references.
        self.sites: dict[int, list[ReferenceSite]] = {
            entry.index: find_references(entry.resource)
            for entry in entries
            if entry.resource is not None and entry.method in ("POST", "PUT")
        }

    def prepare(self) -> None:
        """Everything before the entries run: match locks, identities, references."""
        self.lock_matches()
        self.resolve_identities()
        self.rewrite_references()

    def _matched_types(self) -> set[str]:
        types = {entry.res_type for entry in self.entries if entry.res_type and _matches(entry)}
        for sites in self.sites.values():
            for site in sites:
                if site.kind == "reference" and (
                    match := _CONDITIONAL_REFERENCE.fullmatch(site.value)
                ):
                    types.add(match[1])
        return types

    def lock_matches(self) -> None:
        """Take the match lock of every type the Bundle matches on before any match, in one
        sorted order, as the row locks are: in entry order, two Bundles matching on the same
        types in opposite orders would each hold the lock the other waits for (a deadlock,
        and a spurious 409 for one of them)."""
        self.session.hold_matches(self._matched_types())

    def _match_one(self, res_type: str, query: str) -> str | None:
        found = self.session.match(res_type, parse_criteria(res_type, query), limit=2)
        if len(found) > 1:
            raise FhirError.of(
                412, "multiple-matches", f"'{res_type}?{query}' matches more than one"
            )
        return found[0] if found else None

    def _identity(self, entry: Entry) -> str | None:
        assert entry.res_type is not None
        if entry.method == "POST":
            criteria = entry.header("ifNoneExist")
            matched = self._match_one(entry.res_type, criteria) if criteria else None
            if writes.live_match(self.session, entry.res_type, matched) is None:
                return new_id()
            self.existing.add(entry.index)
            return matched
        if entry.res_id is not None:
            return entry.res_id
        matched = self._match_one(entry.res_type, entry.query)
        if matched is None and entry.method == "PATCH":
            raise FhirError.of(
                404, "not-found", f"'{entry.res_type}?{entry.query}' matches nothing"
            )
        if matched is None and entry.method == "PUT":
            return (entry.resource or {}).get("id") or new_id()
        return matched

    def resolve_identities(self) -> None:
        changed: dict[str, int] = {}
        for entry in self.entries:
            if entry.method in ("GET", "HEAD"):
                continue
            try:
                res_id = self._identity(entry)
            except FhirError as error:
                raise _fail(entry, error) from None
            self.ids[entry.index] = res_id
            if res_id is None:
                continue
            target = f"{entry.res_type}/{res_id}"
            if target in changed:
                raise _fail(
                    entry,
                    FhirError.of(
                        400, "duplicate", f"{target} is also changed by entry {changed[target]}"
                    ),
                )
            changed[target] = entry.index
            if entry.full_url:
                self.identities[entry.full_url] = target

    def _rewrite(self, entry: Entry, resource: dict[str, Any]) -> None:
        for site in self.sites[entry.index]:
            value = site.value
            if value in self.identities:
                site.replace(self.identities[value])
            elif site.kind != "reference":
                continue
            elif _PLACEHOLDER.fullmatch(value):
                raise _fail(
                    entry,
                    FhirError.of(
                        400, "not-found", f"Reference {value} is to no entry of this Bundle"
                    ),
                )
            elif match := _CONDITIONAL_REFERENCE.fullmatch(value):
                matched = self._match_one(match[1], match[2])
                if matched is None:
                    raise _fail(
                        entry,
                        FhirError.of(
                            400, "not-found", f"Conditional reference {value} matches nothing"
                        ),
                    )
                site.replace(f"{match[1]}/{matched}")
        text = resource.get("text")
        if isinstance(text, dict) and isinstance(text.get("div"), str):
            text["div"] = _PLACEHOLDER.sub(lambda m: self.identities.get(m[0], m[0]), text["div"])

    def rewrite_references(self) -> None:
        for entry in self.entries:
            if entry.resource is not None and entry.index in self.sites:
                try:
                    self._rewrite(entry, entry.resource)
                except FhirError as error:
                    raise _fail(entry, error) from None

    def run(self, representation: bool) -> list[dict[str, Any]]:
        results: dict[int, dict[str, Any]] = {}
        written: dict[int, writes.Written | None] = {}
        by_index = {entry.index: entry.res_type for entry in self.entries}
        targets = [
            (res_type, res_id)
            for index, res_id in self.ids.items()
            if res_id is not None and (res_type := by_index[index]) is not None
        ]
        self.session.read_ahead(targets)  # one query, not one per entry
        ordered = sorted(self.entries, key=lambda e: (_ORDER[e.method], e.index))
        with reactions.deferred():  # reactions see the whole Bundle, written
            for entry in ordered:
                if entry.method not in ("GET", "HEAD"):
                    written[entry.index] = self._write(entry)
        for index, done in written.items():
            # the deferred reactions may have completed what an entry wrote
            stored = writes.as_stored(self.session, done) if done is not None else None
            results[index] = _written_response(stored, representation)
        # The GETs come last in the spec's order, and after the deferred reactions too: they
        # answer what the transaction stores, which a reaction may have changed since.
        for entry in ordered:
            if entry.method in ("GET", "HEAD"):
                results[entry.index] = self._read(entry)
        return [results[entry.index] for entry in self.entries]

    def _write(self, entry: Entry) -> writes.Written | None:
        try:
            return _run_write(
                self.session, entry, self.ids[entry.index], entry.index in self.existing
            )
        except FhirError as error:
            raise _fail(entry, error) from None

    def _read(self, entry: Entry) -> dict[str, Any]:
        try:
            return _run_get(self.store, entry, self.base)
        except FhirError as error:
            raise _fail(entry, error) from None


def _entries(bundle: dict[str, Any], base: str) -> list[Entry]:
    return [_parse_entry(i, raw, base) for i, raw in enumerate(bundle.get("entry", []))]


def _check_entries(bundle: dict[str, Any], entries: list[Entry], lenient: bool) -> None:
    """Every entry's resource is validated before anything is written; references between
    entries (still `urn:uuid:` here) resolve to the entries themselves."""
    resolve = bundle_resolver(bundle)
    for entry in entries:
        if entry.resource is not None:
            refusal = write_refusal(entry.resource, lenient=lenient, resolve=resolve)
            if refusal is not None:
                raise _fail(entry, refusal)


def transaction(
    store: Store,
    bundle: dict[str, Any],
    base: str,
    representation: bool,
    lenient: bool,
    validated: bool = False,
) -> bytes:
    entries = _entries(bundle, base)
    if not validated:
        _check_entries(bundle, entries, lenient)
    with store.write() as session:
        work = _Transaction(store, session, entries, base)
        work.prepare()
        results = work.run(representation)
    return dump_json({"resourceType": "Bundle", "type": "transaction-response", "entry": results})


def _batch_entry(
    store: Store, raw: dict[str, Any], index: int, base: str, representation: bool, lenient: bool
) -> dict[str, Any]:
    try:
        entry = _parse_entry(index, raw, base)
        refusal = write_refusal(entry.resource, lenient=lenient) if entry.resource else None
        if refusal is not None:
            raise refusal
        if entry.method in ("GET", "HEAD"):
            return _run_get(store, entry, base)
        with store.write() as session:
            work = _Transaction(store, session, [entry], base)
            work.prepare()
            return work.run(representation)[0]
    except FhirError as error:
        return {
            "response": {
                "status": f"{error.status} {HTTPStatus(error.status).phrase}",
                "outcome": error.outcome(),
            }
        }


def batch(
    store: Store, bundle: dict[str, Any], base: str, representation: bool, lenient: bool
) -> bytes:
    results = [
        _batch_entry(store, raw, index, base, representation, lenient)
        for index, raw in enumerate(bundle.get("entry", []))
    ]
    return dump_json({"resourceType": "Bundle", "type": "batch-response", "entry": results})


def process(
    store: Store,
    bundle: Any,
    base: str,
    representation: bool,
    *,
    lenient: bool = False,
    validated: bool = False,
) -> bytes:
    """POST of a Bundle to the base: a batch or a transaction (validated as
    `validation.validator.write_refusal` says; `lenient` as PAINFHIR_VALIDATION).

    `validated`: the caller has already validated every entry's resource, references between
    entries resolved, and refused any error (as the ingress does with a mapping's output), so
    a transaction's entries are not validated a second time."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError.of(400, "invalid", "POST to the base takes a batch or transaction Bundle")
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise FhirError.of(
            400, "value", f"Bundle.type must be batch or transaction, not {kind!r}", "Bundle.type"
        )
    # The Bundle around the entries is checked here; each entry's resource on its own, so that
    # an entry's problems are reported at its path, once. In a transaction all are checked
    # before anything is written (all or nothing); a batch's entries stand alone.
    shell = {**bundle, "entry": [_without_resource(raw) for raw in bundle.get("entry", [])]}
    if problems := check_resource(shell):
        raise FhirError(400, problems)
    if kind == "transaction":
        return transaction(store, bundle, base, representation, lenient, validated)
    return batch(store, bundle, base, representation, lenient)


def _without_resource(raw: Any) -> Any:
    return {k: v for k, v in raw.items() if k != "resource"} if isinstance(raw, dict) else raw
