#!/usr/bin/env python
"""Benchmark of the Hypothesis strategies: valid create params generated and validated per second.

Run from the repository root::

    python bench/bench_strategies.py           # three runs of 2,000 examples
    python bench/bench_strategies.py --examples 500 --rounds 1

One Hypothesis run of ``create_params()`` (derandomized, generate phase only, no database) draws the examples;
each is validated with ``validate_create_params``. The time of every example (draw plus validation, as the test
function sees it between calls) is recorded; a run's figure is 1 / median. The machines here are noisy (runs of
one build differ by a quarter), so the verdict takes the median of the runs' figures. Target: at least 200 per
second. The exit code is 0 whatever the figure is; the PASS/FAIL line is for a reader.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from hypothesis import HealthCheck, Phase, given, settings

from pytest_checkout import strategies
from pytest_checkout.errors import StripeError
from pytest_checkout.validation import validate_create_params

TARGET_PER_SECOND = 200


def run(examples: int) -> dict[str, float]:
    stamps: list[float] = []
    rejected = 0

    @settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategies.create_params())
    def check(params: dict[str, object]) -> None:
        nonlocal rejected
        try:
            validate_create_params(params)
        except StripeError:
            rejected += 1
        stamps.append(time.perf_counter())

    started = time.perf_counter()
    check()
    total = time.perf_counter() - started
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    median = statistics.median(gaps)
    return {
        "examples": len(stamps),
        "median_ms": median * 1000,
        "per_second_median": 1 / median,
        "per_second_overall": len(stamps) / total,
        "rejected": rejected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    rates = []
    for round_number in range(1, arguments.rounds + 1):
        figures = run(arguments.examples)
        print(f"run {round_number}:")
        for name, value in figures.items():
            print(f"{name:>20}: {value:.1f}" if isinstance(value, float) else f"{name:>20}: {value}")
        rates.append(figures["per_second_median"])
    rate = statistics.median(rates)
    verdict = "PASS" if rate >= TARGET_PER_SECOND else "FAIL"
    runs = ", ".join(f"{r:.0f}" for r in rates)
    print(f"{verdict}: {rate:.0f} valid params/s (median of runs: {runs}), target {TARGET_PER_SECOND}/s")


if __name__ == "__main__":
    main()
