"""The CapabilityStatement, generated from what painfhir really implements."""

from __future__ import annotations

from typing import Any

from painfhir import __version__
from painfhir.api.negotiation import FHIR_JSON, JSON_PATCH
from painfhir.api.operations import operations_of
from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.search.definitions import parameters_for

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


def _search_params(res_type: str) -> list[dict[str, str]]:
    params = [
        {
            "name": "_id",
            "type": "token",
            "definition": "http://hl7.org/fhir/SearchParameter/Resource-id",
        },
        {
            "name": "_lastUpdated",
            "type": "date",
            "definition": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        },
    ]
    for code, parameter in sorted(parameters_for(res_type).items()):
        if parameter.type != "special" and code not in ("_id", "_lastUpdated"):
            params.append({"name": code, "type": parameter.type, "definition": parameter.url})
    return params


def _references(res_type: str) -> list[str]:
    return sorted(c for c, p in parameters_for(res_type).items() if p.type == "reference")


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
        "searchInclude": ["*", *(f"{res_type}:{p}" for p in _references(res_type))],
        "searchRevInclude": ["*"],
        "searchParam": _search_params(res_type),
        "operation": [
            {"name": name, "definition": operation.definition}
            for name, operation in sorted(operations_of(res_type).items())
        ],
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
