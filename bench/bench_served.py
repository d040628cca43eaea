#!/usr/bin/env python
"""Benchmark of the served fake: the official SDK's create + retrieve over loopback HTTP against the same calls
answered in process.

Run from the repository root::

    python bench/bench_served.py                      # full run (about a minute)
    python bench/bench_served.py --smoke              # a few seconds: 2 rounds x 10 pairs
    python bench/bench_served.py --out /tmp/s.json --rounds 9 --pairs 50 --subprocess

What is measured: ``client.v1.checkout.sessions.create(params=...)`` then ``.retrieve(id)`` through
``stripe.StripeClient(..., max_network_retries=0)`` with a ``RequestsClient`` on its own ``requests.Session``,
answered by

- ``inprocess``: ``mock_checkout()``, the fake on ``responses`` with no socket at all (the baseline);
- ``served``: ``Server(port=0)`` in a background thread of this process, over 127.0.0.1 with keep-alive (the
  session's pool keeps one connection open);
- ``served_close``: the same server, but the client sends ``Connection: close`` on every request, so each
  request opens a new TCP connection (keep-alive off, from the client's side);
- ``wsgiref``: the server served mode had before keep-alive: ``wsgiref.simple_server`` (HTTP/1.0, one
  connection per request, a thread per connection) around the same ``make_wsgi_app``;
- ``served_subprocess`` (with ``--subprocess``): ``python -m pytest_checkout serve --port 0`` in another
  process, with keep-alive, as a test in another language would use it.

Two phases, each with its own in-process baseline: keep-alive (``inprocess``, ``served``, and
``served_subprocess``), then keep-alive off (``inprocess``, ``served_close``, ``wsgiref``). They are apart because
a connection per request (and a server thread per connection) is churn that slowed whatever ran right after it.
In a phase, after a warm-up, every round runs each variant once, in an order that rotates from round to round;
each round is ``pairs`` create+retrieve pairs on a fresh fake (the served ones are reset between rounds, which
keeps the connection). A round's figure is its median per call; the reported figure is the median over rounds
(p90 beside it), and ratios are to the phase's own in-process figure. Timer: ``time.perf_counter_ns``. Target:
served/inprocess <= 1.5 for the pair.

Traffic: 127.0.0.1 only, and bounded: the script refuses a configuration that would send more than
``MAX_REQUESTS`` requests. The machine is shared and noisy: only medians and ratios measured in the same run mean
anything. The exit code is 0 whatever the figures are; the PASS/FAIL line is for a reader.
"""

from __future__ import annotations

import argparse
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # as a script it is there already; loaded by file location it may not be
    sys.path.insert(0, str(HERE))

import requests  # noqa: E402
import stripe  # noqa: E402
import urllib3  # noqa: E402

# benchlib puts the repository root on sys.path: the pytest_checkout imported below is the working tree's.
from benchlib import (  # noqa: E402
    API_KEY,
    NOW,
    OPS,
    ROOT,
    add_round,
    close_machine,
    ignore_version_warning,
    machine_info,
    print_banner,
    print_footer,
    ratio_figures,
    run_pairs,
    sources_digest,
    summary,
    verdict,
    write_results,
)

from pytest_checkout.fake import CheckoutFake, mock_checkout  # noqa: E402
from pytest_checkout.fake.server import Server, make_wsgi_app  # noqa: E402

TARGET = 1.5
#: The most HTTP requests one run may send (all to 127.0.0.1); a larger configuration is refused.
MAX_REQUESTS = 5_000
TIMEOUT = 10

ignore_version_warning()


# -- the variants --------------------------------------------------------------------------------------------------


def http_session(*, close: bool = False) -> requests.Session:
    """A session that never goes through a proxy (the traffic stays on 127.0.0.1)."""
    session = requests.Session()
    session.trust_env = False
    if close:
        # Asked on every request: the server answers and closes, so the next request opens a new connection.
        session.headers["Connection"] = "close"
    return session


def sdk(base: str | None, *, close: bool = False) -> stripe.StripeClient:
    """The official SDK on its own requests session; ``base`` None for the in-process fake (api.stripe.com)."""
    http = stripe.RequestsClient(timeout=TIMEOUT, session=http_session(close=close))
    addresses = {"api": base} if base is not None else {}
    return stripe.StripeClient(API_KEY, max_network_retries=0, http_client=http, base_addresses=addresses)


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """What ``Server`` was before keep-alive: wsgiref's server, a daemon thread per connection."""

    daemon_threads = True
    request_queue_size = 64

    def server_bind(self) -> None:
        # As the old Server did: no socket.getfqdn (a DNS lookup) for the bound address.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])
        self.setup_environ()


@contextmanager
def wsgiref_server(fake: CheckoutFake) -> Iterator[str]:
    httpd = _ThreadingWSGIServer(("127.0.0.1", 0), _QuietWSGIHandler)
    httpd.set_app(make_wsgi_app(fake))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@contextmanager
