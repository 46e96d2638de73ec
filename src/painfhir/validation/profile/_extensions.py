"""Known extensions checked against their definitions, wherever they occur.

A known extension is one whose url is an official R4 extension definition (compiled into
`r4_extensions.json` by the generator) or one of painfhir's (in `compiled_ig.json`). Base
validation finds each one as it walks the resource (it knows the type of every element) and
asks `KnownExtensions.check` with the names of the element that holds it: its path (Patient.name,
Observation.component), its type and the types that one derives from, and, for an extension
inside another, the outer extension's url. Checked:

- context: where the definition allows the extension (its `element` contexts name a path or a
  type; `extension` contexts the url of an outer extension; `fhirpath` contexts are not
  checked); `Element` and `Base` allow any element, `Resource` and `DomainResource` a resource;
- everything else the definition says, as a profile on the extension: value[x] types, the
  cardinality of its sub-extensions, bindings by strength, fixed and pattern values.

An extension with any other url is not looked at (R4 allows them).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from painfhir.fhir.outcome import Issue
from painfhir.validation.profile._ig import Guide, default_guide
from painfhir.validation.profile._run import Run
from painfhir.validation.profile._walk import check_profile

R4_EXTENSIONS = Path(__file__).with_name("r4_extensions.json")
_ANYWHERE = frozenset({"Element", "Base"})


class KnownExtensions:
    """The extension definitions of some guides; `official` says which are base R4's."""

    def __init__(self, official: Guide, painfhir: Guide) -> None:
        self._by_url: dict[str, tuple[Guide, dict[str, Any], bool]] = {}
        for guide, is_official in ((official, True), (painfhir, False)):
            for url, compact in guide.extension_definitions().items():
                if is_official or guide.is_painfhir(url):  # not the official ones it uses
                    self._by_url[url] = (guide, compact, is_official)
        self.urls = frozenset(self._by_url)

    def check(
        self,
        extension: dict[str, Any],
        expression: str,
        place: str,
        names: frozenset[str],
        owner: dict[str, Any],
        resource: dict[str, Any],
    ) -> tuple[list[Issue], bool]:
        """The issues of `extension` (at `expression`, on an element at `place` known by
        `names`, inside `owner`), and whether its definition is an official one."""
        url = extension["url"]
        guide, compact, official = self._by_url[url]
        run = Run(guide, resource, must_support=False, resolve=None)
        contexts = compact.get("context", ())
        if contexts and not any(_allows(context, names, owner) for context in contexts):
            allowed = ", ".join(str(context.get("expression")) for context in contexts)
            message = (
                f"The extension {url} ({guide.title(url)}) may not be used on {place}: its "
                f"definition allows it only on {allowed}"
            )
            run.issue("error", "structure", message, expression)
        profile = guide.compiled(url)
        assert profile is not None
        check_profile(profile, extension, expression, run)
        return run.issues, official


def _allows(context: dict[str, Any], names: frozenset[str], owner: dict[str, Any]) -> bool:
    kind, where = context.get("type"), context.get("expression")
    if kind == "element":
        return where in names or where in _ANYWHERE
    if kind == "extension":
        return "Extension" in names and owner.get("url") == where
    return True  # a FHIRPath context is not checked


@cache
def known_extensions() -> KnownExtensions:
    """The official R4 extension definitions and painfhir's, loaded at first need."""
    return KnownExtensions(Guide.load(R4_EXTENSIONS), default_guide())
