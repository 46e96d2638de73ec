"""The rules of R4 for a narrative's XHTML (txt-1, txt-2), checked with a real XML parser.

R4 (narrative.html) allows the basic formatting elements and attributes of HTML 4.0 chapters
7-11 (without section 9.4, `ins`/`del`) and 15, `a` elements, images and `style` attributes,
in a `div` in the XHTML namespace; nothing deprecated, no scripts, forms, frames, objects,
head/body, base/link or external style sheets (txt-1). And the narrative must say something:
some text other than whitespace, or an image (txt-2).

The div is parsed with expat. FHIR narratives use HTML's named entities (`&nbsp;`), which XML
does not define without a DTD; expat is told a DTD exists, so it hands unknown entities back
to us, and a name HTML does not know is a markup problem.
"""

from __future__ import annotations

import html.entities
import xml.parsers.expat
from dataclasses import dataclass
from functools import lru_cache

XHTML = "http://www.w3.org/1999/xhtml"
_XML = "http://www.w3.org/XML/1998/namespace"

_ELEMENTS = frozenset(
    {
        # HTML 4.0 ch. 7 (structure), 8 (language), 9 (text, less 9.4), 10 (lists), 11 (tables)
        "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "address", "bdo",
        "em", "strong", "dfn", "code", "samp", "kbd", "var", "cite", "abbr", "acronym",
        "blockquote", "q", "sub", "sup", "p", "br", "pre",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "thead", "tfoot", "tbody", "colgroup", "col", "tr", "th", "td",
        # ch. 15 (alignment and font styles, without the deprecated ones), links, images
        "tt", "i", "b", "big", "small", "hr", "a", "img",
    }
)  # fmt: skip
_COMMON_ATTRIBUTES = frozenset(
    {"id", "class", "style", "title", "lang", "xml:lang", "dir", "accesskey", "tabindex"}
)
_CELL = frozenset({"align", "valign", "char", "charoff", "bgcolor"})
_ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name", "rel", "rev", "charset", "hreflang", "type", "shape"})
    | frozenset({"coords"}),
    "img": frozenset({"src", "alt", "height", "width", "longdesc", "usemap", "ismap", "border"})
    | frozenset({"align", "hspace", "vspace"}),
    "table": frozenset({"summary", "width", "border", "frame", "rules", "cellspacing"})
    | frozenset({"cellpadding", "align", "bgcolor"}),
    "td": _CELL
    | {"abbr", "axis", "headers", "scope", "rowspan", "colspan", "nowrap"}
    | {"width", "height"},
    "tr": _CELL,
    "thead": _CELL,
    "tbody": _CELL,
    "tfoot": _CELL,
    "col": _CELL | {"span", "width"},
    "ol": frozenset({"start", "type", "compact"}),
    "ul": frozenset({"type", "compact"}),
    "li": frozenset({"type", "value"}),
    "dl": frozenset({"compact"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "hr": frozenset({"align", "noshade", "size", "width"}),
    "br": frozenset({"clear"}),
    "pre": frozenset({"width"}),
    "caption": frozenset({"align"}),
}
for _name in ("th",):
    _ELEMENT_ATTRIBUTES[_name] = _ELEMENT_ATTRIBUTES["td"]
for _name in ("colgroup",):
    _ELEMENT_ATTRIBUTES[_name] = _ELEMENT_ATTRIBUTES["col"]
for _name in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6"):
    _ELEMENT_ATTRIBUTES[_name] = frozenset({"align"})
_XML_WHITESPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class NarrativeCheck:
    """The verdict on one div: the first markup problem (txt-1), if any, and whether it has
    content (txt-2)."""

    markup_problem: str | None
    has_content: bool

    @property
    def valid(self) -> bool:
        return self.markup_problem is None and self.has_content


class _Reader:
    def __init__(self) -> None:
        self.problem: str | None = None
        self.has_content = False
        self.depth = 0

    def _report(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if self.depth == 0 and (local != "div" or namespace != XHTML):
            self._report("the narrative must be a single div in the XHTML namespace")
        elif namespace != XHTML:
            self._report(f"the element <{local}> is not XHTML")
        elif local not in _ELEMENTS:
            self._report(f"the element <{local}> is not allowed in a narrative")
        for attribute in attributes:
            self._check_attribute(local, attribute)
        self.has_content = self.has_content or local == "img"
        self.depth += 1

    def _check_attribute(self, element: str, attribute: str) -> None:
        namespace, _, local = attribute.rpartition(" ")
        name = f"xml:{local}" if namespace == _XML else (local if not namespace else attribute)
        allowed = _ELEMENT_ATTRIBUTES.get(element, frozenset())
        if name not in _COMMON_ATTRIBUTES and name not in allowed:
            self._report(f"the attribute '{name}' is not allowed on <{element}> in a narrative")

    def end(self, name: str) -> None:
        self.depth -= 1

    def text(self, data: str) -> None:
        if not self.has_content and data.strip(_XML_WHITESPACE):
            self.has_content = True

    def entity(self, name: str, is_parameter_entity: bool) -> None:
        codepoint = html.entities.name2codepoint.get(name)
        if codepoint is None:
            self._report(f"the entity &{name}; is not defined in XHTML")
        else:
            self.text(chr(codepoint))


@lru_cache(maxsize=256)
def check_narrative(div: str) -> NarrativeCheck:
    reader = _Reader()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.UseForeignDTD(True)  # undefined (HTML) entities come to `entity`, not as errors
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.SkippedEntityHandler = reader.entity
    try:
        parser.Parse(div, True)
    except xml.parsers.expat.ExpatError as exc:
        return NarrativeCheck(f"the narrative is not well-formed XHTML: {exc}", False)
    return NarrativeCheck(reader.problem, reader.has_content)
