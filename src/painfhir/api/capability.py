"""The CapabilityStatement, generated from what painfhir really implements."""

from __future__ import annotations

from typing import Any

from painfhir import __version__
from painfhir.api.negotiation import FHIR_JSON, JSON_PATCH
from painfhir.fhir.definitions import RESOURCE_TYPES, TYPES
from painfhir.search.criteria import SEARCH_PARAMETERS

_TYPE_INTERACTIONS = [
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
]
_DOCUMENTATION = {
    "_id": "Logical id of the resource",
    "_lastUpdated": "When the resource last changed (prefixes eq ne gt lt ge le sa eb ap)",
    "identifier": "A business identifier of the resource (system|value)",
}


def _has_element(res_type: str, name: str) -> bool:
    return any(element.name == name for element in TYPES[res_type])


def _definition(res_type: str, name: str) -> str:
    owner = "Resource" if name.startswith("_") else res_type
    return f"http://hl7.org/fhir/SearchParameter/{owner}-{name.lstrip('_')}"


def _search_params(res_type: str) -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "definition": _definition(res_type, name),
            "type": kind,
            "documentation": _DOCUMENTATION[name],
        }
        for name, kind in SEARCH_PARAMETERS.items()
        if name.startswith("_") or _has_element(res_type, name)
    ]


def _resource(res_type: str) -> dict[str, Any]:
    return {
        "type": res_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{res_type}",
        "interaction": [{"code": code} for code in _TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "full-support",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "searchParam": _search_params(res_type),
    }


def capability_statement(base: str, published: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "painfhir",
        "kind": "instance",
        "software": {"name": "painfhir", "version": __version__},
        "implementation": {"description": "painfhir FHIR R4 server", "url": base},
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, "json"],
        "patchFormat": [JSON_PATCH],
        "rest": [
            {
                "mode": "server",
                "resource": [_resource(res_type) for res_type in sorted(RESOURCE_TYPES)],
                "interaction": [
                    {"code": "transaction"},
                    {"code": "batch"},
                    {"code": "history-system"},
                ],
            }
        ],
    }
