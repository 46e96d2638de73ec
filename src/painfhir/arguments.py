"""Argument types the command line's commands share."""

from __future__ import annotations

import argparse


def positive_count(value: str) -> int:
    """How many to list: 0 or less would show nothing, or (as SQL's LIMIT -1) everything."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value}: a whole number is expected") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value}: give 1 or more")
    return number
