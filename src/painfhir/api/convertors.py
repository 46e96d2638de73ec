"""URL path convertors that only match what FHIR allows in a resource type or an id."""

from __future__ import annotations

from starlette.convertors import Convertor


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
