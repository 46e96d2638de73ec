"""HL7 v2 messages in ER7 (pipe-and-hat) encoding: a lossless parser, segment-group walkers,
and the Terser that mapping rules read values through.

    message = parse_message(data)            # bytes or str; unparse(message) == data
    tree = walk(message)                     # REF_I12 / PROVIDER_CONTACT[1] / PRD ...
    read = Terser(message, on_read=trace)    # trace(location, value) sees every read
    read.value("PID-5.1")                    # "EVERYMAN", unescaped
    for provider in tree.groups("PROVIDER_CONTACT"):
        read.within(provider).value("PRD-1.1")

Parsing keeps everything needed to give back the input byte for byte: the byte-order mark,
the segment terminator after every line (mixed if the sender mixed them, none after the last
if it sent none), blank lines, MSH-1/MSH-2 as declared (a fifth, truncation character
included), empty trailing fields and escape sequences as sent. Values are unescaped when read
(`_escape` says which escapes are translated and which are kept). Bytes are decoded per a
byte-order mark, else MSH-18, else as UTF-8, else Windows-1252; bytes the charset cannot
decode are kept (and reported in `Message.undecodable`), and read as U+FFFD.

Errors form one tree under `Hl7Error`: `Hl7ParseError` (with the segment number, field and
offset an acknowledgement's ERR segment needs), `TersePathError`, `UnsupportedStructureError`.
"""

from painfhir.mapping.hl7v2._delimiters import Delimiters
from painfhir.mapping.hl7v2._errors import (
    Hl7Error,
    Hl7ParseError,
    TersePathError,
    UnsupportedStructureError,
)
from painfhir.mapping.hl7v2._escape import escape, unescape
from painfhir.mapping.hl7v2._message import (
    FieldTree,
    Message,
    Segment,
    UndecodableByte,
    parse_message,
    unparse,
    unparse_text,
)
from painfhir.mapping.hl7v2._path import Location, TersePath, parse_terse_path
from painfhir.mapping.hl7v2._terser import OnRead, Terser
from painfhir.mapping.hl7v2._walker import Group, UnexpectedSegment, structure_of, walk

__all__ = [
    "Delimiters",
    "FieldTree",
    "Group",
    "Hl7Error",
    "Hl7ParseError",
    "Location",
    "Message",
    "OnRead",
    "Segment",
    "TersePath",
    "TersePathError",
    "Terser",
    "UndecodableByte",
    "UnexpectedSegment",
    "UnsupportedStructureError",
    "escape",
    "parse_message",
    "parse_terse_path",
    "structure_of",
    "unescape",
    "unparse",
    "unparse_text",
    "walk",
]
