#!/usr/bin/env python
"""Benchmarks of the fake on each road the official ``stripe`` SDK takes, against a floor and a static stub.

Run from the repository root with the project's virtualenv::

    python bench/bench_roads.py                  # full run (about 4 minutes on 2 cores)
    python bench/bench_roads.py --smoke          # seconds-long run that a test can execute
    python bench/bench_roads.py --profile        # also: cProfile of each road that misses a speed target
    python bench/bench_roads.py --out /tmp/roads.json --rounds 240 --pairs 10 --sessions 10000

What is measured (see bench/README.md, "Roads of the SDK", for how to read it):

1. speed, create + retrieve of a Checkout Session through ``stripe.StripeClient`` (``max_network_retries=0``) on
   four roads, interleaved round by round (the order rotates every round and flips every fourth; rounds are
   short, 10 pairs per road, about a tenth of a second for the round: on these shared machines the speed of the
   whole machine changes by up to twice from one second to the next, and a round must fall in one speed):

   - ``floor``: the SDK's own pipeline and nothing else, with a ``stripe.HTTPClient`` subclass that returns
     canned bytes (the fake's own answers to the same calls, captured once beforehand);
   - ``stripe_client``: the in-process ``CheckoutHTTPClient(fake)``, pinned to ``versions.API_VERSION``;
   - ``stub``: the default ``RequestsClient`` against a static ``responses.RequestsMock`` whose fixed callbacks
     answer the same URLs with the same canned bytes;
   - ``mock_checkout``: the default ``RequestsClient`` inside ``mock_checkout()``.

   Targets: stripe_client/floor <= 1.5; stripe_client/stub < 1.0; mock_checkout/stub <= 1.2 (each for create,
   for retrieve and for the pair; judged on the ratio of the medians).
2. memory per session, 10,000 SDK creates through ``stripe_client`` and through ``mock_checkout``, each road in
   fresh subprocesses: one for the RSS delta, one for the tracemalloc delta (by file, and what clearing the
   request log and then the idempotency records gives back). Target: <= 5 KB (5,000 B) per session, on both.
3. filtered lists, ``CheckoutFake.list_sessions`` with one filter (customer, payment_intent, subscription,
   customer_details.email) at 1,000 and at 100,000 sessions in one account; the matching sessions are the
   same ones (among the oldest) at both sizes. Target: time at 100,000 <= 2x the time at 1,000, per filter.

The machine is shared and noisy: only medians and ratios measured in the same run mean anything. The exit code
is 0 whatever the figures are; the PASS/FAIL lines are for a reader, not for CI.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # as a script it is there already; loaded by file location it may not be
    sys.path.insert(0, str(HERE))

import requests  # noqa: E402
import responses  # noqa: E402
import stripe  # noqa: E402

# benchlib puts the repository root on sys.path: the pytest_checkout imported below is the working tree's.
from benchlib import (  # noqa: E402
    API_KEY,
    MB,
    NOW,
    OPS,
    SESSIONS_URL,
    add_round,
    close_machine,
    current_rss_bytes,
    ignore_version_warning,
    machine_info,
    median_call_us,
    peak_rss_bytes,
    print_banner,
    profile_table,
    ratio_figures,
    run_child,
    run_pairs,
    short_path,
    source_files,
    source_files_digest,
    summary,
    verdict,
    write_results,
)
from requests.structures import CaseInsensitiveDict  # noqa: E402

from pytest_checkout import versions  # noqa: E402
from pytest_checkout.fake import CheckoutFake, mock_checkout  # noqa: E402
from pytest_checkout.fake.transports import CheckoutHTTPClient  # noqa: E402

ignore_version_warning()

KB = 1000

FLOOR_TARGET = 1.5  # stripe_client / floor, at most
STUB_BEAT_TARGET = 1.0  # stripe_client / stub, below
REQUESTS_TARGET = 1.2  # mock_checkout / stub, at most
MEMORY_TARGET_BYTES = 5 * KB  # per session, at most
LIST_TARGET = 2.0  # list time at the large size / at 1,000, at most
#: The large list build stops growing after this many seconds and is measured at the size it reached.
LIST_BUILD_BUDGET_S = 120.0

#: The create request of every benchmark, as an application passes it to the SDK.
PARAMS: Any = {
    "mode": "payment",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": 2000}, "quantity": 2}
    ],
}
#: What a session of ``PARAMS`` comes to: the check that the answers are the fake's (2 x 2000).
PARAMS_AMOUNT_TOTAL = 4000

ROADS = ("floor", "stripe_client", "stub", "mock_checkout")
MEMORY_ROADS = ("stripe_client", "mock_checkout")
FILTERS = ("customer", "payment_intent", "subscription", "customer_details.email")


# -- the clients of each road -------------------------------------------------------------------------------------


def sdk_client(http_client: stripe.HTTPClient | None = None, *, pinned: bool = True) -> stripe.StripeClient:
    """A ``StripeClient`` as the benchmarks use it: no retries; pinned to 2022-08-01 unless ``pinned=False``.

    Every road is pinned to one version so that each parses the same bytes: the fake answers each version in its
    own shape, and today's (stripe 16's own, unpinned) has 66 fields where 2022-08-01 has 42.
    """
    options: dict[str, Any] = {"stripe_version": versions.API_VERSION} if pinned else {}
    if http_client is not None:
        options["http_client"] = http_client
    return stripe.StripeClient(API_KEY, max_network_retries=0, **options)


class Canned:
    """The fake's answers to one create and one retrieve, captured once: what the floor and the stub return."""

    def __init__(self) -> None:
        fake = CheckoutFake(seed=12345, now=NOW)
        client = sdk_client(CheckoutHTTPClient(fake), pinned=True)
        created = client.v1.checkout.sessions.create(params=PARAMS)
        retrieved = client.v1.checkout.sessions.retrieve(created.id)
        assert created.last_response is not None
        assert retrieved.last_response is not None
        self.session_id: str = created.id
        self.create_body: bytes = created.last_response.body.encode()
        self.retrieve_body: bytes = retrieved.last_response.body.encode()
        self.fields = len(json.loads(self.create_body))
        wanted = ("Content-Type", "Request-Id", "Stripe-Version")
        self.headers = {k: v for k, v in created.last_response.headers.items() if k in wanted}
        # The requests road answers with the same bytes: its sessions differ in ids only, not in length.
        with mock_checkout(seed=12345, now=NOW):
            via_requests = sdk_client().v1.checkout.sessions.create(params=PARAMS)
        assert via_requests.last_response is not None
        self.requests_create_bytes = len(via_requests.last_response.body.encode())

    def stub(self) -> responses.RequestsMock:
        """A fresh static stub: fixed callbacks for the POST and the GET, no fake behind them."""
        headers, create, retrieve = self.headers, self.create_body, self.retrieve_body
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.add_callback(responses.POST, SESSIONS_URL, callback=lambda request: (200, dict(headers), create))
        mock.add_callback(
            responses.GET,
            f"{SESSIONS_URL}/{self.session_id}",
            callback=lambda request: (200, dict(headers), retrieve),
        )
        return mock


