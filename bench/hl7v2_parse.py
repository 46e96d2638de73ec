"""HL7 v2 parse bench: `python -m bench.hl7v2_parse` from the repo root.

Parses every message in ../shared/corpora/hl7v2 with painfhir's parser and with the two
Python baselines, python-hl7 and hl7apy (the `bench` extra: `pip install -e '.[bench]'`), and
prints per message the best time over several rounds, then the totals and painfhir's speed-up
over python-hl7 against the target (≥ 10x). Exit status 0 only if the target is met.

Like is compared with like: each library parses the message and then visits every leaf of
what it built (every subcomponent of every component of every repetition of every field);
painfhir and python-hl7 unescape the leaves that hold an escape sequence, hl7apy renders each
leaf's text (its leaves are objects). painfhir is handed the file's bytes and decodes them
itself; the baselines are handed text already decoded, its line ends turned into "\\r" (which
python-hl7 needs), and that preparation is left out of their timings. Two more painfhir
columns: the parse alone (fields are split on demand, so this is what a mapper that reads a
few fields pays) and the segment-group walk.

Rounds interleave the libraries and the best round counts: other work on a shared machine can
only slow a round down. The garbage collector is off inside each timed call, for all three.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from painfhir.mapping.hl7v2 import (
    Hl7Error,
    Message,
    parse_message,
    unescape,
    walk,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "hl7v2"
SPEEDUP_TARGET = 10.0


def painfhir_parse_and_visit(data: bytes) -> int:
    """Parse, then visit every subcomponent, unescaping those that hold an escape."""
    message = parse_message(data)
    delimiters, charset = message.delimiters, message.charset
    escape, subcomponent = delimiters.escape, delimiters.subcomponent
    leaves = 0
    for segment in message.segments:
        for tree in segment.trees[1:]:
            for repetition in tree:
                for component in repetition:
                    if subcomponent in component:
                        for text in component.split(subcomponent):
                            if escape in text:
                                unescape(text, delimiters, charset)
                            leaves += 1
                    else:
                        if escape in component:
                            unescape(component, delimiters, charset)
                        leaves += 1
    return leaves


def python_hl7_parse_and_visit(hl7: Any, text: str) -> int:
    message = hl7.parse(text)
    unescape_text = message.unescape
    leaves = 0
    pending = [message]
    while pending:
        node = pending.pop()
        for child in node:
            if isinstance(child, str):
                if "\\" in child:
                    unescape_text(child)
                leaves += 1
            else:
                pending.append(child)
    return leaves


def hl7apy_parse_and_visit(parse: Callable[..., Any], text: str) -> int:
    message = parse(text, find_groups=False)
    leaves = 0
    pending = [message]
    while pending:
        node = pending.pop()
        children = getattr(node, "children", None)
        if children:
            pending.extend(children)
        else:
            node.to_er7()
            leaves += 1
    return leaves


def _best_us(step: Callable[[], object], best: float) -> float:
    gc.disable()
    try:
        start = time.perf_counter_ns()
        step()
        elapsed = (time.perf_counter_ns() - start) / 1000
    finally:
        gc.enable()
    return min(best, elapsed)


@dataclass
class Row:
    name: str
    data: bytes
    text: str  # decoded, line ends as "\r": what the baselines are given
    message: Message
    leaves: int
    walkable: bool
    best: dict[str, float] = field(default_factory=dict)


def _rows() -> list[Row]:
    rows = []
    for path in sorted(CORPUS.glob("*.hl7")):
        data = path.read_bytes()
        message = parse_message(data)
        try:
            walk(message)
            walkable = True
        except Hl7Error:
            walkable = False
        text = data.decode("utf-8-sig").replace("\r\n", "\r").replace("\n", "\r")
        leaves = painfhir_parse_and_visit(data)
        rows.append(Row(path.stem, data, text, message, leaves, walkable))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds for painfhir, python-hl7")
    parser.add_argument("--hl7apy-rounds", type=int, default=3, help="rounds for hl7apy (slow)")
    args = parser.parse_args(argv)
    # imported by name: the baselines are a bench extra, not something mypy or CI installs
    try:
        hl7 = importlib.import_module("hl7")
        hl7apy_parse = importlib.import_module("hl7apy.parser").parse_message
    except ModuleNotFoundError as missing:
        print(f"{missing.name} is missing: pip install -e '.[bench]'")
        return 2
    rows = _rows()
    if not rows:
        print(f"no messages in {CORPUS}")
        return 1
    steps: dict[str, Callable[[Row], Callable[[], object]]] = {
        "parse": lambda row: lambda: parse_message(row.data),
        "painfhir": lambda row: lambda: painfhir_parse_and_visit(row.data),
        "groups": lambda row: lambda: walk(row.message),
        "python-hl7": lambda row: lambda: python_hl7_parse_and_visit(hl7, row.text),
        "hl7apy": lambda row: lambda: hl7apy_parse_and_visit(hl7apy_parse, row.text),
    }
    for round_number in range(args.rounds):
        for row in rows:
            for name, make in steps.items():
                if name == "groups" and not row.walkable:
                    continue
                if name == "hl7apy" and round_number >= args.hl7apy_rounds:
                    continue
                row.best[name] = _best_us(make(row), row.best.get(name, float("inf")))
    return _report(rows, args.rounds, args.hl7apy_rounds)


def _report(rows: list[Row], rounds: int, hl7apy_rounds: int) -> int:
    print(
        f"best of {rounds} rounds (hl7apy: {hl7apy_rounds}); times in µs per message;"
        " painfhir = parse + visit every leaf"
    )
    header = (
        f"{'message':<12} {'bytes':>6} {'leaves':>6} {'parse':>7} {'painfhir':>9} "
        f"{'groups':>7} {'python-hl7':>11} {'hl7apy':>10} {'vs hl7':>7} {'vs hl7apy':>9}"
    )
    print(header)
    print("-" * len(header))
    totals = dict.fromkeys(["parse", "painfhir", "python-hl7", "hl7apy"], 0.0)
    for row in rows:
        for name in totals:
            totals[name] += row.best[name]
        groups = f"{row.best['groups']:7.1f}" if row.walkable else f"{'—':>7}"
        print(
            f"{row.name:<12} {len(row.data):>6} {row.leaves:>6} {row.best['parse']:7.1f} "
            f"{row.best['painfhir']:9.1f} {groups} {row.best['python-hl7']:11.1f} "
            f"{row.best['hl7apy']:10.0f} {row.best['python-hl7'] / row.best['painfhir']:6.1f}x "
            f"{row.best['hl7apy'] / row.best['painfhir']:8.0f}x"
        )
    print("-" * len(header))
    count = len(rows)
    print(
        f"{'mean':<12} {'':>6} {'':>6} {totals['parse'] / count:7.1f} "
        f"{totals['painfhir'] / count:9.1f} {'':>7} {totals['python-hl7'] / count:11.1f} "
        f"{totals['hl7apy'] / count:10.0f}"
    )
    speedup = totals["python-hl7"] / totals["painfhir"]
    verdict = "PASS" if speedup >= SPEEDUP_TARGET else "FAIL"
    print(
        f"painfhir vs python-hl7 over the corpus: {speedup:.1f}x "
        f"(target ≥ {SPEEDUP_TARGET:.0f}x) {verdict}; "
        f"vs hl7apy: {totals['hl7apy'] / totals['painfhir']:.0f}x"
    )
    return 0 if speedup >= SPEEDUP_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
