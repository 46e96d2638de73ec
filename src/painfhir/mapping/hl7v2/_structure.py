"""Message structures (the segment grammar of an abstract message syntax) written as the HL7
standard prints them, and compiled per HL7 version for the walker.

    MSH [{SFT}] [UAC@2.6] [RF1] [AUTHORIZATION_CONTACT: AUT [CTD]] {PROVIDER_CONTACT: PRD ...}

`[…]` is optional, `{…}` repeats, `NAME: …` inside brackets makes a segment group,
`<A|B|C>` is a choice of one segment, `@2.7` marks an element that later versions added (it
belongs to the structure only for messages of that version or later, per MSH-12), and
`[ORC!2.7]` an optional segment that later versions require.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

Version = tuple[int, ...]

_TOKEN = re.compile(r"\s*(?:([\[\]{}<>|])|([A-Z][A-Z0-9_]*)(?:@([0-9.]+))?(?:!([0-9.]+))?(:)?)")


@dataclass(frozen=True, slots=True, eq=False)
class Element:
    """A segment, a choice of segments, or a group. `ids` is the segment ids it can start
    with: a segment's own id, a choice's options, a group's first set (the ids of its leading
    elements up to and including the first one it requires)."""

    kind: Literal["segment", "choice", "group"]
    name: str
    ids: frozenset[str]
    optional: bool = False
    repeating: bool = False
    since: Version | None = None
    required_since: Version | None = None
    children: tuple[Element, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Structure:
    """A message structure (`REF_I12`) as the standard defines it, every version's
    additions included; `for_version` gives the one a message of a given version has."""

    name: str
    root: Element
    introduced: dict[str, Version]  # segment id → the earliest version it appears in here

    def for_version(self, version: Version | None) -> Element:
        """The structure without the elements added after `version` (all of them kept when
        the version is unknown: a sender that says nothing usable is not held to an old one)."""
        pruned = _prune(self.root, version)
        assert pruned is not None  # the root has no `since`
        return pruned


def parse_version(text: str) -> Version | None:
    """MSH-12.1 ("2.5.1") as a comparable tuple, None when it is not a version number."""
    return tuple(int(part) for part in text.split(".")) if _VERSION.fullmatch(text) else None


_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*")


class _Token(NamedTuple):
    mark: str | None  # one of [ ] { } < | >
    name: str | None  # a segment id or group name
    since: str | None  # the version after "@"
    required_since: str | None  # the version after "!"
    label: str | None  # ":" after a group name


def structure(name: str, notation: str) -> Structure:
    """A structure from its notation (see the module docstring)."""
    tokens: list[_Token] = []
    at = 0
    text = notation.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or not match.group(0):
            raise ValueError(f"{name}: notation does not parse at character {at}")
        tokens.append(_Token(*match.groups()))
        at = match.end()
    children = _Reader(name, tokens).sequence(closing=None)
    root = _group(name, children, optional=False, repeating=False, since=None)
    introduced: dict[str, Version] = {}
    _collect(root, (), introduced)
    return Structure(name, root, introduced)


class _Reader:
    def __init__(self, name: str, tokens: list[_Token]) -> None:
        self._name = name
        self._tokens = tokens
        self._at = 0

    def sequence(self, closing: str | None) -> list[Element]:
        items: list[Element] = []
        while self._at < len(self._tokens):
            if closing is not None and self._tokens[self._at].mark == closing:
                self._at += 1
                return items
            items.append(self.item())
        if closing is not None:
            raise ValueError(f"{self._name}: {closing!r} missing at the end")
        return items

    def item(self) -> Element:
        mark, name, since, required_since, _ = self._next()
        if mark in ("[", "{"):
            closing = "]" if mark == "[" else "}"
            label = self._tokens[self._at] if self._at < len(self._tokens) else None
            if label is not None and label.name is not None and label.label:
                self._at += 1
                children = self.sequence(closing)
                inner = _group(label.name, children, False, False, _version(label.since))
            else:
                inner = self.item()
                self._expect(closing)
            if mark == "[":
                return replace(inner, optional=True)
            return replace(inner, repeating=True)
        if mark == "<":
            options = [self._segment_id()]
            while self._next().mark == "|":
                options.append(self._segment_id())
            self._at -= 1
            self._expect(">")
            return Element("choice", "|".join(options), frozenset(options))
        if name is None or len(name) != 3:
            raise ValueError(f"{self._name}: expected a segment id at token {self._at}")
        return Element(
            "segment",
            name,
            frozenset([name]),
            since=_version(since),
            required_since=_version(required_since),
        )

    def _segment_id(self) -> str:
        name = self._next().name
        if name is None or len(name) != 3:
            raise ValueError(f"{self._name}: a choice holds segment ids")
        return name

    def _next(self) -> _Token:
        if self._at >= len(self._tokens):
            raise ValueError(f"{self._name}: notation ends too early")
        self._at += 1
        return self._tokens[self._at - 1]

    def _expect(self, mark: str) -> None:
        if self._next().mark != mark:
            raise ValueError(f"{self._name}: expected {mark!r} at token {self._at - 1}")


def _version(text: str | None) -> Version | None:
    return parse_version(text) if text else None


def _group(
    name: str, children: list[Element], optional: bool, repeating: bool, since: Version | None
) -> Element:
    first: set[str] = set()
    for child in children:
        first |= child.ids
        if not child.optional:
            break
    return Element(
        "group",
        name,
        frozenset(first),
        optional=optional,
        repeating=repeating,
        since=since,
        children=tuple(children),
    )


def _collect(element: Element, since: Version, introduced: dict[str, Version]) -> None:
    since = max(since, element.since or ())
    for child in element.children:
        _collect(child, since, introduced)
    if element.kind != "group":
        for segment_id in element.ids:
            introduced[segment_id] = min(introduced.get(segment_id, since), since)


def _prune(element: Element, version: Version | None) -> Element | None:
    if version is not None and element.since is not None and element.since > version:
        return None
    if element.kind != "group":
        required = element.required_since
        if required is not None and (version is None or version >= required):
            return replace(element, optional=False)
        return element
    kept = [c for c in (_prune(child, version) for child in element.children) if c is not None]
    return _group(element.name, kept, element.optional, element.repeating, element.since)
