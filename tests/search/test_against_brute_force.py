"""Search answers against a brute-force evaluation over the shared corpora.

Every official R4 example (but Questionnaire qs1, which R4 itself refuses) and the three
Synthea patients are loaded once per backend. Several hundred queries, generated from the data
itself, go through the real search path (`parse_query`, then `Store.search`), and each answer is
compared with a plain-Python reading of https://hl7.org/fhir/R4/search.html over the resources
the store hands back. The brute force selects values with the FHIRPath of each parameter's
definition and applies every matching rule itself: it never calls the index extraction nor the
SQL builders, so a mistake in either shows up as a divergence naming the query and the ids
found on one side only.

Where painfhir deliberately reads R4 one way and documents it, the brute force follows and
says so in a comment starting "painfhir:".
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cmp_to_key
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
import pytest

from painfhir import workflow
from painfhir.fhir.codec import parse_json
from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.interactions import bundles, writes
from painfhir.interactions._resources import accept
from painfhir.search.definitions import SearchParameter, parameters_for
from painfhir.search.fhirpath import Node, compile_expression
from painfhir.search.query import MAX_PAGE, parse_query
from painfhir.store import HistoryQuery, Store, open_store
from tests.conftest import CORPORA, Database, RunningServer, new_database

EXAMPLES = sorted((CORPORA / "fhir-r4-examples").glob("*.json"))
SYNTHEA = sorted((CORPORA / "synthea").glob("*.json"))
# Invalid R4 (nested items without linkId): the server refuses it, see test_fidelity.
REFUSED_EXAMPLES = {"Questionnaire-qs1"}
EXAMPLES_PER_WRITE = 16  # several write transactions, so _lastUpdated tells batches apart

Item = tuple[str, str]


# --- the data ---------------------------------------------------------------------------------


def _examples() -> list[dict[str, Any]]:
    """Each example as the resource it is (an example Bundle is stored as a Bundle)."""
    found = []
    for path in EXAMPLES:
        if path.stem not in REFUSED_EXAMPLES:
            found.append(parse_json(path.read_bytes()))
    return found


def _synthea_with_stable_ids(path: Path) -> dict[str, Any]:
    """The transaction with each POST turned into a PUT to the uuid of its fullUrl.

    Server-chosen ids would differ on every run and backend, and the queries are generated
    (and named) from the data at collection time. References between the entries are still
    resolved by the transaction itself, from `urn:uuid:` fullUrls to `Type/id`.
    """
    bundle = parse_json(path.read_bytes())
    entries = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        res_id = entry["fullUrl"].removeprefix("urn:uuid:")
        url = f"{resource['resourceType']}/{res_id}"
        request = {"method": "PUT", "url": url}
        entries.append({**entry, "resource": {**resource, "id": res_id}, "request": request})
    return {**bundle, "entry": entries}


def _replaced(value: Any, identities: dict[str, str]) -> Any:
    if isinstance(value, str):
        return identities.get(value, value)
    if isinstance(value, dict):
        return {k: _replaced(v, identities) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, identities) for v in value]
    return value


def _corpus_as_stored() -> list[dict[str, Any]]:
    """What the store will hold, near enough to generate queries from: the Synthea entries
    with their references to each other as `Type/id`. (The brute force itself reads what the
    store really holds.)"""
    resources = _examples()
    for path in SYNTHEA:
        bundle = _synthea_with_stable_ids(path)
        identities = {
            e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle["entry"]
        }
        resources += [_replaced(e["resource"], identities) for e in bundle["entry"]]
    return resources


# --- brute force: the values a parameter selects ----------------------------------------------

MIN_TIME = datetime.min.replace(tzinfo=UTC)
MAX_TIME = datetime.max.replace(tzinfo=UTC)
Span = tuple[datetime, datetime]  # [low, high)
# painfhir: only the first 512 characters of a string are indexed (extract.MAX_STRING).
STRING_PREFIX = 512
CURRENCY = "urn:iso:std:iso:4217"
_QUANTITIES = {"Quantity", "Age", "Count", "Distance", "Duration"}
_URI_TYPES = {"uri", "url", "canonical", "oid", "uuid"}
_TEXT_TYPES = {"string", "markdown", "code", "id"}
# painfhir (extract.py): values not of the parameter's kind are not indexed — dates on free
# text, an age or a range (Procedure.performed[x]), quantities on a Range or SampledData.
_NOT_INDEXED = {"date": {"string", "Age", "Range"}, "quantity": {"Range", "SampledData"}}


@dataclass(frozen=True, slots=True)
class Token:
    system: str | None
    code: str | None
    texts: tuple[str, ...] = ()  # display, CodeableConcept.text, Identifier.type.text


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    system: str | None
    code: str | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class Ref:
    target: tuple[str, str] | None  # the (type, id) it points to
    url: str | None  # an absolute or canonical reference, as written


def normalized(text: str) -> str:
    """R4 string matching ignores case and accents (and runs of white space)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def date_span(text: str) -> Span | None:
    """The instants a date, dateTime or instant stands for, by its precision."""
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        if month is None:
            return datetime(int(year), 1, 1, tzinfo=UTC), datetime(int(year) + 1, 1, 1, tzinfo=UTC)
        start = datetime(int(year), int(month), 1, tzinfo=UTC)
        if day is None:
            return start, (start + timedelta(days=31)).replace(day=1)
        start = start.replace(day=int(day))
        if hour is None:
            return start, start + timedelta(days=1)
    except (ValueError, OverflowError):
        return None
    # painfhir (dates.py): a time without a zone is read in UTC, the server's time zone.
    offset = timedelta(0)
    if zone not in (None, "Z"):
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    start = start.replace(hour=int(hour), minute=int(minute)) - offset
    if second is None:
        return start, start + timedelta(minutes=1)
    start += timedelta(seconds=int(second))
    if fraction is None:
        return start, start + timedelta(seconds=1)
    digits = fraction[1:7]  # microseconds are as fine as a datetime goes
    start += timedelta(microseconds=int(digits.ljust(6, "0")))
    return start, start + timedelta(microseconds=10 ** (6 - len(digits)))


def _reference_target(text: str) -> tuple[str, str] | None:
    """The (type, id) a reference to this server names. An absolute URL is another
    server's: these stores run without PAINFHIR_BASE_URL, so none is under this server's
    base. A version (`/_history/n`) does not matter."""
    if _absolute(text):
        return None
    parts = text.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] in RESOURCE_TYPES and parts[-1]:
        return parts[-2], parts[-1]
    return None


def _absolute(text: str) -> bool:
    return "://" in text or text.startswith("urn:")


def _unexpected(kind: str, node_type: str) -> AssertionError:
    return AssertionError(f"the brute force does not know {node_type} values of a {kind}")


