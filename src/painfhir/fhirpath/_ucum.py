"""Enough of UCUM to compare and convert the quantities clinical data carries.

A unit expression (`mg`, `mg/dL`, `mm[Hg]`, `10*3/uL`, `kg.m-2`, `/min`, `{score}`) is reduced
to a factor and a dimension (base units with exponents), so `1 g = 1000 mg` and
`1 mL = 1 cm3`. The atoms are UCUM's base units, the metric units clinical data uses, time,
and the customary US mass and length units; arbitrary units (`U`, `[iU]`, `eq`) are
dimensions of their own. Units with an offset (`Cel`, `[degF]`) are only ever equal to
themselves. An expression this module cannot read gives None: not comparable.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

Dimension = tuple[tuple[str, int], ...]
Canonical = tuple[Decimal, Dimension]

_PREFIXES = {
    "Y": 24, "Z": 21, "E": 18, "P": 15, "T": 12, "G": 9, "M": 6, "k": 3, "h": 2, "da": 1,
    "d": -1, "c": -2, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15, "a": -18,
}  # fmt: skip
# atom: (factor, {base: exponent}, takes a prefix)
_ATOMS: dict[str, tuple[Decimal, dict[str, int], bool]] = {
    "m": (Decimal(1), {"m": 1}, True),
    "s": (Decimal(1), {"s": 1}, True),
    "g": (Decimal(1), {"g": 1}, True),
    "mol": (Decimal(1), {"mol": 1}, True),
    "K": (Decimal(1), {"K": 1}, True),
    "rad": (Decimal(1), {"rad": 1}, True),
    "cd": (Decimal(1), {"cd": 1}, True),
    "C": (Decimal(1), {"C": 1}, True),
    "L": (Decimal("0.001"), {"m": 3}, True),
    "l": (Decimal("0.001"), {"m": 3}, True),
    "Pa": (Decimal(1000), {"g": 1, "m": -1, "s": -2}, True),
    "bar": (Decimal(100000000), {"g": 1, "m": -1, "s": -2}, True),
    "m[Hg]": (Decimal("133322000"), {"g": 1, "m": -1, "s": -2}, True),
    "m[H2O]": (Decimal("9806650"), {"g": 1, "m": -1, "s": -2}, True),
    "N": (Decimal(1000), {"g": 1, "m": 1, "s": -2}, True),
    "J": (Decimal(1000), {"g": 1, "m": 2, "s": -2}, True),
    "W": (Decimal(1000), {"g": 1, "m": 2, "s": -3}, True),
    "cal": (Decimal("4184"), {"g": 1, "m": 2, "s": -2}, True),
    "Hz": (Decimal(1), {"s": -1}, True),
    "min": (Decimal(60), {"s": 1}, False),
    "h": (Decimal(3600), {"s": 1}, False),
    "d": (Decimal(86400), {"s": 1}, False),
    "wk": (Decimal(604800), {"s": 1}, False),
    "a": (Decimal(31557600), {"s": 1}, False),
    "mo": (Decimal(2629800), {"s": 1}, False),
    "t": (Decimal(1000000), {"g": 1}, True),
    "[lb_av]": (Decimal("453.59237"), {"g": 1}, False),
    "[oz_av]": (Decimal("28.349523125"), {"g": 1}, False),
    "[in_i]": (Decimal("0.0254"), {"m": 1}, False),
    "[ft_i]": (Decimal("0.3048"), {"m": 1}, False),
    "[mi_i]": (Decimal("1609.344"), {"m": 1}, False),
    "%": (Decimal("0.01"), {}, False),
    "[ppm]": (Decimal("0.000001"), {}, False),
    "eq": (Decimal(1), {"eq": 1}, True),
    "U": (Decimal(1), {"U": 1}, True),
    "[iU]": (Decimal(1), {"[iU]": 1}, True),
    "[IU]": (Decimal(1), {"[iU]": 1}, True),
    "kat": (Decimal(1), {"kat": 1}, True),
    "[drp]": (Decimal(1), {"[drp]": 1}, False),
}
_TOKEN = re.compile(r"\{[^}]*\}|\(|\)|[./]|\d+\*\d+|\d+\^[+-]?\d+|\d+|[^./(){}]+(?:\{[^}]*\})?")
_EXPONENT = re.compile(r"(.*?[^\d+-])([+-]?\d+)")


def _atom(text: str) -> Canonical | None:
    text = re.sub(r"\{[^}]*\}$", "", text)  # an annotation only names the unit
    exponent = 1
    if text not in _ATOMS and (match := _EXPONENT.fullmatch(text)) is not None:
        text, exponent = match.group(1), int(match.group(2))
    found = _ATOMS.get(text)
    if found is None:
        for prefix, power in _PREFIXES.items():
            atom = _ATOMS.get(text[len(prefix) :]) if text.startswith(prefix) else None
            if atom is not None and atom[2]:
                found = (atom[0] * Decimal(10) ** power, atom[1], True)
                break
    if found is None:
        return None
    factor, dims, _ = found
    return factor**exponent, tuple((base, power * exponent) for base, power in dims.items())


def _number(text: str) -> Decimal | None:
    if text.isdigit():
        return Decimal(text)
    base, _, power = text.replace("^", "*").partition("*")
    return Decimal(base) ** int(power) if base.isdigit() and power else None


@lru_cache(maxsize=512)
def canonical(unit: str) -> Canonical | None:
    """(factor, dimension) of a UCUM unit expression: `1 unit = factor * dimension`."""
    if unit in ("", "1"):
        return Decimal(1), ()
    factor, dims = Decimal(1), dict[str, int]()
    sign = 1
    for token in _TOKEN.findall(unit):
        if token in ("/", "."):
            sign = -1 if token == "/" else 1
            continue
        if token in ("(", ")"):
            return None  # nested groups: not needed by clinical data, not read
        term: Canonical | None
        if token.startswith("{"):
            term = (Decimal(1), ())
        elif (number := _number(token)) is not None:
            term = (number, ())
        else:
            term = _atom(token)
        if term is None:
            return None
        factor = factor * term[0] if sign > 0 else factor / term[0]
        for base, power in term[1]:
            dims[base] = dims.get(base, 0) + sign * power
        sign = 1
    return factor, tuple(sorted((b, p) for b, p in dims.items() if p))