class CannedHTTPClient(stripe.HTTPClient):
    """The floor: a ``stripe.HTTPClient`` that answers every POST and every GET with fixed bytes. No HTTP at all."""

    name = "bench-canned"

    def __init__(self, canned: Canned) -> None:
        super().__init__()
        headers = CaseInsensitiveDict(canned.headers)
        self._post = (canned.create_body, 200, headers)
        self._get = (canned.retrieve_body, 200, headers)

    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[bytes, int, Any]:
        return self._post if method.upper() == "POST" else self._get

    def request_stream(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None) -> Any:
        raise NotImplementedError("the floor answers create and retrieve; the benchmark never streams")

    def close(self) -> None:
        pass


def road(
    name: str, canned: Canned, default_client: stripe.StripeClient, seed: int
) -> tuple[stripe.StripeClient, AbstractContextManager[Any]]:
    """The client and the context of one round on ``name``: a fresh fake or a fresh stub every round."""
    if name == "floor":
        return sdk_client(CannedHTTPClient(canned), pinned=True), nullcontext()
    if name == "stripe_client":
        return sdk_client(CheckoutHTTPClient(CheckoutFake(seed=seed, now=NOW)), pinned=True), nullcontext()
    if name == "stub":
        return default_client, canned.stub()
    if name == "mock_checkout":
        return default_client, mock_checkout(seed=seed, now=NOW)
    raise ValueError(name)


# -- 1. speed -------------------------------------------------------------------------------------------------------


def road_pairs(
    client: stripe.StripeClient, context: AbstractContextManager[Any], pairs: int
) -> tuple[list[int], list[int]]:
    """``pairs`` create+retrieve calls of ``PARAMS`` inside ``context``; the ns of each create and each retrieve."""
    return run_pairs(client, pairs, params=PARAMS, context=context, amount_total=PARAMS_AMOUNT_TOTAL)