def _tokens(node_type: str, value: Any) -> list[Token]:
    if node_type == "Coding":
        system, code, display = value.get("system"), value.get("code"), value.get("display")
        if system or code or display:
            return [Token(system, code, (display,) if display else ())]
        return []
    if node_type == "CodeableConcept":
        found = [t for coding in value.get("coding", ()) for t in _tokens("Coding", coding)]
        if value.get("text"):
            found.append(Token(None, None, (value["text"],)))
        return found
    if node_type == "Identifier":
        system, code = value.get("system"), value.get("value")
        type_text = value.get("type", {}).get("text")
        return [Token(system, code, (type_text,) if type_text else ())] if system or code else []
    if node_type == "ContactPoint":
        # painfhir (extract.py): a ContactPoint is matched by its value alone; its `system`
        # (phone, email) is not a URI.
        return [Token(None, value["value"])] if value.get("value") else []
    if node_type == "boolean":
        return [Token(None, "true" if value else "false")]
    if node_type in _TEXT_TYPES | _URI_TYPES:
        # painfhir (extract.py): a code's system is implied by its binding, so plain codes
        # are searched without one (`|code` finds them, `system|code` does not).
        return [Token(None, value)] if value else []
    raise _unexpected("token", node_type)


def _strings(node_type: str, value: Any) -> list[str]:
    if node_type in _TEXT_TYPES:
        texts = [value]
    elif node_type == "HumanName":
        texts = _parts(value, ("family", "given", "prefix", "suffix", "text"))
    elif node_type == "Address":
        keys = ("line", "city", "district", "state", "postalCode", "country", "text")
        texts = _parts(value, keys)
    else:
        raise _unexpected("string", node_type)
    return [text[:STRING_PREFIX] for text in texts if text]


