"""Rows as a plain-text table a person can read in a terminal: what the CLI's list commands
print."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns left-aligned, as wide as their widest cell, two spaces apart."""
    table = [tuple(headings), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(headings))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    )