def round_order(r: int) -> tuple[str, ...]:
    """Roads in round ``r``: rotated every round, reversed every fourth, so no road always follows another."""
    k = r % len(ROADS)
    order = ROADS[k:] + ROADS[:k]
    return order[::-1] if (r // len(ROADS)) % 2 else order


def bench_speed(canned: Canned, rounds: int, pairs: int, warmup: int) -> dict[str, Any]:
    default_client = sdk_client()
    for name in ROADS:
        client, context = road(name, canned, default_client, -1)
        road_pairs(client, context, warmup)
    per_round: dict[str, dict[str, list[float]]] = {name: {op: [] for op in OPS} for name in ROADS}
    for r in range(rounds):
        for name in round_order(r):
            client, context = road(name, canned, default_client, r)
            creates, retrieves = road_pairs(client, context, pairs)
            add_round(per_round[name], creates, retrieves)
        if rounds > 60 and (r + 1) % 10:
            continue  # a line every tenth round of a long run
        print(
            f"  round {r + 1:2d}/{rounds}: pair "
            + ", ".join(f"{name} {per_round[name]['pair'][-1]:7.1f}" for name in ROADS)
            + " us",
            flush=True,
        )
    result: dict[str, Any] = {
        "pairs_per_round": pairs,
        "warmup_pairs": warmup,
        "session_fields": canned.fields,
        "create_body_bytes": len(canned.create_body),
        "retrieve_body_bytes": len(canned.retrieve_body),
        "requests_road_create_body_bytes": canned.requests_create_bytes,
        "roads": {name: {op: summary(per_round[name][op]) for op in OPS} for name in ROADS},
    }
    ratios: dict[str, Any] = {}
    for label, (top, bottom) in {
        "stripe_client/floor": ("stripe_client", "floor"),
        "stripe_client/stub": ("stripe_client", "stub"),
        "mock_checkout/stub": ("mock_checkout", "stub"),
        "stub/floor": ("stub", "floor"),
        "mock_checkout/floor": ("mock_checkout", "floor"),
    }.items():
        ratios[label] = {op: ratio_figures(per_round[top][op], per_round[bottom][op]) for op in OPS}
    result["ratios"] = ratios
    # What the fake adds above the floor, per call: the part of the stripe_client road that is the fake's.
    result["fake_added_us"] = {
        op: round(result["roads"]["stripe_client"][op]["median"] - result["roads"]["floor"][op]["median"], 1)
        for op in OPS
    }
    return result


# -- 2. memory per session through the SDK, in fresh subprocesses -------------------------------------------------


def memory_child(road_name: str, kind: str, count: int) -> dict[str, Any]:
    """``count`` SDK creates on ``road_name`` in this fresh process; ``kind`` is ``rss`` or ``tracemalloc``."""
    import tracemalloc

    # Warm-up on a throwaway fake: the SDK's and the fake's lazy imports and caches are not the sessions' bytes.
    if road_name == "stripe_client":
        warm = sdk_client(CheckoutHTTPClient(CheckoutFake(seed=1, now=NOW)), pinned=True)
        for _ in range(20):
            warm.v1.checkout.sessions.retrieve(warm.v1.checkout.sessions.create(params=PARAMS).id)
        del warm
        fake = CheckoutFake(seed=0, now=NOW)
        client = sdk_client(CheckoutHTTPClient(fake), pinned=True)
        context: AbstractContextManager[Any] = nullcontext(fake)
    else:
        client = sdk_client()
        with mock_checkout(seed=1, now=NOW):
            for _ in range(20):
                client.v1.checkout.sessions.retrieve(client.v1.checkout.sessions.create(params=PARAMS).id)
        context = mock_checkout(seed=0, now=NOW)
    sessions = client.v1.checkout.sessions
    out: dict[str, Any] = {"road": road_name, "kind": kind, "sessions": count}
    with context as fake:
        sessions.create(params=PARAMS)  # the context's own first request (the version warning, the patches)
        fake.reset()
        gc.collect()
        if kind == "tracemalloc":
            tracemalloc.start(1)
            before = tracemalloc.take_snapshot()
            base, _ = tracemalloc.get_traced_memory()
        rss_before = current_rss_bytes()
        started = time.monotonic()
        created = None
        for _ in range(count):
            created = sessions.create(params=PARAMS)
        out["loop_seconds"] = round(time.monotonic() - started, 2)
        assert created is not None
        assert created.status == "open"
        del created
        gc.collect()
        out["stored_sessions"] = len(fake.sessions)
        out["logged_requests"] = len(fake.requests)
        out["idempotency_records"] = len(getattr(fake.idempotency, "_records", ()))
        if out["stored_sessions"] != count:
            raise AssertionError(f"{out['stored_sessions']} sessions stored, expected {count}")
        if kind == "rss":
            rss_after = current_rss_bytes()
            out["rss_before_mb"] = rss_before / MB
            out["rss_after_mb"] = rss_after / MB
            out["peak_rss_mb"] = peak_rss_bytes() / MB
            out["bytes_per_session"] = (rss_after - rss_before) / count
            out["peak_bytes_per_session"] = (peak_rss_bytes() - rss_before) / count
            return out
        current, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
        retained = current - base
        keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
        after, before = after.filter_traces(keep), before.filter_traces(keep)
        by_file = after.compare_to(before, "filename")
        by_line = after.compare_to(before, "lineno")
        # What each per-request store holds: the bytes that clearing it gives back. The log goes first; the
        # idempotency records then give back theirs, with anything they shared with the log.
        fake.requests.clear()
        gc.collect()
        after_log, _ = tracemalloc.get_traced_memory()
        fake.idempotency.clear()
        gc.collect()
        after_idempotency, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        parts = {
            "fake.requests (request log)": current - after_log,
            "fake.idempotency (idempotency records, cleared after the log)": after_log - after_idempotency,
            "the rest (sessions, payment objects, ids, indexes)": after_idempotency - base,
        }
        out.update(
            {
                "retained_mb": retained / MB,
                "peak_mb": (peak - base) / MB,
                "bytes_per_session": retained / count,
                "parts": {
                    name: {"bytes_per_session": round(size / count, 1), "share": round(size / retained, 3)}
                    for name, size in parts.items()
                },
                "by_file": [
                    {
                        "file": short_path(stat.traceback[0].filename),
                        "bytes_per_session": round(stat.size_diff / count, 1),
                        "share": round(stat.size_diff / retained, 3),
                    }
                    for stat in by_file[:10]
                ],
                "by_line": [
                    {
                        "site": f"{short_path(stat.traceback[0].filename)}:{stat.traceback[0].lineno}",
                        "bytes_per_session": round(stat.size_diff / count, 1),
                        "share": round(stat.size_diff / retained, 3),
                    }
                    for stat in by_line[:12]
                ],
            }
        )
        return out


def bench_memory(count: int) -> dict[str, Any]:
    """Each road, each kind, in its own fresh process; two at a time (2 cores; memory does not mind the load)."""
    jobs = [(r, k) for r in MEMORY_ROADS for k in ("rss", "tracemalloc")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(run_child, __file__, "--child-memory", job[0], job[1], str(count)) for job in jobs}
        results = {job: future.result() for job, future in futures.items()}
    out: dict[str, Any] = {"sessions": count, "target_bytes_per_session": MEMORY_TARGET_BYTES}
    for road_name in MEMORY_ROADS:
        rss, traced = results[(road_name, "rss")], results[(road_name, "tracemalloc")]
        worst = max(rss["bytes_per_session"], traced["bytes_per_session"])
        out[road_name] = {"rss": rss, "tracemalloc": traced, "judged_bytes_per_session": worst}
        print(
            f"  {road_name}: tracemalloc {traced['bytes_per_session']:,.0f} B/session, "
            f"RSS {rss['bytes_per_session']:,.0f} B/session",
            flush=True,
        )
    return out


# -- 3. filtered lists --------------------------------------------------------------------------------------------

#: Where the matching sessions are, by position in creation order: among the oldest, so that a list answering
#: newest first has every newer session in front of them, and the same at every size.
CUSTOMER_AT = (11, 211, 411, 611, 811)
EMAIL_AT = (3, 203, 403, 603, 803)
PAYMENT_INTENT_AT = 500  # payment mode, completed
SUBSCRIPTION_AT = 507  # subscription mode, completed
NEEDLE_EMAIL = "needle@shop.example"


def _list_params(i: int, customer: str | None) -> dict[str, Any]:
    subscription = i % 10 == 7
    price_data: dict[str, Any] = {"currency": "usd", "product_data": {"name": f"Tee {i % 50}"}, "unit_amount": 2000}
    if subscription:
        price_data["recurring"] = {"interval": "month"}
    params: dict[str, Any] = {
        "mode": "subscription" if subscription else "payment",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cart",
        "line_items": [{"price_data": price_data, "quantity": 2}],
    }
    if customer is not None:
        params["customer"] = customer
    return params


def _completed(i: int) -> bool:
    # A fifth of the payment sessions and half of the subscription ones; never the customer's own five.
    return (i % 5 == 0 or i % 20 == 7 or i in EMAIL_AT) and i not in CUSTOMER_AT


def build_account(size: int, budget_s: float) -> dict[str, Any]:
    """One account of up to ``size`` sessions (fewer if the build outlasts ``budget_s``), and the filters to time."""
    fake = CheckoutFake(seed=size, now=NOW)
    account = fake.account(API_KEY)
    customer = fake.add_customer(email="regular@shop.example", name="Regular", api_key=API_KEY)["id"]
    started = time.monotonic()
    built = 0
    for i in range(size):
        if i % 1000 == 0 and i >= 1000 and time.monotonic() - started > budget_s:
            break
        data = fake.create_session(account, _list_params(i, customer if i in CUSTOMER_AT else None))
        if _completed(i):
            fake.complete(data["id"], email=NEEDLE_EMAIL if i in EMAIL_AT else f"buyer{i}@shop.example")
        built += 1
    seconds = time.monotonic() - started
    order = account.order
    filters: dict[str, dict[str, Any]] = {
        "customer": {"customer": customer},
        "payment_intent": {"payment_intent": account.sessions[order[PAYMENT_INTENT_AT]].get("payment_intent")},
        "subscription": {"subscription": account.sessions[order[SUBSCRIPTION_AT]].get("subscription")},
        "customer_details.email": {"customer_details": {"email": NEEDLE_EMAIL}},
    }
    expected = {"customer": len(CUSTOMER_AT), "payment_intent": 1, "subscription": 1, "customer_details.email": 5}
    for name, params in filters.items():
        got = fake.list_sessions(account, params)["data"]
        if len(got) != expected[name]:
            raise AssertionError(f"filter {name} matched {len(got)} sessions at {built}, expected {expected[name]}")
    return {
        "fake": fake,
        "account": account,
        "filters": filters,
        "matches": expected,
        "sessions": built,
        "completed": sum(1 for i in range(built) if _completed(i)),
        "build_seconds": round(seconds, 1),
        "truncated": built < size,
    }


def bench_lists(sizes: tuple[int, int], rounds: int, calls: int) -> dict[str, Any]:
    builds = []
    for size in sizes:
        build = build_account(size, LIST_BUILD_BUDGET_S)
        builds.append(build)
        note = f" (stopped at the {LIST_BUILD_BUDGET_S:.0f} s budget)" if build["truncated"] else ""
        print(
            f"  built {build['sessions']:,} sessions ({build['completed']:,} completed) in "
            f"{build['build_seconds']} s{note}",
            flush=True,
        )
    figures: dict[str, dict[str, list[float]]] = {str(b["sessions"]): {f: [] for f in FILTERS} for b in builds}
    for r in range(rounds):
        gc.collect()
        for build in builds if r % 2 == 0 else builds[::-1]:
            fake, account = build["fake"], build["account"]
            for name in FILTERS:
                timed = median_call_us(calls, fake.list_sessions, account, build["filters"][name])
                figures[str(build["sessions"])][name].append(timed)
    small, large = (str(b["sessions"]) for b in builds)
    out: dict[str, Any] = {
        "sizes": [b["sessions"] for b in builds],
        "requested_sizes": list(sizes),
        "build_seconds": [b["build_seconds"] for b in builds],
        "completed": [b["completed"] for b in builds],
        "truncated": builds[-1]["truncated"],
        "matches": builds[0]["matches"],
        "calls_per_round": calls,
        "by_size": {size: {name: summary(values) for name, values in per.items()} for size, per in figures.items()},
    }
    out["ratio_large_over_small"] = {}
    for name in FILTERS:
        out["ratio_large_over_small"][name] = ratio_figures(figures[large][name], figures[small][name], with_p90=False)
    return out


# -- targets --------------------------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with its measured figure and verdict (speed judged on the ratio of medians)."""
    out = []
    speed = results["speed"]["ratios"]
    for label, limit, strict, text in (
        ("stripe_client/floor", FLOOR_TARGET, False, f"stripe_client <= {FLOOR_TARGET}x the floor"),
        ("stripe_client/stub", STUB_BEAT_TARGET, True, "stripe_client faster than the static responses stub"),
        ("mock_checkout/stub", REQUESTS_TARGET, False, f"mock_checkout (requests) <= {REQUESTS_TARGET}x the stub"),
    ):
        for op in OPS:
            value = speed[label][op]["of_medians"]
            ok = value < limit if strict else value <= limit
            out.append(
                {
                    "target": f"{text}: {op}",
                    "measured": value,
                    "limit": limit,
                    "unit": "x",
                    "per_round": speed[label][op]["median_of_round_ratios"],
                    "pass": ok,
                }
            )
    memory = results["memory"]
    for road_name in MEMORY_ROADS:
        judged = memory[road_name]["judged_bytes_per_session"]
        out.append(
            {
                "target": f"memory via {road_name} <= {MEMORY_TARGET_BYTES:,} B/session "
                f"(worse of tracemalloc and RSS, {memory['sessions']:,} sessions)",
                "measured": round(judged, 1),
                "limit": MEMORY_TARGET_BYTES,
                "unit": "B",
                "pass": judged <= MEMORY_TARGET_BYTES,
            }
        )
    lists = results["lists"]
    small, large = lists["sizes"]
    for name in FILTERS:
        value = lists["ratio_large_over_small"][name]["of_medians"]
        out.append(
            {
                "target": f"list filtered by {name}: t({large:,}) <= {LIST_TARGET}x t({small:,})",
                "measured": value,
                "limit": LIST_TARGET,
                "unit": "x",
                "per_round": lists["ratio_large_over_small"][name]["median_of_round_ratios"],
                "pass": value <= LIST_TARGET,
            }
        )
    return out


def speed_misses(results: dict[str, Any]) -> list[str]:
    """The roads that miss a speed target, the worst miss (measured / limit) first."""
    excess: dict[str, float] = {}
    for target in results["targets"]:
        if not target["pass"] and target["target"].startswith(("stripe_client", "mock_checkout")):
            name = target["target"].split()[0]
            excess[name] = max(excess.get(name, 0.0), target["measured"] / target["limit"])
    return sorted(excess, key=lambda name: -excess[name])


# -- profile --------------------------------------------------------------------------------------------------------


def profile_road(canned: Canned, road_name: str, pairs: int, top: int = 25) -> dict[str, Any]:
    """cProfile of ``pairs`` create+retrieve pairs on ``road_name`` and on the floor: where the road's time goes."""
    import cProfile

    default_client = sdk_client()
    out: dict[str, Any] = {"road": road_name, "pairs": pairs}
    for name in (road_name, "floor"):
        client, context = road(name, canned, default_client, 77)
        road_pairs(client, context, 30)  # warm-up
        client, context = road(name, canned, default_client, 79)
        sessions = client.v1.checkout.sessions
        profiler = cProfile.Profile()
        with context:
            profiler.enable()
            for _ in range(pairs):
                sessions.retrieve(sessions.create(params=PARAMS).id)
            profiler.disable()
        raw, total = profile_table(profiler)
        rows = [
            {
                "function": f"{short_path(filename)}:{line}({func})",
                "calls_per_pair": round(ncalls / pairs, 2),
                "self_share": tt / total,
                "cum_share": ct / total,
                "cum_us_per_pair": ct / pairs * 1e6,
                "self_us_per_pair": tt / pairs * 1e6,
            }
            for (filename, line, func), (_, ncalls, tt, ct, _) in raw.items()
        ]
        package = [r for r in rows if r["function"].startswith("pytest_checkout/")]
        # What the fake's entry points spend their time on: each one's direct callees, by cumulative time.
        callees: dict[str, list[dict[str, Any]]] = {}
        for parent in ("routes.py", "handle"), ("backend.py", "create_session"), ("backend.py", "retrieve_session"):
            children = []
            for (filename, line, func), (_, _, _, _, callers) in raw.items():
                for (caller_file, _, caller_func), (_, ncalls, _, ct) in callers.items():
                    if caller_file.endswith(f"fake/{parent[0]}") and caller_func == parent[1]:
                        children.append(
                            {
                                "function": f"{short_path(filename)}:{line}({func})",
                                "calls_per_pair": round(ncalls / pairs, 2),
                                "cum_us_per_pair": ct / pairs * 1e6,
                                "cum_share": ct / total,
                            }
                        )
            callees[f"{parent[0]}:{parent[1]}"] = sorted(children, key=lambda r: -r["cum_us_per_pair"])[:12]
        out[name] = {
            "total_us_per_pair": total / pairs * 1e6,
            "package_self_us_per_pair": sum(r["self_us_per_pair"] for r in package),
            "package_by_cumulative": sorted(package, key=lambda r: -r["cum_share"])[:top],
            "package_by_self": sorted(package, key=lambda r: -r["self_share"])[:top],
            "by_self": sorted(rows, key=lambda r: -r["self_share"])[:top],
            "callees": callees,
        }
    return out


def print_profile(profile: dict[str, Any]) -> None:
    name = profile["road"]
    data, floor = profile[name], profile["floor"]
    print(
        f"\n== profile: {name}, {profile['pairs']} create+retrieve pairs under cProfile ==\n"
        f"   {data['total_us_per_pair']:.0f} us per pair ({floor['total_us_per_pair']:.0f} on the floor); "
        f"the package's own functions: {data['package_self_us_per_pair']:.0f} us self time per pair"
    )
    print("   package functions by cumulative time (us per pair, share of the pair, calls per pair):")
    for row in data["package_by_cumulative"][:22]:
        print(
            f"     {row['cum_us_per_pair']:7.1f} us {row['cum_share'] * 100:5.1f}%  x{row['calls_per_pair']:<6} "
            f"{row['function']}"
        )
    for parent, children in data["callees"].items():
        if children:
            print(f"   what {parent} calls (cumulative us per pair, share of the pair):")
            for row in children[:10]:
                print(
                    f"     {row['cum_us_per_pair']:7.1f} us {row['cum_share'] * 100:5.1f}%  "
                    f"x{row['calls_per_pair']:<5} {row['function']}"
                )
    print("   package functions by self time:")
    for row in data["package_by_self"][:12]:
        print(f"     {row['self_us_per_pair']:7.1f} us {row['self_share'] * 100:5.1f}%  {row['function']}")
    print("   all functions by self time:")
    for row in data["by_self"][:12]:
        print(f"     {row['self_us_per_pair']:7.1f} us {row['self_share'] * 100:5.1f}%  {row['function']}")


# -- report ---------------------------------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    speed = results["speed"]
    roads = speed["roads"]
    print(
        f"\n== 1. SDK create + retrieve per road (median over {roads['floor']['pair']['rounds']} rounds of "
        f"{speed['pairs_per_round']} pairs; {speed['session_fields']}-field session, "
        f"{speed['create_body_bytes']} B body) =="
    )
    print(f"   {'road':<16}" + "".join(f"{op + ' us':>14}{'(p90)':>9}" for op in OPS))
    for name in ROADS:
        print(
            f"   {name:<16}"
            + "".join(f"{roads[name][op]['median']:>14.1f}{roads[name][op]['p90']:>9.1f}" for op in OPS)
        )
    print(f"   {'ratio':<22}" + "".join(f"{op:>12}{'(per-round)':>12}" for op in OPS))
    for label, ratio in speed["ratios"].items():
        print(
            f"   {label:<22}"
            + "".join(f"{ratio[op]['of_medians']:>11.2f}x{ratio[op]['median_of_round_ratios']:>11.2f}x" for op in OPS)
        )
    added = speed["fake_added_us"]
    print(f"   the fake adds (stripe_client - floor): create {added['create']} us, retrieve {added['retrieve']} us")

    memory = results["memory"]
    print(f"\n== 2. Memory per session, {memory['sessions']:,} SDK creates, fresh subprocesses ==")
    for road_name in MEMORY_ROADS:
        rss, traced = memory[road_name]["rss"], memory[road_name]["tracemalloc"]
        print(
            f"   {road_name}: tracemalloc {traced['bytes_per_session']:,.0f} B/session, RSS "
            f"{rss['bytes_per_session']:,.0f} B/session (RSS {rss['rss_before_mb']:.1f} -> "
            f"{rss['rss_after_mb']:.1f} MB, peak {rss['peak_bytes_per_session']:,.0f} B/session); "
            f"{traced['logged_requests']:,} logged requests, "
            f"{traced['idempotency_records']:,} idempotency records"
        )
        for part, figure in traced["parts"].items():
            print(f"     {figure['bytes_per_session']:8,.0f} B {figure['share'] * 100:5.1f}%  {part}")
        files = ", ".join(f"{f['file']} {f['bytes_per_session']:,.0f}" for f in traced["by_file"][:5])
        print(f"     by file (B/session): {files}")

    lists = results["lists"]
    small, large = (str(s) for s in lists["sizes"])
    truncated = " (the large build stopped at its time budget)" if lists["truncated"] else ""
    print(
        f"\n== 3. Filtered list_sessions, median per call, {lists['sizes'][0]:,} vs {lists['sizes'][1]:,} sessions"
        f"{truncated}; built in {lists['build_seconds'][0]} s / {lists['build_seconds'][1]} s =="
    )
    print(f"   {'filter':<24}{'matches':>8}{small + ' us':>12}{large + ' us':>12}{'ratio':>9}{'(per-round)':>12}")
    for name in FILTERS:
        a, b = lists["by_size"][small][name], lists["by_size"][large][name]
        ratio = lists["ratio_large_over_small"][name]
        print(
            f"   {name:<24}{lists['matches'][name]:>8}{a['median']:>12.1f}{b['median']:>12.1f}"
            f"{ratio['of_medians']:>8.2f}x{ratio['median_of_round_ratios']:>11.2f}x"
        )

    print("\n== Targets ==")
    for target in results["targets"]:
        unit = "x" if target["unit"] == "x" else " B"
        measured = f"{target['measured']:.2f}x" if unit == "x" else f"{target['measured']:,.0f} B"
        extra = ""
        if "per_round" in target:
            noisy = abs(target["measured"] / target["per_round"] - 1) > 0.05
            extra = f" (per-round {target['per_round']:.2f}x{'; noisy: the two disagree by > 5%' if noisy else ''})"
        print(f"   {verdict(target['pass'])}  {target['target']}: {measured}{extra}")
    passed = sum(t["pass"] for t in results["targets"])
    machine = results["machine"]
    print(
        f"\n{passed}/{len(results['targets'])} targets PASS (load average {machine['loadavg_start'][0]:.2f} -> "
        f"{machine['loadavg_end'][0]:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run: tiny rounds, 1,000 sessions")
    parser.add_argument("--rounds", type=int, help="speed rounds (default 240; smoke 2)")
    parser.add_argument("--pairs", type=int, help="create+retrieve pairs per round and road (default 10)")
    parser.add_argument("--sessions", type=int, help="SDK creates of the memory runs (default 10,000; smoke 500)")
    parser.add_argument("--list-size", type=int, help="the large list size (default 100,000; smoke 3,000)")
    parser.add_argument("--profile", action="store_true", help="also cProfile each road that misses a speed target")
    parser.add_argument("--out", type=Path, default=HERE / "results_roads.json", help="where to write the JSON")
    parser.add_argument("--child-memory", nargs=3, metavar=("ROAD", "KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_memory:
        road_name, kind, count = args.child_memory
        print(json.dumps(memory_child(road_name, kind, int(count))))
        return 0

    smoke = args.smoke
    config: dict[str, Any] = {
        "mode": "smoke" if smoke else "full",
        "rounds": args.rounds or (2 if smoke else 240),
        "pairs": args.pairs or 10,
        "warmup_pairs": 10 if smoke else 100,
        "memory_sessions": args.sessions or (500 if smoke else 10_000),
        "list_sizes": [1_000, args.list_size or (3_000 if smoke else 100_000)],
        "list_rounds": 3 if smoke else 15,
        "list_calls": 5 if smoke else 50,
        "list_build_budget_s": LIST_BUILD_BUDGET_S,
    }
    started = time.monotonic()
    files_start = source_files()
    package_versions = {
        "stripe": stripe.VERSION,
        "responses": version("responses"),
        "requests": requests.__version__,
        "api_version": versions.API_VERSION,
    }
    machine = machine_info(package_versions, source_files_digest(files_start), git_dirty_files=True)
    results: dict[str, Any] = {"machine": machine, "config": config}
    print_banner(machine, config["mode"], f", fake API version {versions.API_VERSION}")
    canned = Canned()
    print("1. speed ...", flush=True)
    results["speed"] = bench_speed(canned, config["rounds"], config["pairs"], config["warmup_pairs"])
    print("3. filtered lists ...", flush=True)
    results["lists"] = bench_lists(tuple(config["list_sizes"]), config["list_rounds"], config["list_calls"])
    print("2. memory (subprocesses) ...", flush=True)
    results["memory"] = bench_memory(config["memory_sessions"])
    results["targets"] = targets(results)
    close_machine(results, files_start)
    print_report(results)
    if args.profile:
        results["profile"] = [
            profile_road(canned, name, 100 if smoke else 1000) for name in speed_misses(results) or ["stripe_client"]
        ]
        for profile in results["profile"]:
            print_profile(profile)
    results["seconds"] = round(time.monotonic() - started, 1)
    write_results(args.out, results)
    if results["sources_changed_during_run"]:
        print(
            "\nWARNING: pytest_checkout's sources changed during the run, the figures may mix two versions: "
            + ", ".join(results["sources_changed_during_run"])
        )
    print(
        f"\nwrote {args.out} in {results['seconds']} s (git {results['machine']['git_head']}, package sources "
        f"{results['machine']['package_sources_sha256']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
