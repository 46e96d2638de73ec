"""The delimiters a message declares in MSH-1 and MSH-2 (its "encoding characters")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delimiters:
    """MSH-1 and MSH-2 as the message gives them.

    `truncation` is MSH-2's optional fifth character (HL7 v2.7+): a value ending in it was cut
    short by the sender. It is no separator, so values keep it as sent; `\\P\\` escapes it.
    """

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str | None = None

    @property
    def encoding_characters(self) -> str:
        """MSH-2 exactly as it reads in the message."""
        chars = self.component + self.repetition + self.escape + self.subcomponent
        return chars + (self.truncation or "")


def read_delimiters(header: str) -> Delimiters | tuple[str, int]:
    """The delimiters an MSH segment's text declares, or why it declares none and in which
    field (1 or 2).

    HL7 fixes MSH-2 at four characters (five from v2.7); each delimiter must be a single
    character distinct from the others and must not be a letter, digit or white space, or the
    message could not be split unambiguously. The reason comes back as text so the caller can
    attach the position.
    """
    if len(header) < 4:
        return "MSH has no field separator (MSH-1)", 1
    field = header[3]
    if field.isalnum() or field.isspace():
        return f"{field!r} cannot be the field separator (MSH-1)", 1
    end = header.find(field, 4)
    chars = header[4:] if end < 0 else header[4:end]
    if len(chars) not in (4, 5):
        return f"MSH-2 must hold 4 or 5 encoding characters, not {len(chars)} ({chars!r})", 2
    for char in chars:
        if char.isalnum() or char.isspace():
            return f"{char!r} cannot be a delimiter (MSH-2 {chars!r})", 2
    every = field + chars
    if len(set(every)) != len(every):
        return f"the delimiters in MSH-1/MSH-2 {every!r} are not all different", 2
    return Delimiters(field, chars[0], chars[1], chars[2], chars[3], chars[4:] or None)
