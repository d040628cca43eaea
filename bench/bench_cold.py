#!/usr/bin/env python
"""How much of the fake's cost per create is a cold cache: the same request, hot and after the SDK's own work.

Run from the repository root with the project's virtualenv::

    python bench/bench_cold.py            # about a minute
    python bench/bench_cold.py --smoke    # seconds

``bench_roads.py`` times the fake inside the SDK's calls; ``bench_instructions.py`` counts its instructions. The
two disagree (the timed ratio is well above the counted one), and this script shows where the difference goes.
It times one thing, ``CheckoutHTTPClient.request`` answering the SDK's create (the bytes the SDK sends for
``bench_roads.PARAMS``, on a fresh fake every 10 creates), in three settings, interleaved round by round:

- ``hot``: the requests back to back, nothing in between: the fake's code and data stay in the CPU's caches;
- ``after_floor_create``: each request after one create through the floor (the SDK's pipeline with canned
  bytes), which is what happens between two requests of an application;
- ``in_place``: the time spent inside ``request`` while the SDK itself calls it on the ``stripe_client`` road;

and, for scale, ``floor_create``: the floor's whole create, the SDK's pipeline with canned bytes.

No target: the figures say how much a change to the fake can hope to gain from fewer instructions (the hot
figure) and how much it pays for the memory and code it touches (the difference). Medians of per-round medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench_roads as roads  # noqa: E402
from benchlib import NOW, us  # noqa: E402

from pytest_checkout.fake import CheckoutFake  # noqa: E402
from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient  # noqa: E402

PER_FAKE = 10


def captured_create(canned: roads.Canned) -> tuple[str, str, dict[str, str], Any]:
    """What the SDK hands its HTTP client for the create: method, URL, headers, body."""
    seen: list[tuple[str, str, dict[str, str], Any]] = []

    class Capture(CheckoutHTTPClient):
        def request(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None) -> Any:
            if method.upper() == "POST":
                seen.append((method, url, dict(headers or {}), post_data))
            return super().request(method, url, headers, post_data, _usage=_usage)

    client = roads.sdk_client(Capture(CheckoutFake(seed=1, now=NOW)), pinned=True)
    client.v1.checkout.sessions.create(params=roads.PARAMS)
    return seen[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few rounds, to see that it runs")
    parser.add_argument("--rounds", type=int, default=120)
    args = parser.parse_args(argv)
    rounds = 3 if args.smoke else args.rounds
    canned = roads.Canned()
    default = roads.sdk_client()
    method, url, headers, body = captured_create(canned)
    floor, _ = roads.road("floor", canned, default, 0)
    floor_create = floor.v1.checkout.sessions.create

    def direct(seed: int, between: Any) -> float:
        client = CheckoutHTTPClient(CheckoutFake(seed=seed, now=NOW))
        times = []
        for k in range(PER_FAKE):
            sent = {**headers, "Idempotency-Key": f"cold-{seed}-{k}"}
            between()
            start = time.perf_counter_ns()
            client.request(method, url, sent, body)
            times.append(time.perf_counter_ns() - start)
        return statistics.median(times)

    inside: list[int] = []
    original = CheckoutHTTPClient.request

    def timed(self: Any, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None) -> Any:
        start = time.perf_counter_ns()
        try:
            return original(self, method, url, headers, post_data, _usage=_usage)
        finally:
            if method.upper() == "POST":
                inside.append(time.perf_counter_ns() - start)

    def in_place(seed: int) -> float:
        client, _ = roads.road("stripe_client", canned, default, seed)
        inside.clear()
        CheckoutHTTPClient.request = timed  # type: ignore[method-assign]
        try:
            for _ in range(PER_FAKE):
                client.v1.checkout.sessions.create(params=roads.PARAMS)
        finally:
            CheckoutHTTPClient.request = original  # type: ignore[method-assign]
        return statistics.median(inside)

    def floor_alone(seed: int) -> float:
        times = []
        for _ in range(PER_FAKE):
            start = time.perf_counter_ns()
            floor_create(params=roads.PARAMS)
            times.append(time.perf_counter_ns() - start)
        return statistics.median(times)

    settings = {
        "floor_create": floor_alone,
        "hot": lambda seed: direct(seed, lambda: None),
        "after_floor_create": lambda seed: direct(seed, lambda: floor_create(params=roads.PARAMS)),
        "in_place": in_place,
    }
    for run in settings.values():  # warm-up: every cache the code fills is filled once
        run(-1)
    per_round: dict[str, list[float]] = {name: [] for name in settings}
    for r in range(rounds):
        order = list(settings) if r % 2 else list(settings)[::-1]
        for name in order:
            per_round[name].append(us(settings[name](r)))
    medians = {name: statistics.median(values) for name, values in per_round.items()}
    print(f"Median of {rounds} rounds of {PER_FAKE}: the floor's whole create, then CheckoutHTTPClient.request alone:")
    for name, value in medians.items():
        hot, floor_ = value / medians["hot"], value / medians["floor_create"]
        print(f"  {name:20s} {value:8.1f} us  ({hot:.2f}x hot, {floor_:.2f}x floor)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