def _parts(value: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    texts: list[str] = []
    for key in keys:
        part = value.get(key)
        texts += part if isinstance(part, list) else [part] if part else []
    return texts


def _spans(node_type: str, value: Any) -> list[Span]:
    if node_type in ("date", "dateTime", "instant"):
        span = date_span(value)
        return [span] if span else []
    if node_type == "Period":
        return _period(value)
    if node_type == "Timing":
        # R4: only the outer limits of a schedule matter — its events and its bounds.
        limits = [s for event in value.get("event", ()) for s in _spans("dateTime", event)]
        limits += _period(value.get("repeat", {}).get("boundsPeriod", {}))
        if not limits:
            return []
        return [(min(s[0] for s in limits), max(s[1] for s in limits))]
    if node_type in _NOT_INDEXED["date"]:
        return []
    raise _unexpected("date", node_type)


def _period(value: dict[str, Any]) -> list[Span]:
    start, end = value.get("start"), value.get("end")
    if start is None and end is None:
        return []
    low, high = date_span(start) if start else None, date_span(end) if end else None
    if (start and low is None) or (end and high is None):
        return []
    # An open end reaches as far as time does.
    return [(low[0] if low else MIN_TIME, high[1] if high else MAX_TIME)]


def _amounts(node_type: str, value: Any) -> list[Amount]:
    if node_type in _QUANTITIES and isinstance(value.get("value"), int | Decimal):
        number = Decimal(value["value"])
        return [Amount(number, value.get("system"), value.get("code"), value.get("unit"))]
    if node_type == "Money" and isinstance(value.get("value"), int | Decimal):
        return [Amount(Decimal(value["value"]), CURRENCY, value.get("currency"), None)]
    if node_type in _QUANTITIES or node_type in _NOT_INDEXED["quantity"]:
        return []
    raise _unexpected("quantity", node_type)


def _refs(node_type: str, value: Any) -> list[Ref]:
    if node_type == "Reference":
        text = value.get("reference")
        # painfhir (extract.py): a contained reference (#x) points into the resource itself
        # and is not searched.
        if not text or text.startswith("#"):
            return []
        return [Ref(_reference_target(text), text if _absolute(text) else None)]
    if node_type in _URI_TYPES:
        # A canonical is found by its URL, `url|version` by that version or by the bare URL.
        bare = value.partition("|")[0]
        return [Ref(None, value)] + ([Ref(None, bare)] if bare != value else [])
    if node_type == "Attachment":
        return _refs("uri", value["url"]) if value.get("url") else []
    if node_type in RESOURCE_TYPES:  # Bundle.composition: the entry's resource itself
        return [Ref((node_type, value["id"]), None)] if value.get("id") else []
    raise _unexpected("reference", node_type)


def _uris(node_type: str, value: Any) -> list[str]:
    if node_type in _URI_TYPES:
        return [value] if value else []
    raise _unexpected("uri", node_type)


def _identifiers(node_type: str, value: Any) -> list[Token]:
    """`:identifier`: the Identifier of a Reference."""
    if node_type == "Reference" and isinstance(value.get("identifier"), dict):
        return _tokens("Identifier", value["identifier"])
    return []


_VALUES: dict[str, Callable[[str, Any], list[Any]]] = {
    "token": _tokens,
    "string": _strings,
    "date": _spans,
    "quantity": _amounts,
    "reference": _refs,
    "uri": _uris,
    "identifier": _identifiers,
}


def values_of(kind: str, nodes: Iterable[Node]) -> list[Any]:
    found: list[Any] = []
    for node_type, value in nodes:
        found += _VALUES[kind](node_type, value)
    return found


# --- brute force: matching one value ----------------------------------------------------------

# Parameters that shape the answer rather than select resources.
_RESULT_PARAMETERS = {"_sort", "_count", "_include", "_revinclude", "_total", "_summary"}
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


def split_values(text: str, separator: str = ",") -> list[str]:
    """`a,b` is two values; `\\,` (likewise `\\$`, `\\|`, `\\\\`) is the character itself."""
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char if char in ",$|\\" else "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _prefixed(text: str) -> tuple[str, str]:
    return (text[:2], text[2:]) if text[:2] in _PREFIXES else ("eq", text)


def range_matches(prefix: str, search: Span, target: Span) -> bool:
    """R4's date prefixes: ranges against ranges."""
    low, high = search
    target_low, target_high = target
    equal = low <= target_low and target_high <= high  # the search range contains the target
    above = target_high > high  # the range above the search value meets the target's
    below = target_low < low
    match prefix:
        case "eq":
            return equal
        case "ne":
            return not equal
        case "gt":
            return above
        case "lt":
            return below
        case "ge":
            return above or equal
        case "le":
            return below or equal
        case "sa":
            return target_low >= high
        case "eb":
            return target_high <= low
    raise AssertionError(prefix)


def number_matches(text: str, value: Decimal) -> bool:
    prefix, digits = _prefixed(text)
    number = Decimal(digits)
    # A value stands for the range its precision implies: 100 is [99.5, 100.5).
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    margin = Decimal(5).scaleb(exponent - 1)
    if prefix == "ap":
        margin = max(margin, abs(number) / 10)  # R4 suggests 10 %
    within = number - margin <= value < number + margin
    match prefix:
        case "eq" | "ap":
            return within
        case "ne":
            return not within
        # Comparisons ignore the precision: they compare with the value itself.
        case "gt" | "sa":
            return value > number
        case "lt" | "eb":
            return value < number
        case "ge":
            return value >= number
        case "le":
            return value <= number
    raise AssertionError(prefix)


def token_matches(text: str, token: Token) -> bool:
    if "|" not in text:
        return token.code == text
    system, code = text.split("|", 1)
    if not system:
        return token.system is None and token.code == code
    return token.system == system and (not code or token.code == code)


def amount_matches(text: str, amount: Amount) -> bool:
    parts = text.split("|")
    if not number_matches(parts[0], amount.value):
        return False
    if len(parts) == 1:
        return True
    system, code = parts[1], parts[2]
    if system and amount.system != system:
        return False
    if code and system:
        return amount.code == code
    # Without a system, the unit may be given by its code or as written.
    return not code or code in (amount.code, amount.unit)


def reference_matches(text: str, ref: Ref) -> bool:
    if _absolute(text):  # another server's resource: the same URL, nothing else
        return ref.url == text
    if "/" in text:
        res_type, res_id = text.split("/")[:2]
        return ref.target == (res_type, res_id)
    return ref.target is not None and ref.target[1] == text


def one_value_matches(kind: str, modifier: str | None, text: str, value: Any) -> bool:
    match kind:
        case "token" | "identifier":
            if modifier == "text":
                query = normalized(text)
                return any(normalized(t).startswith(query) for t in value.texts)
            return token_matches(text, value)
        case "string":
            if modifier == "exact":
                return bool(value == text)
            if modifier == "contains":
                return normalized(text) in normalized(value)
            return normalized(value).startswith(normalized(text))
        case "date":
            prefix, rest = _prefixed(text)
            span = date_span(rest)
            assert span is not None, text
            return range_matches(prefix, span, value)
        case "quantity":
            return amount_matches(text, value)
        case "reference":
            return reference_matches(text, value)
        case "uri":
            if modifier == "below":
                return bool(value.startswith(text))
            if modifier == "above":
                return text.startswith(value)
            return bool(value == text)
    raise AssertionError(kind)


# --- brute force: whole queries ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    resource: dict[str, Any]
    last_updated: datetime | None  # None while generating queries: nothing stored yet


@dataclass(frozen=True, slots=True)
class SortKey:
    code: str
    descending: bool


class Brute:
    """Every search, include and sort worked out resource by resource."""

    def __init__(self, resources: Iterable[Held]) -> None:
        self.by_type: dict[str, dict[str, Held]] = defaultdict(dict)
        for held in resources:
            self.by_type[held.resource["resourceType"]][held.resource["id"]] = held
        self.stored = {(t, i) for t, ids in self.by_type.items() for i in ids}
        self._values: dict[tuple[str, str, str, str], list[Any]] = {}
        self._matching: dict[tuple[str, str, str], frozenset[str]] = {}

    def ids(self, res_type: str) -> list[str]:
        return sorted(self.by_type.get(res_type, {}))

    def nodes(self, res_type: str, code: str, res_id: str) -> list[Node]:
        parameter = parameters_for(res_type)[code]
        resource = self.by_type[res_type][res_id].resource
        return compile_expression(parameter.expression, res_type).evaluate(resource)

    def values(self, res_type: str, code: str, res_id: str, kind: str | None = None) -> list[Any]:
        """The values of a parameter of one resource, as its type (or `kind`) reads them."""
        kind = kind or parameters_for(res_type)[code].type
        key = (res_type, code, res_id, kind)
        if key not in self._values:
            self._values[key] = values_of(kind, self.nodes(res_type, code, res_id))
        return self._values[key]

    def search(self, res_type: str, items: Iterable[Item]) -> set[str]:
        found = set(self.ids(res_type))
        for name, value in items:
            if name.partition(":")[0] not in _RESULT_PARAMETERS:
                found &= self.matching(res_type, name, value)
        return found

    def matching(self, res_type: str, name: str, value: str) -> frozenset[str]:
        key = (res_type, name, value)
        if key not in self._matching:
            self._matching[key] = frozenset(self._matching_now(res_type, name, value))
        return self._matching[key]

    def _matching_now(self, res_type: str, name: str, value: str) -> Iterator[str]:
        if name.startswith("_has:"):
            _, source, ref_code, rest = name.split(":", 3)
            for source_id in self.matching(source, rest, value):
                for ref in self.values(source, ref_code, source_id):
                    target = ref.target
                    if target and target[0] == res_type and target[1] in self.by_type[res_type]:
                        yield target[1]
            return
        head, dot, rest = name.partition(".")
        if dot:
            yield from self._chained(res_type, head, rest, value)
            return
        code, _, modifier = head.partition(":")
        texts = [t for t in split_values(value) if t]
        for res_id in self.ids(res_type):
            if self._plain(res_type, code, modifier or None, texts, value, res_id):
                yield res_id

    def _chained(self, res_type: str, head: str, rest: str, value: str) -> Iterator[str]:
        code, _, type_modifier = head.partition(":")
        targets = (type_modifier,) if type_modifier else parameters_for(res_type)[code].targets
        inner_code = rest.split(".", 1)[0].split(":", 1)[0]
        found = {
            (target, target_id)
            for target in targets
            if inner_code in ("_id", "_lastUpdated") or inner_code in parameters_for(target)
            for target_id in self.matching(target, rest, value)
        }
        for res_id in self.ids(res_type):
            if any(ref.target in found for ref in self.values(res_type, code, res_id)):
                yield res_id

    def _plain(
        self,
        res_type: str,
        code: str,
        modifier: str | None,
        texts: list[str],
        raw: str,
        res_id: str,
    ) -> bool:
        held = self.by_type[res_type][res_id]
        if code == "_id":
            return res_id in texts
        if code == "_lastUpdated":
            assert held.last_updated is not None
            moment = held.last_updated
            instant = (moment, moment + timedelta(microseconds=1))
            return any(one_value_matches("date", None, t, instant) for t in texts)
        parameter = parameters_for(res_type)[code]
        if modifier == "missing":
            return self._has_value(parameter, res_type, res_id) != (raw == "true")
        if parameter.type == "composite":
            return any(self._composite(parameter, res_type, res_id, t) for t in texts)
        kind = parameter.type
        if modifier == "identifier":
            kind, modifier = "identifier", None
        if modifier == "of-type":
            return any(self._of_type(res_type, code, res_id, t) for t in texts)
        if modifier in RESOURCE_TYPES:  # subject:Patient=123 is subject=Patient/123
            texts = [t if "/" in t else f"{modifier}/{t}" for t in texts]
            modifier = None
        values = self.values(res_type, code, res_id, kind)
        test = None if modifier == "not" else modifier
        hit = any(one_value_matches(kind, test, t, v) for t in texts for v in values)
        return not hit if modifier == "not" else hit

    def _has_value(self, parameter: SearchParameter, res_type: str, res_id: str) -> bool:
        """`:missing`: a value the parameter can be searched by (a display-only Reference,
        or a Period without start or end, has none)."""
        if parameter.type == "composite":
            return any(self.composite_values(parameter, res_type, res_id))
        return bool(self.values(res_type, parameter.code, res_id))

    def _of_type(self, res_type: str, code: str, res_id: str, text: str) -> bool:
        """`identifier:of-type=type-system|type-code|value`."""
        system, type_code, value = text.split("|", 2)
        for node_type, identifier in self.nodes(res_type, code, res_id):
            if node_type != "Identifier" or identifier.get("value") != value:
                continue
            for coding in identifier.get("type", {}).get("coding", ()):
                if coding.get("code") == type_code and (coding.get("system") or "") == system:
                    return True
        return False

    def composite_values(
        self, parameter: SearchParameter, res_type: str, res_id: str
    ) -> Iterator[list[tuple[str, list[Any]]]]:
        """Per node of the composite, its components' (kind, values), all present."""
        resource = self.by_type[res_type][res_id].resource
        root: Node = (res_type, resource)
        context = compile_expression(parameter.expression, res_type)
        focus = tuple(sorted(context.result_types))
        params = parameters_for(res_type)
        for node in context.evaluate_on([root], root):
            parts = []
            for code, expression in parameter.components:
                kind = params[code].type
                nodes = compile_expression(expression, res_type, focus).evaluate_on([node], root)
                parts.append((kind, values_of(kind, nodes)))
            if all(found for _, found in parts):
                yield parts

    def _composite(self, parameter: SearchParameter, res_type: str, res_id: str, text: str) -> bool:
        wanted = split_values(text, "$")
        return any(
            all(
                any(one_value_matches(kind, None, part, v) for v in found)
                for (kind, found), part in zip(parts, wanted, strict=True)
            )
            for parts in self.composite_values(parameter, res_type, res_id)
        )

    # --- _sort, _include, _revinclude

    def sort_value(self, res_type: str, key: SortKey, res_id: str) -> Any:
        """The value a resource sorts by: its first in the sort order (R4 #sort)."""
        held = self.by_type[res_type][res_id]
        if key.code == "_id":
            return res_id
        if key.code == "_lastUpdated":
            return held.last_updated
        kind = parameters_for(res_type)[key.code].type
        values = self.values(res_type, key.code, res_id)
        keyed: list[Any]
        match kind:
            case "string":
                keyed = [normalized(v) for v in values]
            case "token":
                keyed = [v.code for v in values if v.code]
            case "date":
                # A range sorts by its start going up, by its end going down.
                keyed = [v[1] if key.descending else v[0] for v in values]
            case "quantity":
                keyed = [v.value for v in values]
            case _:
                raise AssertionError(f"no sort on {kind}")
        if not keyed:
            return None
        return max(keyed) if key.descending else min(keyed)

    def sorted_ids(self, res_type: str, ids: Iterable[str], keys: list[SortKey]) -> list[str]:
        """Missing values last, in either direction; ties by id."""
        ids = list(ids)
        values = {i: [self.sort_value(res_type, key, i) for key in keys] for i in ids}

        def compare(a: str, b: str) -> int:
            for key, x, y in zip(keys, values[a], values[b], strict=True):
                if x == y:
                    continue
                if x is None or y is None:
                    return 1 if x is None else -1
                less = x < y
                return (1 if less else -1) if key.descending else (-1 if less else 1)
            return (a > b) - (a < b)

        return sorted(ids, key=cmp_to_key(compare))

    def included(
        self, res_type: str, matches: set[str], includes: list[str], revincludes: list[str]
    ) -> set[tuple[str, str]]:
        """What `_include` / `_revinclude` (`:iterate` too) add to the matches."""
        seen = {(res_type, m) for m in matches}
        frontier, added = set(seen), set[tuple[str, str]]()
        first = True
        while frontier:
            found: set[tuple[str, str]] = set()
            for name, value in [("", v) for v in includes] + [("rev", v) for v in revincludes]:
                parts = value.split(":")
                iterate = parts[-1] == "iterate"
                if iterate:
                    parts = parts[:-1]
                if not (first or iterate):
                    continue
                if parts == ["*"]:  # every reference of every type
                    parts = ["*", "*"]
                source, code = parts[0], parts[1]
                target = parts[2] if len(parts) == 3 else None
                if name:
                    found |= self._referring(source, code, frontier)
                else:
                    found |= self._referred(source, code, target, frontier)
            frontier = found - seen
            seen |= frontier
            added |= frontier
            first = False
        return added

    def _reference_codes(self, res_type: str, code: str) -> list[str]:
        if code != "*":
            return [code]
        return [c for c, p in parameters_for(res_type).items() if p.type == "reference"]

    def _referred(
        self, source: str, code: str, target: str | None, of: set[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        found = set()
        for res_type, res_id in of:
            if source not in ("*", res_type):
                continue
            for each in self._reference_codes(res_type, code):
                for ref in self.values(res_type, each, res_id):
                    if ref.target and (target is None or ref.target[0] == target):
                        found |= {ref.target} & self.stored
        return found

    def _referring(self, source: str, code: str, of: set[tuple[str, str]]) -> set[tuple[str, str]]:
        found = set()
        for res_type in sorted(self.by_type) if source == "*" else [source]:
            for res_id in self.ids(res_type):
                for each in self._reference_codes(res_type, code):
                    if any(ref.target in of for ref in self.values(res_type, each, res_id)):
                        found.add((res_type, res_id))
        return found


# --- the queries ------------------------------------------------------------------------------

# A placeholder for a time only known once the data is stored: the meta.lastUpdated of a
# resource, at a precision (year, month, day, minute, second, ms, full) and in a zone.
_STORED_TIME = re.compile(r"\{updated (\w+)/([\w.\-]+) (\w+)( [+-]\d\d:\d\d)?\}")


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    res_type: str
    items: tuple[Item, ...]

    def __str__(self) -> str:
        return f"{self.res_type}?" + "&".join(f"{n}={v}" for n, v in self.items)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,")


def _spread(cases: list[Case], most: int, seed: str) -> list[Case]:
    """At most `most` cases, taken round-robin over the resource types so each gets some."""
    by_type: dict[str, list[Case]] = defaultdict(list)
    for case in dict.fromkeys(cases):
        by_type[case.res_type].append(case)
    rng = random.Random(seed)
    for group in by_type.values():
        rng.shuffle(group)
    chosen: list[Case] = []
    queues = [iter(by_type[t]) for t in sorted(by_type)]
    while queues and len(chosen) < most:
        for queue in list(queues):
            taken = next(queue, None)
            if taken is None:
                queues.remove(queue)
            elif len(chosen) < most:
                chosen.append(taken)
    return chosen


class Generator:
    """Queries made from the values found in the data, so that most of them find something."""

    def __init__(self, brute: Brute) -> None:
        self.brute = brute
        self.cases: list[Case] = []

    def searchable(self, res_type: str, kind: str) -> Iterator[tuple[str, list[Any]]]:
        """(code, values over the type's resources) of each parameter of `kind` with values."""
        for code, parameter in parameters_for(res_type).items():
            if parameter.type != kind or code in ("_id", "_lastUpdated"):
                continue
            if parameter.xpath_usage == "phonetic":  # R4 leaves phonetic matching open
                continue
            found = [
                v for i in self.brute.ids(res_type) for v in self.brute.values(res_type, code, i)
            ]
            if found:
                yield code, found

    def add(self, kind: str, res_type: str, *items: Item) -> None:
        self.cases.append(Case(kind, res_type, items))

    def generate(self) -> list[Case]:
        kinds: list[tuple[str, Callable[[str, random.Random], None], int]] = [
            ("token", self.tokens, 260),
            ("string", self.strings, 150),
            ("date", self.dates, 190),
            ("quantity", self.quantities, 70),
            ("reference", self.references, 130),
            ("uri", self.uris, 40),
            ("composite", self.composites, 45),
            ("missing", self.missing, 60),
            ("id", self.ids, 25),
            ("lastUpdated", self.last_updated, 30),
            ("and", self.conjunctions, 50),
            ("chain", self.chains, 60),
            ("has", self.reverse_chains, 30),
        ]
        chosen: list[Case] = []
        for name, make, most in kinds:
            self.cases = []
            for res_type in sorted(self.brute.by_type):
                make(res_type, random.Random(f"{name} {res_type}"))
            chosen += _spread(self.cases, most, name)
        return chosen

    def tokens(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "token"):
            coded = sorted(
                {(t.system, t.code) for t in found if t.code and _plain(t.code)}, key=str
            )
            if coded:
                system, value = rng.choice(coded)
                self.add("token", res_type, (code, value))
                self.add("token", res_type, (f"{code}:not", value))
                if system and _plain(system):
                    self.add("token", res_type, (code, f"{system}|{value}"))
                    self.add("token", res_type, (code, f"{system}|"))
                self.add("token", res_type, (code, f"|{value}"))
                other = rng.choice(coded)
                self.add("token", res_type, (code, f"{value},{other[1]}"))
            texts = sorted({t for token in found for t in token.texts if _plain(t)})
            if texts:
                text = rng.choice(texts)
                self.add("token", res_type, (f"{code}:text", _escaped(text[: rng.randint(3, 12)])))
            if code == "identifier":
                self._of_type(res_type, code, rng)

    def _of_type(self, res_type: str, code: str, rng: random.Random) -> None:
        typed = sorted(
            (coding.get("system", ""), coding["code"], node["value"])
            for res_id in self.brute.ids(res_type)
            for kind, node in self.brute.nodes(res_type, code, res_id)
            if kind == "Identifier" and node.get("value")
            for coding in node.get("type", {}).get("coding", ())
            if coding.get("code")
        )
        if typed:
            system, type_code, value = rng.choice(typed)
            if all(_plain(t) for t in (system, type_code, value)):
                self.add("token", res_type, (f"{code}:of-type", f"{system}|{type_code}|{value}"))

    def strings(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "string"):
            texts = sorted({t for t in found if "$" not in t and "|" not in t})
            if not texts:
                continue
            text = rng.choice(texts)
            cut = rng.randint(1, min(len(text), 10))
            self.add("string", res_type, (code, _escaped(text[:cut])))
            self.add("string", res_type, (code, _escaped(text[:cut].upper())))
            self.add("string", res_type, (f"{code}:exact", _escaped(text)))
            self.add("string", res_type, (f"{code}:exact", _escaped(text.lower())))
            start = rng.randint(0, max(0, len(text) - 3))
            self.add("string", res_type, (f"{code}:contains", _escaped(text[start : start + 4])))
            accented = [t for t in texts if not t.isascii()]
            if accented:
                # Accents and case do not matter: the name as typed on a plain keyboard.
                plain = rng.choice(accented)
                typed = "".join(
                    c
                    for c in unicodedata.normalize("NFKD", plain.upper())
                    if not unicodedata.combining(c)
                )
                self.add("string", res_type, (code, _escaped(typed[:8])))

    def dates(self, res_type: str, rng: random.Random) -> None:
        for code, parameter in parameters_for(res_type).items():
            if parameter.type != "date" or code == "_lastUpdated":
                continue
            texts = sorted(
                text
                for res_id in self.brute.ids(res_type)
                for node_type, value in self.brute.nodes(res_type, code, res_id)
                for text in _date_texts(node_type, value)
            )
            for text in rng.sample(texts, min(3, len(texts))):
                for precision in _precisions(text):
                    prefix = rng.choice(_PREFIXES[:-1])  # `ap` depends on today's date
                    self.add("date", res_type, (code, f"{prefix}{precision}"))
                self.add("date", res_type, (code, text))

    def quantities(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "quantity"):
            for amount in rng.sample(found, min(3, len(found))):
                number = str(amount.value)
                prefix = rng.choice(["", *_PREFIXES])
                self.add("quantity", res_type, (code, f"{prefix}{number}"))
                if amount.code and amount.system:
                    self.add(
                        "quantity", res_type, (code, f"{number}|{amount.system}|{amount.code}")
                    )
                    self.add("quantity", res_type, (code, f"gt{number}|{amount.system}|"))
                unit = amount.code or amount.unit
                if unit and _plain(unit):
                    self.add("quantity", res_type, (code, f"le{number}||{unit}"))
            rounded = sorted({str(round(a.value)) for a in found})
            self.add("quantity", res_type, (code, rng.choice(rounded)))

    def references(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "reference"):
            local = sorted({r.target for r in found if r.target and r.url is None})
            if local:
                target_type, target_id = rng.choice(local)
                self.add("reference", res_type, (code, f"{target_type}/{target_id}"))
                self.add("reference", res_type, (code, target_id))
                self.add("reference", res_type, (f"{code}:{target_type}", target_id))
                other = rng.choice([t for t in local if t[1] != target_id] or local)
                self.add(
                    "reference", res_type, (code, f"{target_type}/{target_id},{'/'.join(other)}")
                )
            urls = sorted({r.url for r in found if r.url and "://" in r.url})
            if urls:
                self.add("reference", res_type, (code, rng.choice(urls)))
            identifiers = sorted(
                {
                    (t.system or "", t.code)
                    for i in self.brute.ids(res_type)
                    for t in self.brute.values(res_type, code, i, "identifier")
                    if t.code and _plain(t.code)
                },
            )
            if identifiers:
                system, value = rng.choice(identifiers)
                token = f"{system}|{value}" if system else value
                self.add("reference", res_type, (f"{code}:identifier", token))

    def uris(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "uri"):
            uri = rng.choice(sorted(set(found)))
            self.add("uri", res_type, (code, uri))
            self.add("uri", res_type, (code, uri + "/more"))
            self.add("uri", res_type, (f"{code}:above", uri + "/more"))
            self.add("uri", res_type, (f"{code}:above", uri.upper()))
            parent = uri.rsplit("/", 1)[0]
            self.add("uri", res_type, (f"{code}:below", parent))
            self.add("uri", res_type, (f"{code}:below", parent.upper()))

    def composites(self, res_type: str, rng: random.Random) -> None:
        for code, parameter in parameters_for(res_type).items():
            if parameter.type != "composite":
                continue
            combos = [
                parts
                for res_id in self.brute.ids(res_type)
                for parts in self.brute.composite_values(parameter, res_type, res_id)
            ]
            for parts in rng.sample(combos, min(3, len(combos))):
                texts = [_composite_part(kind, rng.choice(found), rng) for kind, found in parts]
                if all(t is not None for t in texts):
                    self.add("composite", res_type, (code, "$".join(t for t in texts if t)))

    def missing(self, res_type: str, rng: random.Random) -> None:
        codes = [
            c
            for c, p in parameters_for(res_type).items()
            if p.type not in ("special",)
            and c not in ("_id", "_lastUpdated")
            and p.xpath_usage != "phonetic"
        ]
        for code in rng.sample(codes, min(4, len(codes))):
            self.add("missing", res_type, (f"{code}:missing", rng.choice(["true", "false"])))

    def ids(self, res_type: str, rng: random.Random) -> None:
        ids = self.brute.ids(res_type)
        chosen = rng.sample(ids, min(3, len(ids)))
        self.add("id", res_type, ("_id", chosen[0]))
        self.add("id", res_type, ("_id", ",".join([*chosen, "no-such-id"])))

    def last_updated(self, res_type: str, rng: random.Random) -> None:
        res_id = rng.choice(self.brute.ids(res_type))
        precision = rng.choice(["year", "day", "minute", "second", "ms", "full", "full"])
        zone = rng.choice(["", "", " +02:00", " -05:30"]) if precision != "day" else ""
        prefix = rng.choice(["", *_PREFIXES[1:-1]])
        when = f"{{updated {res_type}/{res_id} {precision}{zone}}}"
        self.add("lastUpdated", res_type, ("_lastUpdated", f"{prefix}{when}"))

    def conjunctions(self, res_type: str, rng: random.Random) -> None:
        """AND by repetition (a range of dates; two codes) and across parameters."""
        for code, found in self.searchable(res_type, "date"):
            lows = sorted(v[0] for v in found if v[0] != MIN_TIME)
            if len(lows) >= 2:
                low, high = sorted(rng.sample(lows, 2))
                self.add("and", res_type, (code, f"ge{low:%Y-%m-%d}"), (code, f"lt{high:%Y-%m}"))
        for code, found in self.searchable(res_type, "token"):
            codes = sorted({t.code for t in found if t.code and _plain(t.code)})
            if len(codes) < 2:
                continue
            # Two codes of one resource (both must hold), then two codes drawn at large.
            together = [
                pair
                for res_id in self.brute.ids(res_type)
                for pair in [
                    sorted({t.code for t in self.brute.values(res_type, code, res_id)} & set(codes))
                ]
                if len(pair) >= 2
            ]
            if together:
                first, second = rng.sample(rng.choice(together), 2)
                self.add("and", res_type, (code, first), (code, second))
            first, second = rng.sample(codes, 2)
            self.add("and", res_type, (code, first), (code, second))
            self.add("and", res_type, (code, first), (f"{code}:not", second))
        searchable = [
            (c, f) for kind in ("token", "string") for c, f in self.searchable(res_type, kind)
        ]
        if len(searchable) >= 2:
            (a, found_a), (b, found_b) = rng.sample(searchable, 2)
            self.add(
                "and",
                res_type,
                (a, _simple(rng.choice(found_a))),
                (b, _simple(rng.choice(found_b))),
            )

    def _inner(self, res_type: str, res_ids: list[str]) -> list[tuple[str, Any]]:
        """(code, value) of plain parameters of these resources, for chains and _has."""
        return [
            (code, value)
            for code, parameter in parameters_for(res_type).items()
            if parameter.type in ("string", "token", "date")
            and code not in ("_id", "_lastUpdated")
            and parameter.xpath_usage != "phonetic"
            for res_id in res_ids
            for value in self.brute.values(res_type, code, res_id)[:1]
        ]

    def chains(self, res_type: str, rng: random.Random) -> None:
        for code, found in self.searchable(res_type, "reference"):
            targets = sorted({r.target for r in found if r.target} & self.brute.stored)
            if not targets:
                continue
            target_type, target_id = rng.choice(targets)
            inner = self._inner(target_type, [target_id])
            if not inner:
                continue
            # What people chain on most (subject:Patient.name, patient.identifier), and any.
            usual = [(c, v) for c, v in inner if c in _USUAL_CHAINS]
            typed = (
                f"{code}:{target_type}" if len(parameters_for(res_type)[code].targets) > 1 else code
            )
            for inner_code, value in {rng.choice(usual or inner), rng.choice(inner)}:
                self.add("chain", res_type, (f"{typed}.{inner_code}", _simple(value)))
            self.add("chain", res_type, (f"{code}._id", target_id))
            # Two links: what the target refers to, and that resource's own values.
            for c2, p2 in parameters_for(target_type).items():
                if p2.type != "reference":
                    continue
                for ref in self.brute.values(target_type, c2, target_id):
                    if ref.target in self.brute.stored:
                        name = f"{code}:{target_type}.{c2}:{ref.target[0]}._id"
                        self.add("chain", res_type, (name, ref.target[1]))
                        break

    def reverse_chains(self, res_type: str, rng: random.Random) -> None:
        """`_has` from the resources that refer to this type."""
        for source in sorted(self.brute.by_type):
            for code, parameter in parameters_for(source).items():
                if parameter.type != "reference":
                    continue
                referring = [
                    i
                    for i in self.brute.ids(source)
                    if any(
                        r.target and r.target[0] == res_type and r.target in self.brute.stored
                        for r in self.brute.values(source, code, i)
                    )
                ]
                inner = self._inner(source, rng.sample(referring, min(3, len(referring))))
                if inner:
                    inner_code, value = rng.choice(inner)
                    name = f"_has:{source}:{code}:{inner_code}"
                    self.add("has", res_type, (name, _simple(value)))


_USUAL_CHAINS = {"identifier", "name", "family", "given", "code", "status", "birthdate"}


def _plain(text: str) -> bool:
    """Usable in a query as it is: no separator to escape."""
    return bool(text) and not any(c in text for c in ",$|\\") and text.strip() == text


def _simple(value: Any) -> str:
    """A query value that finds `value`, whatever its kind."""
    if isinstance(value, Token):
        if value.code and _plain(value.code):
            if value.system and _plain(value.system):
                return f"{value.system}|{value.code}"
            return value.code
        return "no-such-code"
    if isinstance(value, str):
        return _escaped(value[:6])
    if isinstance(value, tuple):  # a date span
        low: datetime = value[0]
        return f"{low:%Y}" if low != MIN_TIME else "le2100"
    raise AssertionError(value)


def _date_texts(node_type: str, value: Any) -> list[str]:
    if node_type in ("date", "dateTime", "instant") and date_span(value):
        return [value]
    if node_type == "Period":
        return [v for v in (value.get("start"), value.get("end")) if v and date_span(v)]
    if node_type == "Timing":
        bounds = value.get("repeat", {}).get("boundsPeriod", {})
        return _date_texts("Period", bounds) + list(value.get("event", ()))
    return []


def _precisions(text: str) -> list[str]:
    """The date at each precision it has, down to the instant as written."""
    found = [text[:4]]
    if len(text) >= 7:
        found.append(text[:7])
    if len(text) >= 10:
        found.append(text[:10])
    if len(text) > 10:
        found.append(text)
    return found


def _composite_part(kind: str, value: Any, rng: random.Random) -> str | None:
    if kind == "token":
        return _simple(value) if value.code and _plain(value.code) else None
    if kind == "quantity":
        prefix = rng.choice(["", "gt", "le", "ne"])
        unit = f"|{value.system}|{value.code}" if value.system and value.code else ""
        return f"{prefix}{value.value}{unit}"
    if kind == "date":
        return f"{value[0]:%Y-%m}" if value[0] != MIN_TIME else None
    if kind == "string":
        return _escaped(value[:5]).replace("$", "\\$")
    if kind == "reference":
        return "/".join(value.target) if value.target else None
    return None


def _sort_cases(brute: Brute) -> list[Case]:
    """Sorts on dates, strings, plain codes, quantities, _id and _lastUpdated, alone or
    after a filter, one to three keys."""
    cases = []
    for res_type in sorted(brute.by_type):
        rng = random.Random(f"sort {res_type}")
        ids = brute.ids(res_type)
        if len(ids) < 4:
            continue
        sortable = ["_id", "_lastUpdated"]
        for code, parameter in parameters_for(res_type).items():
            if parameter.type not in ("date", "string", "token", "quantity"):
                continue
            if parameter.xpath_usage == "phonetic" or code in ("_id", "_lastUpdated"):
                continue
            kinds = {t for i in ids for t, _ in brute.nodes(res_type, code, i)}
            if parameter.type == "token" and not kinds <= {"code", "boolean"}:
                continue  # a CodeableConcept has no one code to sort by
            if kinds:
                sortable.append(code)
        for _ in range(2):
            keys = rng.sample(sortable, min(len(sortable), rng.randint(1, 3)))
            text = ",".join(k if rng.random() < 0.5 else f"-{k}" for k in keys)
            cases.append(Case("sort", res_type, (("_sort", text),)))
    return cases


def _include_cases(brute: Brute) -> list[Case]:
    cases = []
    for res_type in sorted(brute.by_type):
        rng = random.Random(f"include {res_type}")
        for code, parameter in parameters_for(res_type).items():
            if parameter.type != "reference":
                continue
            targets = {
                ref.target
                for i in brute.ids(res_type)
                for ref in brute.values(res_type, code, i)
                if ref.target and ref.target[1] in brute.by_type.get(ref.target[0], {})
            }
            if not targets:
                continue
            target_type, target_id = sorted(targets)[rng.randrange(len(targets))]
            cases.append(Case("include", res_type, (("_include", f"{res_type}:{code}"),)))
            cases.append(
                Case(
                    "include",
                    target_type,
                    (("_id", target_id), ("_revinclude", f"{res_type}:{code}")),
                )
            )
    chosen = _spread(cases, 36, "include")
    chosen += [
        Case("include", "Observation", (("_include", "*"), ("status", "final"))),
        Case(
            "include",
            "Encounter",
            (("_include", "Encounter:patient"), ("_revinclude:iterate", "Observation:encounter")),
        ),
        Case(
            "include",
            "DiagnosticReport",
            (("_include", "DiagnosticReport:result"), ("_include:iterate", "Observation:patient")),
        ),
        Case("include", "Claim", (("_include", "Claim:patient:Patient"),)),
    ]
    return chosen


def _generate() -> tuple[list[Case], list[Case], list[Case]]:
    if not CORPORA.is_dir():
        return [], [], []  # the `corpora` fixture fails the tests that need it, and says why
    brute = Brute(Held(r, None) for r in _corpus_as_stored())
    searches = Generator(brute).generate()
    return searches, _spread(_sort_cases(brute), 60, "sort"), _include_cases(brute)


SEARCHES, SORTS, INCLUDES = _generate()
# Keyset paging recomputes the sort keys for every page, so small pages go with small sets.
PAGED = [
    Case("paging", "Observation", (("_count", "40"),)),
    Case("paging", "Observation", (("_sort", "-date,status"), ("_count", "60"))),
    Case("paging", "Patient", (("_sort", "gender,-_lastUpdated"), ("_count", "1"))),
    Case("paging", "Encounter", (("_sort", "date"), ("_count", "25"))),
    Case("paging", "Claim", (("_sort", "-created,_id"), ("_count", "30"))),
    Case("paging", "Condition", (("_count", "3"),)),
    Case("paging", "Patient", (("_sort", "family,-birthdate"), ("_count", "2"))),
    Case("paging", "MedicationRequest", (("_sort", "-authoredon"), ("_count", "6"))),
    Case("paging", "Procedure", (("_sort", "date"), ("status", "completed"), ("_count", "5"))),
]
# Synthea gives every Observation.code a text as well as codes: the sort must use the codes.
SORTS.append(Case("sort", "Observation", (("_sort", "code"),)))


# --- the store, loaded once per backend -------------------------------------------------------


@dataclass
class Loaded:
    database: Database
    store: Store
    brute: Brute

    def resolve(self, case: Case) -> list[Item]:
        """The query with its placeholders for stored times filled in."""
        return [(name, _STORED_TIME.sub(self._stored_time, value)) for name, value in case.items]

    def _stored_time(self, found: re.Match[str]) -> str:
        res_type, res_id, precision, zone = found.groups()
        moment = self.brute.by_type[res_type][res_id].last_updated
        assert moment is not None
        offset = timedelta(0)
        if zone:
            sign = -1 if zone.strip()[0] == "-" else 1
            offset = sign * timedelta(hours=int(zone[2:4]), minutes=int(zone[5:7]))
        local = moment + offset
        suffix = zone.strip() if zone else "Z"
        formats = {
            "year": "%Y",
            "day": "%Y-%m-%d",
            "minute": f"%Y-%m-%dT%H:%M{suffix}",
            "second": f"%Y-%m-%dT%H:%M:%S{suffix}",
        }
        if precision in formats:
            return local.strftime(formats[precision])
        digits = 3 if precision == "ms" else 6
        return local.strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits] + suffix


def _load(store: Store, corpora: Path) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    examples = iter(_examples())
    while batch := list(islice(examples, EXAMPLES_PER_WRITE)):
        with store.write() as session:
            for resource in batch:
                res_type = resource["resourceType"]
                accept(resource, res_type)
                written = writes.update(session, resource["id"], resource)
                keys.append((res_type, written.version.res_id))
    for path in sorted((corpora / "synthea").glob("*.json")):
        bundle = _synthea_with_stable_ids(path)
        response = parse_json(bundles.process(store, bundle, "http://localhost", False))
        assert {e["response"]["status"] for e in response["entry"]} == {"201 Created"}
        keys += [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    return keys


@pytest.fixture(scope="module")
def loaded(
    backend: str, tmp_path_factory: pytest.TempPathFactory, corpora: Path
) -> Iterator[Loaded]:
    database = new_database(backend, tmp_path_factory.mktemp("brute"))
    store = open_store(database.url)
    try:
        held = []
        # What the server stores at start is searched too (the HTTP test starts one).
        workflow.install_content(store)
        shipped = [
            (version.res_type, version.res_id)
            for version in store.history(HistoryQuery(count=10_000))
        ]
        for res_type, res_id in [*shipped, *_load(store, corpora)]:
            version = store.read(res_type, res_id)
            assert version is not None and version.content is not None
            held.append(Held(parse_json(version.content), version.last_updated))
        yield Loaded(database, store, Brute(held))
    finally:
        store.close()
        database.drop()


def _search(store: Store, res_type: str, items: list[Item]) -> tuple[list[str], set[Any]]:
    """Every page of the search: the matches in order, and the (type, id) included."""
    query = parse_query(res_type, [*items, ("_count", str(MAX_PAGE))], strict=True)
    ids: list[str] = []
    included: set[tuple[str, str]] = set()
    while True:
        page = store.search(query)
        ids += [v.res_id for v in page.matches]
        included |= {(v.res_type, v.res_id) for v in page.included}
        if page.next_cursor is None:
            return ids, included
        query.cursor = page.next_cursor


def _diverged(case: Case, items: list[Item], server: Iterable[Any], brute: Iterable[Any]) -> str:
    server_set, brute_set = set(server), set(brute)
    query = "&".join(f"{n}={v}" for n, v in items)
    return (
        f"{case.res_type}?{query} diverged:\n"
        f"  only the server: {sorted(server_set - brute_set, key=str)}\n"
        f"  only the brute force: {sorted(brute_set - server_set, key=str)}"
    )


# --- the tests --------------------------------------------------------------------------------


def test_the_queries_cover_every_kind() -> None:
    counts: dict[str, int] = defaultdict(int)
    types = set()
    for case in SEARCHES:
        counts[case.kind] += 1
        types.add(case.res_type)
    assert len(SEARCHES) >= 700, counts
    assert len(types) >= 25
    assert all(counts[kind] >= 20 for kind in ("token", "string", "date", "reference")), counts
    assert all(counts[kind] >= 10 for kind in ("quantity", "uri", "composite", "chain", "has"))
    assert len(SORTS) >= 30 and len(INCLUDES) >= 30


@pytest.mark.parametrize("case", SEARCHES, ids=str)
def test_search_finds_what_brute_force_finds(loaded: Loaded, case: Case) -> None:
    items = loaded.resolve(case)
    found, _ = _search(loaded.store, case.res_type, items)
    assert len(found) == len(set(found)), f"{case}: a match came twice"
    expected = loaded.brute.search(case.res_type, items)
    assert set(found) == expected, _diverged(case, items, found, expected)


@pytest.mark.parametrize("case", SORTS, ids=str)
def test_sort_orders_as_brute_force(loaded: Loaded, case: Case) -> None:
    items = loaded.resolve(case)
    found, _ = _search(loaded.store, case.res_type, items)
    keys = [
        SortKey(key.lstrip("-"), key.startswith("-"))
        for name, value in items
        if name == "_sort"
        for key in value.split(",")
    ]
    brute = loaded.brute
    expected = brute.sorted_ids(case.res_type, brute.search(case.res_type, items), keys)
    if found != expected:
        first = next(i for i, (a, b) in enumerate(zip(found, expected, strict=False)) if a != b)
        values = {
            res_id: [brute.sort_value(case.res_type, key, res_id) for key in keys]
            for res_id in (found[first], expected[first])
        }
        pytest.fail(
            f"{case}: the orders part at position {first}: server {found[first : first + 3]},"
            f" brute force {expected[first : first + 3]}; sort values {values}"
        )


@pytest.mark.parametrize("case", INCLUDES, ids=str)
def test_includes_are_what_brute_force_includes(loaded: Loaded, case: Case) -> None:
    items = loaded.resolve(case)
    found, included = _search(loaded.store, case.res_type, items)
    includes = [
        v + ":iterate" if n.endswith(":iterate") else v
        for n, v in items
        if n.startswith("_include")
    ]
    revincludes = [
        v + ":iterate" if n.endswith(":iterate") else v
        for n, v in items
        if n.startswith("_revinclude")
    ]
    expected = loaded.brute.included(case.res_type, set(found), includes, revincludes)
    assert set(found) == loaded.brute.search(case.res_type, items), str(case)
    assert included == expected, _diverged(case, items, included, expected)


@pytest.mark.parametrize("case", PAGED, ids=str)
def test_small_pages_give_every_match_once_in_order(loaded: Loaded, case: Case) -> None:
    items = loaded.resolve(case)
    query = parse_query(case.res_type, items, strict=True)
    pages: list[list[str]] = []
    while True:
        page = loaded.store.search(query)
        pages.append([v.res_id for v in page.matches])
        assert len(pages[-1]) <= query.count
        if page.next_cursor is None:
            break
        query.cursor = page.next_cursor
    found = [res_id for ids in pages for res_id in ids]
    brute = loaded.brute
    matches = brute.search(case.res_type, items)
    keys = [
        SortKey(key.lstrip("-"), key.startswith("-"))
        for name, value in items
        if name == "_sort"
        for key in value.split(",")
    ]
    expected = brute.sorted_ids(case.res_type, matches, keys or [SortKey("_id", False)])
    assert len(found) == len(set(found)), f"{case}: a match came twice"
    assert set(found) == matches, _diverged(case, items, found, matches)
    assert found == expected, f"{case}: not in the order of the brute force"
    # And back again, page by page, from the last page's `previous` link.
    query.cursor = page.previous_cursor
    backward: list[list[str]] = []
    while query.cursor is not None:
        page = loaded.store.search(query)
        backward.append([v.res_id for v in page.matches])
        query.cursor = page.previous_cursor
    assert [res_id for ids in reversed(backward) for res_id in ids] == found[: -len(pages[-1])]


def test_a_sample_through_http_agrees(loaded: Loaded) -> None:
    """Every 20th query again, through the running server and its paging links."""
    server = RunningServer(loaded.database)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for case in SEARCHES[::20] + SORTS[::10]:
                items = loaded.resolve(case)
                found: list[str] = []
                url: str | None = f"/{case.res_type}"
                params: httpx.QueryParams | None = httpx.QueryParams([*items, ("_count", "50")])
                while url is not None:
                    response = client.get(url, params=params)
                    assert response.status_code == 200, f"{case}: {response.text}"
                    bundle = parse_json(response.content)
                    found += [e["resource"]["id"] for e in bundle.get("entry", [])]
                    links = {link["relation"]: link["url"] for link in bundle["link"]}
                    url, params = links.get("next"), None
                expected = loaded.brute.search(case.res_type, items)
                assert set(found) == expected, _diverged(case, items, found, expected)
    finally:
        server.stop()
