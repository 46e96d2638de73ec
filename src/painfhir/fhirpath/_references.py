"""What resolve() can find without a server: contained resources and a Bundle's entries.

A reference `#id` is a resource contained in the root resource (`#` alone is the root resource
itself). Inside a Bundle, a reference matches an entry's fullUrl; a relative `Type/id` is
first read against the base of the referring entry's fullUrl, as R4's bundle.html says, and
otherwise matches an entry whose resource is that type and id.
"""

from __future__ import annotations

import re
from typing import Any

_RELATIVE = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")


class BundleIndex:
    """A Bundle's entries by fullUrl and by `Type/id`, built once per Bundle."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self.by_url: dict[str, dict[str, Any]] = {}
        self.by_type_id: dict[str, dict[str, Any]] = {}
        self.base_of: dict[int, str] = {}  # id() of an entry's resource -> its fullUrl's base
        entries = bundle.get("entry")
        for entry in entries if type(entries) is list else ():
            resource = entry.get("resource") if type(entry) is dict else None
            if type(resource) is not dict:
                continue
            url = entry.get("fullUrl")
            kind, local_id = resource.get("resourceType"), resource.get("id")
            if isinstance(url, str):
                self.by_url.setdefault(url, resource)
                suffix = f"/{kind}/{local_id}"
                if url.endswith(suffix):
                    self.base_of[id(resource)] = url[: -len(suffix)]
            if isinstance(kind, str) and isinstance(local_id, str):
                self.by_type_id.setdefault(f"{kind}/{local_id}", resource)

    def find(self, reference: str, referrer: Any) -> dict[str, Any] | None:
        found = self.by_url.get(reference)
        if found is not None:
            return found
        match = _RELATIVE.fullmatch(reference)
        if match is None:
            return None
        relative = f"{match.group('type')}/{match.group('id')}"
        base = self.base_of.get(id(referrer))
        if base is not None and (found := self.by_url.get(f"{base}/{relative}")) is not None:
            return found
        return self.by_type_id.get(relative)


def contained(root: Any, reference: str) -> dict[str, Any] | None:
    """The resource `#id` names in the root resource; `#` is the root resource itself."""
    if type(root) is not dict:
        return None
    if reference == "#":
        return root
    for resource in root.get("contained") or ():
        if type(resource) is dict and resource.get("id") == reference[1:]:
            return resource
    return None
