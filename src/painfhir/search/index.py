"""The search-index rows a resource yields, written in the same transaction as the resource."""

from __future__ import annotations

from typing import Any, NamedTuple


class TokenRow(NamedTuple):
    param: str
    system: str  # "" when the coding or identifier has no system
    code: str


def _identifiers(resource: dict[str, Any]) -> list[Any]:
    identifier = resource.get("identifier")
    if isinstance(identifier, list):
        return identifier
    return [identifier] if isinstance(identifier, dict) else []


def token_rows(resource: dict[str, Any]) -> list[TokenRow]:
    rows = []
    for identifier in _identifiers(resource):
        value = identifier.get("value")
        if isinstance(value, str):
            rows.append(TokenRow("identifier", identifier.get("system", ""), value))
    return rows
