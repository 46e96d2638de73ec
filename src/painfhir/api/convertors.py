"""URL path convertors that only match what FHIR allows in a resource type or an id.

They are registered on import, as `{name:type}` and `{name:id}`; routes are made with
`fhir_route`, so the convertors always exist before a route using them is compiled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class ResourceTypeConvertor(Convertor[str]):
    regex = "[A-Z][A-Za-z]{1,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class ResourceIdConvertor(Convertor[str]):
    regex = "[A-Za-z0-9.-]{1,64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("type", ResourceTypeConvertor())
register_url_convertor("id", ResourceIdConvertor())


def fhir_route(
    path: str, endpoint: Callable[[Request], Awaitable[Response]], *methods: str
) -> Route:
    return Route(path, endpoint, methods=list(methods))
