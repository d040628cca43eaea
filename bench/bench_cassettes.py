#!/usr/bin/env python
"""Cassette replay: pytest-checkout's indexed cassette against vcrpy's own, in one run.

Run from the repository root with the project's virtualenv::

    python bench/bench_cassettes.py            # full run (about two minutes)
    python bench/bench_cassettes.py --smoke    # seconds
    python bench/bench_cassettes.py --out /tmp/cassettes.json

What is measured (medians; the machine is noisy, so only ratios measured in the same run mean anything):

1. replay of a cassette of N interactions (N = 100 and 1,000): N different session creates, each replayed once
   in recorded order through ``requests``, as the SDK sends them (a form body, distinct per request). Per
   request: vcrpy with its default matchers (``method, scheme, host, port, path, query``) and (at the small
   size) with the body matcher added, against ``pytest_checkout.recording.open_cassette`` (the same file).
   Targets: at 1,000 interactions, at least 10x faster than vcrpy's default matchers; ours at 1,000 at most
   1.5x ours at 100.
2. entering and leaving a cassette of 3 interactions (load, patch, unpatch; nothing played). Target: median
   under 1 ms.

The exit code is 0 whatever the figures are; the PASS/FAIL lines are for a reader.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import benchlib  # noqa: E402,F401  (puts the repository root on sys.path)
import requests  # noqa: E402
import vcr  # noqa: E402

from pytest_checkout.recording import open_cassette  # noqa: E402
from pytest_checkout.recording.persist import CheckoutPersister  # noqa: E402

URL = "https://api.stripe.com/v1/checkout/sessions"
SPEEDUP_TARGET = 10.0
GROWTH_TARGET = 1.5
ENTER_TARGET_MS = 1.0


def form(index: int) -> str:
    return (
        "mode=payment&success_url=https%3A%2F%2Fshop.example%2Fok&line_items[0][price_data][currency]=usd"
        "&line_items[0][price_data][product_data][name]=Tee&line_items[0][price_data][unit_amount]=2000"
        f"&line_items[0][quantity]=1&client_reference_id=order-{index}"
    )


def write_cassette(path: Path, count: int) -> None:
    """A cassette of ``count`` creates, in vcrpy's format, through the project's persister."""
    from vcr.request import Request

    requests_, responses = [], []
    for index in range(count):
        body = form(index)
        requests_.append(
            Request(
                "POST",
                URL,
                body,
                {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer sk_test_REDACTED"},
            )
        )
        answer = json.dumps({"id": f"cs_test_{index:058d}", "object": "checkout.session", "amount_total": 2000})
        responses.append(
            {
                "status": {"code": 200, "message": "OK"},
                "headers": {"Content-Type": ["application/json"], "Request-Id": [f"req_{index:014d}"]},
                "body": {"string": answer.encode()},
            }
        )
    from vcr.serializers import yamlserializer

    CheckoutPersister.save_cassette(str(path), {"requests": requests_, "responses": responses}, yamlserializer)


def replay_per_request_us(context: Any, count: int) -> float:
    """The median time of one request replayed from the cassette ``context`` opens, in microseconds."""
    session = requests.Session()
    times = []
    with context:
        for index in range(count):
            start = time.perf_counter_ns()
            answer = session.post(URL, data=form(index), headers={"Content-Type": "application/x-www-form-urlencoded"})
            times.append(time.perf_counter_ns() - start)
            assert answer.status_code == 200, answer.text
    return statistics.median(times) / 1000


def vcrpy_context(path: Path, body: bool) -> Any:
    match_on = ["method", "scheme", "host", "port", "path", "query", *(["body"] if body else [])]
    return vcr.VCR(record_mode="none", match_on=match_on).use_cassette(str(path))


def ours_context(path: Path) -> Any:
    return open_cassette(path, record_mode="none")


def enter_leave_ms(path: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        with ours_context(path):
            pass
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def enter_first_leave_ms(open_context: Any, path: Path, rounds: int) -> float:
    """Enter a cassette, replay its first request, leave: what a test of one request pays for its cassette.

    Ours indexes a cassette at its first request (not when it is entered), so this is where that cost shows.
    """
    session = requests.Session()
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        with open_context(path):
            session.post(URL, data=form(0), headers={"Content-Type": "application/x-www-form-urlencoded"})
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def enter_leave(paths: dict[str, Path], rounds: int, per_round: int) -> dict[str, Any]:
    """Enter and leave each cassette ``per_round`` times per round, the formats interleaved round by round.

    The first cassette of a process costs more (the patches are built then, once per process): it is timed on
    its own, before the rounds.
    """
    first = {}
    for name, path in paths.items():
        first[name] = enter_leave_ms(path, 1)
    figures: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, path in paths.items():
            figures[name].append(enter_leave_ms(path, per_round))
    return {
        "first_ms": first,
        "median_ms": {name: statistics.median(values) for name, values in figures.items()},
        "rounds_ms": figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="seconds-long run: small cassettes, few rounds")
    parser.add_argument("--rounds", type=int, help="replays of each cassette per road (default 5; smoke 1)")
    parser.add_argument("--out", type=Path, default=HERE / "results_cassettes.json", help="where the JSON goes")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.smoke else 3)
    sizes = (20, 200) if args.smoke else (100, 1000)
    folder = Path(tempfile.mkdtemp(prefix="bench-cassettes-"))
    results: dict[str, Any] = {"sizes": sizes, "rounds": rounds, "replay_us": {}, "targets": {}}
    # First in the process, so that its first cassette is the one that builds the patches.
    three = {"yaml": folder / "three.yaml", "json": folder / "three.json"}
    for path in three.values():
        write_cassette(path, 3)
    entering = enter_leave(three, 2 if args.smoke else 9, 20 if args.smoke else 200)
    results["enter_leave"] = entering
    enter, enter_json = entering["median_ms"]["yaml"], entering["median_ms"]["json"]
    print(
        f"enter and leave a 3-interaction cassette: yaml {enter:.2f} ms, json {enter_json:.2f} ms "
        f"(median of {len(entering['rounds_ms']['yaml'])} rounds' medians); the process's first cassette "
        f"(patches built): {entering['first_ms']['yaml']:.2f} ms"
    )
    # With one request: ours against vcrpy (default matchers), the two interleaved round by round.
    with_request: dict[str, list[float]] = {"pytest-checkout": [], "vcrpy": []}
    for _ in range(2 if args.smoke else 9):
        with_request["pytest-checkout"].append(enter_first_leave_ms(ours_context, three["yaml"], 50))
        with_request["vcrpy"].append(
            enter_first_leave_ms(lambda path: vcrpy_context(path, body=False), three["yaml"], 50)
        )
    first_request = {road: statistics.median(values) for road, values in with_request.items()}
    results["enter_first_request_leave_ms"] = {"median": first_request, "rounds": with_request}
    ours_ms, vcrpy_ms = first_request["pytest-checkout"], first_request["vcrpy"]
    print(
        f"enter, replay one request, leave (YAML, 3 interactions): pytest-checkout {ours_ms:.2f} ms, "
        f"vcrpy {vcrpy_ms:.2f} ms ({vcrpy_ms / ours_ms:.1f}x)"
    )
    for size in sizes:
        path = folder / f"creates-{size}.yaml"
        write_cassette(path, size)
        # vcrpy's body matcher costs about 20 ms per request at 1,000 interactions (it parses every recorded
        # body for every request): measured at the small size only, to keep the run short.
        with_body = size == sizes[0]
        figures: dict[str, list[float]] = {
            "vcrpy": [],
            **({"vcrpy+body": []} if with_body else {}),
            "pytest-checkout": [],
        }
        for _ in range(rounds):
            # Interleaved, so a burst of load falls on every road of a round.
            figures["vcrpy"].append(replay_per_request_us(vcrpy_context(path, body=False), size))
            if with_body:
                figures["vcrpy+body"].append(replay_per_request_us(vcrpy_context(path, body=True), size))
            figures["pytest-checkout"].append(replay_per_request_us(ours_context(path), size))
        medians = {road: statistics.median(values) for road, values in figures.items()}
        results["replay_us"][size] = {"median": medians, "rounds": figures}
        print(
            f"replay of {size:>5} interactions, per request: "
            + ", ".join(f"{road} {value:9.1f} us" for road, value in medians.items())
        )
    small, large = sizes
    ours_large = results["replay_us"][large]["median"]["pytest-checkout"]
    speedup = results["replay_us"][large]["median"]["vcrpy"] / ours_large
    growth = ours_large / results["replay_us"][small]["median"]["pytest-checkout"]
    checks = [
        (
            f"replay at {large}: at least {SPEEDUP_TARGET:.0f}x faster than vcrpy's default matchers",
            speedup,
            speedup >= SPEEDUP_TARGET,
        ),
        (f"ours at {large} at most {GROWTH_TARGET}x ours at {small}", growth, growth <= GROWTH_TARGET),
        (
            f"enter and leave a 3-interaction cassette under {ENTER_TARGET_MS} ms (median, YAML)",
            enter,
            enter < ENTER_TARGET_MS,
        ),
        ("the same, a .json cassette", enter_json, enter_json < ENTER_TARGET_MS),
    ]
    for text, value, ok in checks:
        results["targets"][text] = {"value": value, "pass": ok}
        print(f"   {'PASS' if ok else 'FAIL'}  {text}: {value:.2f}")
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
