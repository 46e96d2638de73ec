"""MLLP ingest bench: `python -m bench.mllp` from the repo root (see bench/README.md).

Starts `painfhir serve --mllp-port` (one worker, SQLite in a temporary directory, or the
PostgreSQL given with --postgres) and sends REF^I12 referrals over MLLP: each message is
logged, mapped by the built-in HL7 v2 module, validated and stored before its ACK comes back.
Prints messages/s, round-trip p50/p99 and the server's peak RSS; exit status 0 only if every
ACK was AA and the target was met.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uvloop

from bench.rest_core import HOST, REPO_ROOT, _spawned, free_port, start

CORPUS_REFERRAL = REPO_ROOT.parent / "shared" / "corpora" / "hl7v2" / "REF-I12-01.hl7"
TARGET_PER_S = 300.0
MAX_MESSAGES = 20_000
START_BLOCK, END_BLOCK = b"\x0b", b"\x1c\r"

# What varies between referrals, as a clinic's feed would: the patient (a third of them
# referred twice), the referral, the diagnosis, the dates.
_FAMILIES = ("EVERYMAN", "OKAFOR", "RIVERA", "NGUYEN", "MÜLLER", "O'BRIEN", "KOWALSKI", "SATO")
_GIVENS = ("ADAM", "GRACE", "LUIS", "MAI", "JÜRGEN", "SIOBHAN", "PIOTR", "YUKI")
_DIAGNOSES = (
    "M54.50^Low back pain, unspecified^I10",
    "G89.4^Chronic pain syndrome^I10",
    "M79.7^Fibromyalgia^I10",
    "G57.10^Meralgia paresthetica^I10",
    "M54.16^Radiculopathy, lumbar region^I10",
    "G43.709^Chronic migraine^I10",
)


def referral(template: str, run: str, n: int) -> bytes:
    patient = n % max(1, (n * 2) // 3 + 1)
    text = template.replace("MSG00112", f"{run}{n:07d}")
    text = text.replace("PATID1234", f"PAT{patient:07d}")
    text = text.replace("EVERYMAN^ADAM", f"{_FAMILIES[n % 8]}^{_GIVENS[(n // 8) % 8]}")
    text = text.replace("|19610615|", f"|19{40 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}|")
    # The referral's own number (RF1-6) keys the ServiceRequest and what hangs off it (its
    # Task, diagnoses, prior results): a new referral must have a new one.
    text = text.replace("|226839^EPIC|", f"|{run}{n:07d}^EPIC|")
    text = text.replace("11001^EXTID", f"R{n:08d}^EXTID")
    text = text.replace("K63.3^Ulcer of Intestine^I10", _DIAGNOSES[n % len(_DIAGNOSES)])
    # every date of the referral moves by the same number of years, so their order (an
    # authorization's start before its end) stays as the sender wrote it
    text = re.sub(r"\|2022(\d{4})", lambda m: f"|{2023 + n % 3}{m.group(1)}", text)
    return text.encode("utf-8")


@dataclass(frozen=True)
class Result:
    messages: int
    seconds: float
    round_trips_ms: list[float]
    not_accepted: list[str]  # MSA-1 and control id of each answer other than AA

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.round_trips_ms)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def _sender(port: int, messages: list[bytes], times: list[float], odd: list[str]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for message in messages:
            began = time.perf_counter()
            writer.write(START_BLOCK + message + END_BLOCK)
            answer = await reader.readuntil(END_BLOCK)
            times.append((time.perf_counter() - began) * 1000)
            msa = answer.split(b"\r")[1].split(b"|")
            if msa[1] != b"AA":
                odd.append(f"{msa[1].decode()} {msa[2].decode()}: {answer[-300:]!r}")
    finally:
        writer.close()


async def send_all(port: int, messages: list[bytes], connections: int) -> Result:
    times: list[float] = []
    odd: list[str] = []
    shares = [messages[i::connections] for i in range(connections)]
    began = time.perf_counter()
    await asyncio.gather(*(_sender(port, share, times, odd) for share in shares))
    return Result(len(messages), time.perf_counter() - began, times, odd)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.mllp", description=__doc__)
    parser.add_argument("--messages", type=int, default=3000, help="measured messages")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured messages first")
    parser.add_argument("--connections", type=int, default=4, help="concurrent MLLP senders")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a temporary SQLite")
    args = parser.parse_args(argv)
    if not 0 < args.messages <= MAX_MESSAGES or not 0 <= args.warmup <= MAX_MESSAGES:
        parser.error(f"--messages and --warmup must be at most {MAX_MESSAGES}")
    if not 1 <= args.connections <= 64:
        parser.error("--connections must be 1..64")
    return args


async def _run(args: argparse.Namespace, folder: Path) -> tuple[Result, float]:
    template = CORPUS_REFERRAL.read_text(encoding="utf-8")
    run = f"B{int(time.time()) % 100000:05d}"  # control ids fresh for every run's database
    messages = [referral(template, run, n) for n in range(args.warmup + args.messages)]
    database = args.postgres or f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PAINFHIR_DATABASE_URL": database}
    mllp_port = free_port()
    painfhir = str(Path(sys.executable).parent / "painfhir")
    argv = [painfhir, "serve", "--host", HOST, "--log-level", "warning"]
    with _spawned("painfhir", [*argv, "--mllp-port", str(mllp_port)], env, folder) as server:
        await start(server, "/metadata")
        if args.warmup:
            await send_all(mllp_port, messages[: args.warmup], args.connections)
        server.reset_peak()
        result = await send_all(mllp_port, messages[args.warmup :], args.connections)
        return result, server.peak_rss_mb()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="painfhir-bench-") as tmp:
        result, peak = uvloop.run(_run(args, Path(tmp)))
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\nMLLP bench — REF^I12 over MLLP, logged, mapped, validated and stored; {backend},"
        f" one worker, {os.cpu_count()} CPUs, {args.connections} connections,"
        f" {args.warmup} warm-up messages\n"
    )
    print("| messages | messages/s | p50 ms | p99 ms | peak RSS MB | not AA |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result.messages} | {result.rate:,.0f} | {result.percentile_ms(50):.1f} |"
        f" {result.percentile_ms(99):.1f} | {peak:.0f} | {len(result.not_accepted)} |"
    )
    passed = result.rate >= TARGET_PER_S and not result.not_accepted
    print(f"\n  {'PASS' if result.rate >= TARGET_PER_S else 'FAIL'}  ≥ {TARGET_PER_S:.0f}/s")
    for answer in result.not_accepted[:3]:
        print(f"  not accepted: {answer}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
