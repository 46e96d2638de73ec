"""Segment-group walkers: a message's segments arranged in the groups of its message structure
(REF_I12's PROVIDER_CONTACT, OMG_O19's ORDER/OBSERVATION, ...), so a mapper can take "the
OBX and NTE of this OBR" instead of counting segments.

Nothing is dropped: a segment the structure has no place for (a Z-segment, a segment out of
order, one the message's version does not have there) stays in the group that was open when
it arrived, in message order, and is listed with the reason in `Group.unexpected`.

Placement is greedy, as HL7 receivers do it: each segment goes to the first place at or after
the current position where the structure allows it, looking in the innermost open group first
and then outwards; a repeating element takes it as a new repetition.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from painfhir.mapping.hl7v2._errors import UnsupportedStructureError
from painfhir.mapping.hl7v2._message import Message, Segment
from painfhir.mapping.hl7v2._structure import Element, Structure, Version, parse_version
from painfhir.mapping.hl7v2._structures import EVENTS, STRUCTURES


@dataclass(frozen=True, slots=True)
class UnexpectedSegment:
    """A segment the structure has no place for, and where it was kept instead."""

    segment: Segment
    group: str  # the path of the group that holds it, as `Group.path`
    reason: str

    @property
    def number(self) -> int:
        """The segment's 1-based position in the message."""
        return self.segment.number


class Group:
    """One occurrence of a segment group; the root is the whole message structure.

    `children` holds segments and groups in message order. `path` names the group from the
    root with each repetition's number: `REF_I12/PROVIDER_CONTACT[2]`.
    """

    __slots__ = ("_unexpected", "children", "name", "path", "repetition")

    def __init__(self, name: str, parent: Group | None = None) -> None:
        self.name = name
        self.children: list[Group | Segment] = []
        self._unexpected: list[UnexpectedSegment] = []
        if parent is None:
            self.repetition = 1
            self.path = name
        else:
            self.repetition = 1 + len(parent.groups(name))
            self.path = f"{parent.path}/{name}[{self.repetition}]"

    def __repr__(self) -> str:
        return f"<Group {self.path}>"

    def segments(self, segment_id: str | None = None) -> list[Segment]:
        """Every segment in this group and the groups within it, in message order."""
        found: list[Segment] = []
        for child in self.children:
            if isinstance(child, Group):
                found.extend(child.segments(segment_id))
            elif segment_id is None or child.id == segment_id:
                found.append(child)
        return found

    def groups(self, name: str) -> list[Group]:
        """The repetitions of the child group `name`."""
        return [c for c in self.children if isinstance(c, Group) and c.name == name]

    def group(self, name: str) -> Group | None:
        """The first repetition of the child group `name`, None when there is none."""
        found = self.groups(name)
        return found[0] if found else None

    def segment(self, segment_id: str) -> Segment | None:
        """The first segment `segment_id` directly in this group, None when there is none."""
        for child in self.children:
            if isinstance(child, Segment) and child.id == segment_id:
                return child
        return None

    @property
    def unexpected(self) -> list[UnexpectedSegment]:
        """The segments in this group and the groups within it that the structure has no
        place for, in message order."""
        found = list(self._unexpected)
        for child in self.children:
            if isinstance(child, Group):
                found.extend(child.unexpected)
        return sorted(found, key=lambda each: each.segment.number)


def structure_of(message: Message) -> Structure:
    """The message structure MSH-9 names: MSH-9.3 when it is one the walkers know, else the
    one HL7 table 0354 gives for the message type and trigger event."""
    code, event, structure_id = message.message_type
    found = STRUCTURES.get(structure_id) or STRUCTURES.get(EVENTS.get((code, event), ""))
    if found is None:
        raise UnsupportedStructureError(message.header.field(9))
    return found


def walk(message: Message) -> Group:
    """The message's segments in the groups of its structure (see the module docstring)."""
    structure = structure_of(message)
    version = parse_version(message.version)
    return _Walk(structure, version).run(message.segments)


@lru_cache(maxsize=64)  # bounded: the version comes from the sender
def _compiled(name: str, version: Version | None) -> Element:
    return STRUCTURES[name].for_version(version)


class _Frame:
    """An open group: its definition, its occurrence, and the index of the child definition
    that took the last segment (-1 before the first)."""

    __slots__ = ("element", "group", "position")

    def __init__(self, element: Element, group: Group) -> None:
        self.element = element
        self.group = group
        self.position = -1

    def find(self, segment_id: str) -> int | None:
        children = self.element.children
        position = self.position
        if position >= 0:
            current = children[position]
            if current.repeating and segment_id in current.ids:
                return position
        for index in range(position + 1, len(children)):
            if segment_id in children[index].ids:
                return index
        return None


class _Walk:
    def __init__(self, structure: Structure, version: Version | None) -> None:
        self._structure = structure
        self._version = version
        self._root = _compiled(structure.name, version)

    def run(self, segments: tuple[Segment, ...]) -> Group:
        root = Group(self._structure.name)
        stack = [_Frame(self._root, root)]
        previous: Segment | None = None
        for segment in segments:
            if not self._place(stack, segment):
                holder = stack[-1].group
                holder.children.append(segment)
                reason = self._reason(segment.id, previous)
                holder._unexpected.append(UnexpectedSegment(segment, holder.path, reason))
            previous = segment
        return root

    @staticmethod
    def _place(stack: list[_Frame], segment: Segment) -> bool:
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            index = frame.find(segment.id)
            if index is not None:
                del stack[depth + 1 :]
                while True:
                    frame.position = index
                    element = frame.element.children[index]
                    if element.kind != "group":
                        frame.group.children.append(segment)
                        return True
                    group = Group(element.name, frame.group)
                    frame.group.children.append(group)
                    frame = _Frame(element, group)
                    stack.append(frame)
                    # a group is entered only by a segment in its first set, so one of its
                    # leading elements takes it
                    found = frame.find(segment.id)
                    assert found is not None
                    index = found
        return False

    def _reason(self, segment_id: str, previous: Segment | None) -> str:
        name = self._structure.name
        introduced = self._structure.introduced.get(segment_id)
        if introduced is None:
            if segment_id.startswith("Z"):
                return f"{segment_id} is a Z-segment (locally defined), not part of {name}"
            return f"{segment_id} is not part of {name}"
        if self._version is not None and introduced > self._version:
            return (
                f"{segment_id} is part of {name} from v{_dotted(introduced)} on;"
                f" this message is v{_dotted(self._version)}"
            )
        after = f" after {previous.id}" if previous is not None else ""
        return f"{segment_id} is out of order: {name} has no place for it{after}"


def _dotted(version: Version) -> str:
    return ".".join(map(str, version))
