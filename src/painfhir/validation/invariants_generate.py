"""Generate `r4_invariants.json`: the FHIRPath invariants of base R4, by where they apply.

    python -m painfhir.validation.invariants_generate [--cache-dir DIR]

Read from the official package (`hl7.fhir.r4.examples@4.0.1`, fetched as the structure
generator fetches it). The table is compact because R4's snapshots repeat themselves: `ele-1`
sits on every element, `dom-*` on every resource, `ext-1` on every extension, `qty-3` on every
kind of Quantity. Each constraint is written once, where it is defined, and the checker applies
it through the type hierarchy:

    {"fhirVersion": "4.0.1",
     "everyElement": [["ele-1", "error", human, expression]],
     "bases": {"Patient": "DomainResource", "Age": "Quantity", ...},
     "constraints": {"DomainResource": [[key, severity, human, expression], ...],
                     "Period": [...], "Timing.repeat": [...], "Narrative.div": [...],
                     "Range.low": [["sqty-1", ...]], ...},
     "amended": {"key": {"published": expression, "reason": why}, ...}}

A `constraints` key is a type (its own constraints, which hold wherever it occurs and in every
type derived from it), the path of an element in its defining type (a backbone element, or a
primitive like `Narrative.div`), or, for a constraint that a type's profile adds to a choice
element, the JSON member of that type (`Dosage.doseAndRate.doseQuantity`). Rows whose R4
expression is known to be wrong are rewritten as `_AMENDED_EXPRESSIONS` says, and the
published expression and the reason are kept under `amended`. The generator refuses a
snapshot constraint it cannot attribute to one of these places, so none is lost silently.
"""

from __future__ import annotations

import argparse
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from painfhir.fhir.definitions.generate import PACKAGE, VERSION, cached_tarball

OUTPUT = Path(__file__).with_name("r4_invariants.json")
_SD = "http://hl7.org/fhir/StructureDefinition/"
_EVERY_ELEMENT = "ele-1"

