"""Instructions per SDK create on the ``floor`` and ``stripe_client`` roads, counted by valgrind's callgrind.

The timing benchmarks (``bench_roads.py``) judge the speed targets, but on a shared machine their ratios move
by a tenth from one run to the next. An instruction count does not: it is the same on every run of the same
code, so it says whether a change made the fake do less work, whatever the machine was doing meanwhile.

Each road (and ``routes.handle`` alone, given the bytes the SDK sends) runs in a child process under
``valgrind --tool=callgrind`` twice, with ``SMALL`` and ``LARGE``
creates (the create of ``bench_roads.PARAMS`` through ``stripe.StripeClient``, pinned to 2022-08-01, each on a
fresh ``CheckoutFake`` every 50 as the timing benchmark does); the difference divided by the difference in
creates is the cost of one create, start-up and imports cancelled out. Instructions are not time (the fake
touches fresh memory for every session it keeps, and runs at a lower rate than the SDK's own code), so the
ratio here is a floor under the time ratio, not the time ratio itself.

    python bench/bench_instructions.py            # about 3 minutes (valgrind runs Python ~50x slower)
    python bench/bench_instructions.py --smoke    # 10 and 30 creates

Needs ``valgrind`` on the PATH; without it, says so and exits 0. Writes ``bench/results_instructions.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROADS = ("floor", "stripe_client")
#: Not a road: ``routes.handle`` alone, given the bytes the SDK sends for the create (what the fake itself costs).
HANDLE = "handle"
_TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def child(road: str, creates: int) -> None:
    """Run ``creates`` creates on ``road`` (called in the valgrind child)."""
    sys.path.insert(0, str(HERE))
    import bench_roads as roads

    if road == HANDLE:
        handle_only(roads, creates)
        return
    canned = roads.Canned()
    default_client = roads.sdk_client()
    done = 0
    seed = 0
    while done < creates:
        client, context = roads.road(road, canned, default_client, seed)
        batch = min(50, creates - done)
        with context:
            for _ in range(batch):
                session = client.v1.checkout.sessions.create(params=roads.PARAMS)
                assert session.amount_total == roads.PARAMS_AMOUNT_TOTAL
        done += batch
        seed += 1


def handle_only(roads: Any, creates: int) -> None:
    """``creates`` creates straight into ``routes.handle``: the request the SDK sends, each with its own key."""
    import stripe

    from pytest_checkout.fake import CheckoutFake
    from pytest_checkout.fake.routes import handle

    sent: dict[str, Any] = {}

    class Capture(stripe.HTTPClient):
        name = "bench-capture"

        def request(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None) -> Any:
            sent.update(method=method, url=url, headers=dict(headers), body=post_data)
            raise stripe.APIConnectionError("captured", should_retry=False)

    with contextlib.suppress(stripe.APIConnectionError):
        roads.sdk_client(Capture()).v1.checkout.sessions.create(params=roads.PARAMS)
    headers = dict(sent["headers"])
    done = 0
    while done < creates:
        fake = CheckoutFake(seed=done, now=roads.NOW)
        for _ in range(min(50, creates - done)):
            headers["Idempotency-Key"] = f"bench-{done}"
            assert handle(fake, "POST", sent["url"], headers, sent["body"]).status == 200
            done += 1


def count(road: str, creates: int, folder: Path) -> int:
    """Instructions of one child run (callgrind's total ``Ir``)."""
    out = folder / f"{road}-{creates}.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            road,
            str(creates),
        ],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    found = _TOTALS.search(out.read_text())
    if found is None:
        raise RuntimeError(f"no instruction total in {out}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="10 and 30 creates per road")
    parser.add_argument("--child", nargs=2, metavar=("ROAD", "CREATES"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "results_instructions.json", help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured (apt install valgrind)")
        return 0
    small, large = (10, 30) if args.smoke else (100, 400)
    folder = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    per_create: dict[str, float] = {}
    totals: dict[str, dict[int, int]] = {}
    for road in (*ROADS, HANDLE):
        totals[road] = {n: count(road, n, folder) for n in (small, large)}
        per_create[road] = (totals[road][large] - totals[road][small]) / (large - small)
        print(f"{road:>14}: {per_create[road] / 1e6:6.3f} M instructions per create", flush=True)
    ratio = per_create["stripe_client"] / per_create["floor"]
    added = per_create["stripe_client"] - per_create["floor"]
    print(f"stripe_client / floor: {ratio:.3f}x in instructions; the fake adds {added / 1e6:.3f} M per create")
    results: dict[str, Any] = {
        "creates": [small, large],
        "totals": totals,
        "per_create": per_create,
        "ratio": ratio,
        "fake_added": added,
    }
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