def cli_server() -> Iterator[str]:
    """``python -m pytest_checkout serve --port 0`` in a child process; its URL from the banner it prints."""
    process = subprocess.Popen(
        # -W: the child's one StripeVersionWarning (stripe 16 pins a newer version) would only clutter the output.
        [
            sys.executable,
            "-W",
            "ignore::UserWarning",
            "-m",
            "pytest_checkout",
            "serve",
            "--port",
            "0",
            "--now",
            str(NOW),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if " at http://" not in line:
            raise RuntimeError(f"the served fake did not start: {line!r}")
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)


class Variant:
    """One way of answering the SDK: a client, and what to do before each round (a fresh fake)."""

    def __init__(
        self,
        name: str,
        client: stripe.StripeClient,
        round_context: Callable[[int], AbstractContextManager[Any]],
        *,
        http: bool,
        connections: Callable[[], int | None] = lambda: None,
    ) -> None:
        self.name = name
        self.client = client
        self.round_context = round_context
        self.http = http
        self.connections = connections


def reset_each_round(fake: CheckoutFake) -> Callable[[int], AbstractContextManager[Any]]:
    def before(round_index: int) -> AbstractContextManager[Any]:
        fake.reset(clock=True)  # through Python, not HTTP: the connection stays as it is
        return nullcontext()

    return before


# -- measuring ---------------------------------------------------------------------------------------------------


def measure(variants: list[Variant], rounds: int, pairs: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    for variant in variants:
        with variant.round_context(-1):
            run_pairs(variant.client, warmup)
    figures: dict[str, dict[str, list[float]]] = {v.name: {op: [] for op in OPS} for v in variants}
    for r in range(rounds):
        # Rotated, so that no variant always runs first (or right after another) in a round.
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for variant in order:
            with variant.round_context(r):
                creates, retrieves = run_pairs(variant.client, pairs)
            add_round(figures[variant.name], creates, retrieves)
        line = ", ".join(f"{v.name} {figures[v.name]['pair'][-1]:7.0f}" for v in variants)
        print(f"  round {r + 1:2d}/{rounds}: pair us: {line}", flush=True)
    return figures


def in_process() -> Variant:
    """The baseline: the same SDK calls answered by ``mock_checkout`` (a fresh fake every round), no socket."""
    return Variant("inprocess", sdk(None), lambda r: mock_checkout(seed=max(r, 0), now=NOW), http=False)


def served_variant(name: str, server: Server, *, close: bool = False) -> Variant:
    return Variant(
        name,
        sdk(server.url, close=close),
        reset_each_round(server.fake),
        http=True,
        connections=lambda: server.connections_accepted,
    )


def keep_alive_variants(stack: ExitStack, with_subprocess: bool) -> list[Variant]:
    variants = [in_process(), served_variant("served", stack.enter_context(Server(port=0, now=NOW)))]
    if with_subprocess:
        child_url = stack.enter_context(cli_server())
        child_http = stack.enter_context(http_session())

        def reset_child(round_index: int) -> AbstractContextManager[Any]:
            # The child's fake is only reachable over HTTP: its reset helper (one request, not timed).
            answer = child_http.post(child_url + "/_pytest_checkout/reset", json={"clock": True}, timeout=TIMEOUT)
            answer.raise_for_status()
            return nullcontext()

        variants.append(Variant("served_subprocess", sdk(child_url), reset_child, http=True))
    return variants


def no_keep_alive_variants(stack: ExitStack) -> list[Variant]:
    old_fake = CheckoutFake(now=NOW)
    old_url = stack.enter_context(wsgiref_server(old_fake))
    return [
        in_process(),
        served_variant("served_close", stack.enter_context(Server(port=0, now=NOW)), close=True),
        Variant("wsgiref", sdk(old_url), reset_each_round(old_fake), http=True),
    ]


def phase(variants: list[Variant], rounds: int, pairs: int, warmup: int) -> dict[str, Any]:
    """Interleaved rounds of ``variants`` (the first is the in-process baseline); figures and ratios to it."""
    requests_sent = sum(2 * (warmup + rounds * pairs) for v in variants if v.http)
    names = ", ".join(v.name for v in variants)
    print(f"  {names}: about {requests_sent:,} requests to 127.0.0.1", flush=True)
    figures = measure(variants, rounds, pairs, warmup)
    result: dict[str, Any] = {
        "pairs_per_round": pairs,
        "warmup_pairs": warmup,
        "requests_sent": requests_sent,
        "connections_accepted": {v.name: v.connections() for v in variants if v.http},
        "variants": {name: {op: summary(values) for op, values in ops.items()} for name, ops in figures.items()},
    }
    ratios: dict[str, Any] = {}
    base = figures["inprocess"]
    for name, ops in figures.items():
        if name == "inprocess":
            continue
        # The ratio of the unrounded medians, not of the rounded ones that summary() reports.
        ratios[name] = {
            op: ratio_figures(ops[op], base[op], of_medians=statistics.median(ops[op]) / statistics.median(base[op]))
            for op in OPS
        }
    result["ratio_over_inprocess"] = ratios
    return result


def bench(rounds: int, pairs: int, warmup: int, with_subprocess: bool) -> dict[str, Any]:
    # Two phases, each with its own in-process baseline: the variants without keep-alive open a connection (and
    # the server a thread) per request, and that churn slowed whatever ran next in the same round by 10-20%
    # when all variants shared rounds. The keep-alive figure is measured apart from it.
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        print("keep-alive:", flush=True)
        results["keep_alive"] = phase(keep_alive_variants(stack, with_subprocess), rounds, pairs, warmup)
    with ExitStack() as stack:
        print("keep-alive off:", flush=True)
        results["no_keep_alive"] = phase(no_keep_alive_variants(stack), rounds, pairs, warmup)
    results["target"] = TARGET
    results["pass"] = results["keep_alive"]["ratio_over_inprocess"]["served"]["pair"]["of_medians"] <= TARGET
    return results


def print_phase(title: str, result: dict[str, Any], rounds: int) -> None:
    print(
        f"\n== {title}: SDK create + retrieve vs in process (median over {rounds} rounds of per-round medians, "
        f"{result['pairs_per_round']} pairs each) =="
    )
    print(
        f"   {'variant':<19}{'create us':>11}{'retrieve us':>13}{'pair us':>10}{'(p90)':>9}"
        f"{'pair ratio':>12}{'per-round':>11}"
    )
    for name, ops in result["variants"].items():
        ratio = result["ratio_over_inprocess"].get(name)
        shown = (
            f"{ratio['pair']['of_medians']:>11.2f}x{ratio['pair']['median_of_round_ratios']:>10.2f}x" if ratio else ""
        )
        print(
            f"   {name:<19}{ops['create']['median']:>11.1f}{ops['retrieve']['median']:>13.1f}"
            f"{ops['pair']['median']:>10.1f}{ops['pair']['p90']:>9.1f}{shown}"
        )
    print(f"   connections accepted: {result['connections_accepted']}  ({result['requests_sent']:,} requests sent)")


def print_report(results: dict[str, Any]) -> None:
    speed, rounds = results["speed"], results["config"]["rounds"]
    print_phase("keep-alive", speed["keep_alive"], rounds)
    print_phase("keep-alive off", speed["no_keep_alive"], rounds)
    served = speed["keep_alive"]["ratio_over_inprocess"]["served"]
    print(
        f"\nSERVED {verdict(speed['pass'])}: served/inprocess "
        f"create {served['create']['of_medians']:.2f}x, "
        f"retrieve {served['retrieve']['of_medians']:.2f}x, pair {served['pair']['of_medians']:.2f}x "
        f"(per-round {served['pair']['median_of_round_ratios']:.2f}x), target pair <= {TARGET}x "
        f"(load average {results['machine']['loadavg_start'][0]:.2f} -> {results['machine']['loadavg_end'][0]:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a quick run: 2 rounds of 10 pairs")
    parser.add_argument("--rounds", type=int, help="rounds (default 9; smoke 2)")
    parser.add_argument("--pairs", type=int, help="create+retrieve pairs per round and variant (default 50; smoke 10)")
    parser.add_argument("--subprocess", action="store_true", help="also measure the CLI server in another process")
    parser.add_argument("--out", type=Path, default=HERE / "results_served.json", help="where to write the results")
    args = parser.parse_args(argv)
    config: dict[str, Any] = {
        "mode": "smoke" if args.smoke else "full",
        "rounds": args.rounds or (2 if args.smoke else 9),
        "pairs": args.pairs or (10 if args.smoke else 50),
        "warmup_pairs": 5 if args.smoke else 20,
        "subprocess": args.subprocess,
    }
    served_variants = 4 if args.subprocess else 3
    planned = served_variants * 2 * (config["warmup_pairs"] + config["rounds"] * config["pairs"])
    if config["rounds"] < 1 or config["pairs"] < 1:
        parser.error("--rounds and --pairs must be at least 1")
    if planned > MAX_REQUESTS:
        parser.error(f"that would send {planned:,} requests; at most {MAX_REQUESTS:,} (fewer --rounds or --pairs)")

    started = time.monotonic()
    package_versions = {"stripe": stripe.VERSION, "requests": requests.__version__, "urllib3": urllib3.__version__}
    results: dict[str, Any] = {"machine": machine_info(package_versions, sources_digest()), "config": config}
    print_banner(results["machine"], config["mode"])
    results["speed"] = bench(config["rounds"], config["pairs"], config["warmup_pairs"], args.subprocess)
    close_machine(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["pass"] = results["speed"]["pass"]
    print_report(results)
    write_results(args.out, results)
    print_footer(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