_UNGUARDED_NAME = "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')"
_AMENDED_EXPRESSIONS: dict[str, tuple[str, str]] = {
    # ref-1 leans on the R4-era HL7 engine reading `{}.not()` as true: on a Reference with no
    # `reference` (display or identifier only) it is empty, not true, in FHIRPath. And it
    # rejects `#`, which R4 allows for a reference from a contained resource to its container
    # (dom-3 asks for such references). R5 rewrote it as below; R4 data means the same.
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))": (
        "reference.exists() implies (reference.startsWith('#').not() or "
        "(reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids')) or "
        "(reference = '#' and %rootResource != %resource))",
        "R4's expression is empty, not true, on a Reference without a reference (display or "
        "identifier only), and rejects '#' (a contained resource pointing to its container, "
        "which dom-3 relies on); rewritten as R5 has it",
    ),
    # per-1: start and end of different precision (`2020-01-01` and `2020-01-01T10:00Z`)
    # cannot be ordered in FHIRPath, so R4's `start <= end` is empty on a valid Period. R5
    # compares the boundaries instead; here an order FHIRPath cannot decide is no violation.
    "start.hasValue().not() or end.hasValue().not() or (start <= end)": (
        "start.hasValue().not() or end.hasValue().not() or (start <= end) or "
        "(start <= end).empty()",
        "R4's expression is empty, so fails, when start and end have different precisions "
        "and agree as far as both go; such a Period is valid (R5 compares their boundaries)",
    ),
    # The `*-0` naming rules of the canonical resources are empty, so fail, when there is no
    # name at all, though name is optional and the rule is about its form; R5 added the guard.
    _UNGUARDED_NAME: (
        f"name.exists() implies {_UNGUARDED_NAME}",
        "R4's expression is empty, so fails, on a resource without a name; name is optional "
        "and the rule is about its form (R5 adds the same guard)",
    ),
    # Orderings of two dateTimes that FHIRPath cannot decide (different precisions that agree
    # as far as both go) are no violation, as for per-1: Task inv-1 and MedicationDispense mdd-1.
    "lastModified.exists().not() or authoredOn.exists().not() or lastModified >= authoredOn": (
        "lastModified.exists().not() or authoredOn.exists().not() or "
        "lastModified >= authoredOn or (lastModified >= authoredOn).empty()",
        "R4's expression is empty, so fails, when the two dates have different precisions and "
        "agree as far as both go (as per-1)",
    ),
    "whenHandedOver.empty() or whenPrepared.empty() or whenHandedOver >= whenPrepared": (
        "whenHandedOver.empty() or whenPrepared.empty() or whenHandedOver >= whenPrepared or "
        "(whenHandedOver >= whenPrepared).empty()",
        "R4's expression is empty, so fails, when the two dates have different precisions and "
        "agree as far as both go (as per-1)",
    ),
    # `is` on an empty collection is empty in FHIRPath (the R4-era HL7 engine said false).
    "probability is decimal implies (probability as decimal) <= 100": (
        "probability.exists() implies (probability is decimal implies "
        "(probability as decimal) <= 100)",
        "R4's expression is empty, so fails, on a prediction without a probability",
    ),
    # `not()` of an empty collection is empty: a Bundle entry without fullUrl failed.
    "fullUrl.contains('/_history/').not()": (
        "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
        "R4's expression is empty, so fails, on an entry without fullUrl (R5 adds the guard)",
    ),
    # con-3 compares each category (a CodeableConcept) with a string, which is never equal, so
    # `select($this = 'problem-list-item')` gives a `false` per category and is never empty:
    # every Condition with a category and no clinicalStatus failed, problem-list item or not.
    "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7"
    ".org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or "
    "category.select($this='problem-list-item').empty()": (
        "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology."
        "hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or "
        "category.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-category' "
        "and code='problem-list-item').empty()",
        "R4's expression compares a CodeableConcept with a string, which is never true, so it "
        "fails for any category; the problem-list-item coding is looked for instead",
    ),
    # tim-9: `when` repeats, but `in` takes one item on its left (FHIRPath: an error).
    "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))": (
        "offset.empty() or (when.exists() and when.all(($this in ('C' | 'CM' | 'CD' | "
        "'CV')).not()))",
        "R4's expression applies `in` to `when`, which repeats; with several values FHIRPath "
        "cannot evaluate it, so each value is tested",
    ),
    # que-12 says "more than one enableWhen" but counts more than two (fixed in R4B).
    "enableWhen.count() > 2 implies enableBehavior.exists()": (
        "enableWhen.count() > 1 implies enableBehavior.exists()",
        "R4's expression counts more than two enableWhen where its rule (and R4B) says more "
        "than one",
    ),
}
"""Published R4 expression -> (the expression to run instead, why)."""


def base_definitions(tarball: Path) -> Iterator[dict[str, Any]]:
    """Every base StructureDefinition: resources and datatypes, abstract ones included."""
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            name = member.name
            if not (name.startswith("package/StructureDefinition-") and name.endswith(".json")):
                continue
            file = tar.extractfile(member)
            definition = json.load(file) if file is not None else {}
            kind = definition.get("kind")
            if definition.get("url") == _SD + definition.get("type", "") and kind in (
                "resource",
                "complex-type",
                "primitive-type",
            ):
                yield definition


def _profiles(tarball: Path, urls: set[str]) -> dict[str, dict[str, Any]]:
    """The type profiles base definitions name (SimpleQuantity), by URL."""
    found: dict[str, dict[str, Any]] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            if member.name.startswith("package/StructureDefinition-"):
                file = tar.extractfile(member)
                definition = json.load(file) if file is not None else {}
                if definition.get("url") in urls:
                    found[definition["url"]] = definition
    return found


def _row(constraint: dict[str, Any]) -> list[Any]:
    expression = constraint["expression"]
    if expression in _AMENDED_EXPRESSIONS:
        expression = _AMENDED_EXPRESSIONS[expression][0]
    return [constraint["key"], constraint["severity"], constraint["human"], expression]


def _type_codes(element: dict[str, Any]) -> list[str]:
    return [t["code"] for t in element.get("type", ())]


