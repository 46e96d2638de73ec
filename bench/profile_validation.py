"""Profile validation bench: `python -m bench.profile_validation` from the repo root.

Validates a typical referral ServiceRequest (profiles/examples/ServiceRequest-lindqvist-
referral.json, which claims painfhir's referral profile) in process, and prints, per step, the
best per-call time over several rounds: the structural check, the base R4 invariants, the
painfhir profile, all three (what a write costs), and fhir.resources' R4B model validation of
the same resource for comparison. Targets: the profile alone ≲ 40 µs, and the three together
at least 3x faster than the model validation. Exit status 0 only if both are met.

The steps run interleaved, round after round, and the best round counts: other work on a
shared machine can only slow a round down.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from painfhir.fhir.codec import parse_json
from painfhir.fhir.structure import check_resource
from painfhir.validation.invariants import check_invariants
from painfhir.validation.profile import validate_against_profile, validate_claimed_profiles

REFERRAL = (
    Path(__file__).resolve().parents[1] / "profiles/examples/ServiceRequest-lindqvist-referral.json"
)
PROFILE = "http://painfhir.org/fhir/StructureDefinition/pain-referral"
PROFILE_TARGET_US = 40.0
SPEEDUP_TARGET = 3.0


def _per_call_us(step: Callable[[], object], calls: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            step()
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        gc.enable()


def _whole(resource: dict[str, Any]) -> list[Any]:
    return (
        check_resource(resource) + check_invariants(resource) + validate_claimed_profiles(resource)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2_000, help="calls per step and round")
    args = parser.parse_args(argv)
    raw = REFERRAL.read_bytes()
    resource = parse_json(raw)
    problems = _whole(resource)
    if any(issue.severity in ("fatal", "error") for issue in problems):
        print(f"the referral does not validate: {problems}")
        return 1
    steps: dict[str, Callable[[], object]] = {
        "structure (check_resource)": lambda: check_resource(resource),
        "base invariants (check_invariants)": lambda: check_invariants(resource),
        "painfhir profile (validate_against_profile)": lambda: validate_against_profile(
            resource, PROFILE
        ),
        "all three (a write's validation)": lambda: _whole(resource),
        "fhir.resources R4B model_validate": lambda: ServiceRequest.model_validate(resource),
    }
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(args.rounds):
        for name, step in steps.items():
            best[name] = min(best[name], _per_call_us(step, args.calls))
    width = max(map(len, steps))
    print(f"{'step':<{width}}  µs/call")
    for name, micros in best.items():
        print(f"{name:<{width}}  {micros:7.1f}")
    profile = best["painfhir profile (validate_against_profile)"]
    speedup = best["fhir.resources R4B model_validate"] / best["all three (a write's validation)"]
    print(
        f"profile alone: {profile:.1f} µs (target ≤ {PROFILE_TARGET_US:.0f}) "
        f"{'PASS' if profile <= PROFILE_TARGET_US else 'FAIL'}"
    )
    print(
        f"whole validation vs fhir.resources: {speedup:.1f}x (target ≥ {SPEEDUP_TARGET:.0f}x) "
        f"{'PASS' if speedup >= SPEEDUP_TARGET else 'FAIL'}"
    )
    return 0 if profile <= PROFILE_TARGET_US and speedup >= SPEEDUP_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
