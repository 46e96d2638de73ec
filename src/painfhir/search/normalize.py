"""The form strings are indexed and searched in: FHIR string search ignores case and accents.

`Müller`, `MULLER` and `muller` must all find `Müller` (https://hl7.org/fhir/R4/search.html#string),
so both the index and the query side compare `normalize_string` of their text.
"""

from __future__ import annotations

import unicodedata


def normalize_string(text: str) -> str:
    """Case-folded, accents removed (NFKD without combining marks), whitespace collapsed."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(folded.split())