class _Table:
    def __init__(self, definitions: list[dict[str, Any]]) -> None:
        self.by_url = {d["url"]: d for d in definitions}
        self.bases = {
            d["type"]: d["baseDefinition"].removeprefix(_SD)
            for d in definitions
            if d.get("baseDefinition")
        }
        self.constraints: dict[str, list[list[Any]]] = {}
        self.every_element: list[list[Any]] = []
        self.amended: dict[str, dict[str, str]] = {}

    def add(self, path: str, constraint: dict[str, Any]) -> None:
        rows = self.constraints.setdefault(path, [])
        if all(row[0] != constraint["key"] for row in rows):
            rows.append(_row(constraint))
        amendment = _AMENDED_EXPRESSIONS.get(constraint["expression"])
        if amendment is not None:
            self.amended[constraint["key"]] = {
                "published": constraint["expression"],
                "reason": amendment[1],
            }

    def inherited(self, source: str, owner: str, element: dict[str, Any]) -> bool:
        """Whether a constraint from `source` reaches this element through a type: the
        element's own type (ext-1 on `Patient.extension`) or an ancestor of the owner
        (dom-2 on `Patient`, qty-3 on `Age`)."""
        source_type = source.removeprefix(_SD)
        if source_type in _type_codes(element):
            return True
        ancestor = self.bases.get(owner)
        while ancestor is not None:
            if ancestor == source_type:
                return bool(element["path"] == owner)
            ancestor = self.bases.get(ancestor)
        return False


def build_table(definitions: list[dict[str, Any]], profiles: dict[str, Any]) -> dict[str, Any]:
    table = _Table(definitions)
    for definition in definitions:
        owner, url = definition["type"], definition["url"]
        for element in definition["snapshot"]["element"]:
            _attribute(table, owner, url, element)
            _type_profile_constraints(table, element, profiles)
    return {
        "fhirVersion": VERSION,
        "everyElement": table.every_element,
        "bases": dict(sorted(table.bases.items())),
        "constraints": dict(sorted(table.constraints.items())),
        "amended": dict(sorted(table.amended.items())),
    }


def _attribute(table: _Table, owner: str, url: str, element: dict[str, Any]) -> None:
    for constraint in element.get("constraint", ()):
        source = constraint.get("source", url)
        if constraint["key"] == _EVERY_ELEMENT:
            if not table.every_element:
                table.every_element.append(_row(constraint))
        elif table.inherited(source, owner, element):
            continue
        elif source == url:
            table.add(element["path"], constraint)
        else:
            raise ValueError(f"cannot place {constraint['key']} from {source} at {element['path']}")


def _type_profile_constraints(
    table: _Table, element: dict[str, Any], profiles: dict[str, Any]
) -> None:
    """A type's profile (Range.low is a SimpleQuantity) adds that profile's own constraints."""
    for type_ in element.get("type", ()):
        for profile_url in type_.get("profile", ()):
            profile = profiles[profile_url]
            path = element["path"]
            if path.endswith("[x]"):
                code = type_["code"]
                path = path[:-3] + code[0].upper() + code[1:]
            root = profile["snapshot"]["element"][0]
            for constraint in root.get("constraint", ()):
                if constraint.get("source", profile_url) == profile_url:
                    table.add(path, constraint)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(platformdirs.user_cache_dir("painfhir")),
        help=f"where the npm package tarball of {PACKAGE} is kept (default: the user cache dir)",
    )
    args = parser.parse_args(argv)
    tarball = cached_tarball(args.cache_dir)
    table = generate(tarball)
    text = json.dumps(table, separators=(",", ":"), ensure_ascii=False)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text) // 1024} KiB, {len(table['constraints'])} places)")


def generate(tarball: Path) -> dict[str, Any]:
    definitions = sorted(base_definitions(tarball), key=lambda d: d["type"])
    urls = {
        profile
        for definition in definitions
        for element in definition["snapshot"]["element"]
        for type_ in element.get("type", ())
        for profile in type_.get("profile", ())
    }
    return build_table(definitions, _profiles(tarball, urls))


if __name__ == "__main__":
    main()
