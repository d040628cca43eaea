"""What the benchmark scripts share: the request, the statistics, the timing loop, the machine, the results file.

``bench/`` is not a package: a script run as ``python bench/bench_x.py`` has ``bench/`` first on ``sys.path``
and imports this module as ``benchlib``; a script loaded some other way (from a test, by file location) puts
``bench/`` on the path itself before importing it. Importing this module puts the repository root on
``sys.path`` too, so that ``pytest_checkout`` imports from the working tree, not from an installed copy.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import cProfile

#: The folder of the benchmark scripts.
HERE = Path(__file__).resolve().parent
#: The repository root: the package measured is the one in this working tree.
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import stripe  # noqa: E402

from pytest_checkout.fake import StripeVersionWarning  # noqa: E402

#: The secret key every benchmark's fake account is keyed by.
API_KEY = "sk_test_bench"
#: Where the SDK sends its requests when nothing else is configured.
API_BASE = "https://api.stripe.com"
#: The Checkout Sessions collection on ``API_BASE``: what a stub answers.
SESSIONS_URL = f"{API_BASE}/v1/checkout/sessions"
#: The fake's clock is frozen here, so no session expires during a run.
NOW = 1_700_000_000
#: Bytes in a mebibyte: memory figures are reported in these "MB".
MB = 1024 * 1024
#: The timed calls of a create+retrieve pair, as the speed figures are keyed.
OPS = ("create", "retrieve", "pair")

#: The request of the speed benchmarks, as an application would pass it to the SDK.
SDK_PARAMS: Any = {
    "mode": "payment",
    "success_url": "https://shop.example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example.com/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "unit_amount": 2000, "product_data": {"name": "T-shirt"}}, "quantity": 2},
        {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Socks"}}, "quantity": 1},
    ],
    "metadata": {"order_id": "order_0000001", "customer_ref": "cust_42"},
}


def ignore_version_warning() -> None:
    """Silence ``StripeVersionWarning`` in this process.

    stripe 16 sends its own Stripe-Version unless pinned; the fake warns once per fake that it answers in its own.
    """
    warnings.simplefilter("ignore", StripeVersionWarning)


# -- statistics ----------------------------------------------------------------------------------------------------


def p90(values: list[float]) -> float:
    """The 90th percentile (inclusive method; the only value for fewer than two)."""
    if len(values) < 2:
        return float(values[0])
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def summary(values: list[float], unit: str = "us") -> dict[str, Any]:
    """Median, p90 and count of per-round figures, with the figures and their ``unit``."""
    return {
        "median": round(statistics.median(values), 3),
        "p90": round(p90(values), 3),
        "rounds": len(values),
        "unit": unit,
        "per_round": [round(v, 3) for v in values],
    }


def ratio_figures(
    top: list[float], bottom: list[float], *, of_medians: float | None = None, with_p90: bool = True
) -> dict[str, float]:
    """``top`` over ``bottom``, two per-round series of the same rounds: the ratio of the medians, and per round.

    ``of_medians`` is by default the ratio of the medians as ``summary`` reports them (rounded); give it to use
    another. ``with_p90`` adds the p90 of the per-round ratios.
    """
    paired = [a / b for a, b in zip(top, bottom, strict=True)]
    if of_medians is None:
        of_medians = round(statistics.median(top), 3) / round(statistics.median(bottom), 3)
    figures = {
        "of_medians": round(of_medians, 3),
        "median_of_round_ratios": round(statistics.median(paired), 3),
    }
    if with_p90:
        figures["p90_of_round_ratios"] = round(p90(paired), 3)
    return figures


def us(ns: float) -> float:
    """Nanoseconds in microseconds."""
    return ns / 1000.0


# -- timing --------------------------------------------------------------------------------------------------------


def run_pairs(
    client: stripe.StripeClient,
    pairs: int,
    *,
    params: Any = SDK_PARAMS,
    context: AbstractContextManager[Any] | None = None,
    amount_total: int | None = None,
) -> tuple[list[int], list[int]]:
    """``pairs`` create+retrieve calls (inside ``context``, if any); the ns of each create and each retrieve.

    The last answers are checked: the same session, open, and (if ``amount_total`` is given) of that amount.
    """
    sessions = client.v1.checkout.sessions
    creates: list[int] = []
    retrieves: list[int] = []
    clock = time.perf_counter_ns
    gc.collect()
    with nullcontext() if context is None else context:
        for _ in range(pairs):
            t0 = clock()
            created = sessions.create(params=params)
            t1 = clock()
            retrieved = sessions.retrieve(created.id)
            t2 = clock()
            creates.append(t1 - t0)
            retrieves.append(t2 - t1)
        wrong = retrieved.id != created.id or retrieved.status != "open"
        if amount_total is None:
            if wrong:
                raise AssertionError(f"unexpected answer: {retrieved.id} {retrieved.status}")
        elif wrong or created.amount_total != amount_total:
            raise AssertionError(f"unexpected answer: {retrieved.id} {retrieved.status} {created.amount_total}")
    return creates, retrieves


def add_round(figures: dict[str, list[float]], creates: list[int], retrieves: list[int]) -> list[int]:
    """Append one round's median create, retrieve and pair (in us) to ``figures``; the pairs' ns."""
    totals = [c + g for c, g in zip(creates, retrieves, strict=True)]
    figures["create"].append(us(statistics.median(creates)))
    figures["retrieve"].append(us(statistics.median(retrieves)))
    figures["pair"].append(us(statistics.median(totals)))
    return totals


def median_call_us(calls: int, call: Callable[..., object], *args: Any) -> float:
    """``call(*args)`` ``calls`` times; the median time of a call, in us."""
    clock = time.perf_counter_ns
    times: list[int] = []
    for _ in range(calls):
        t0 = clock()
        call(*args)
        times.append(clock() - t0)
    return us(statistics.median(times))


# -- machine and sources -------------------------------------------------------------------------------------------


def git(*args: str) -> str:
    """``git *args`` in the repository, its output stripped; empty if git fails or is missing."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def sources_digest() -> str:
    """A hash of the package's sources (paths and bytes), to tie figures to the code they measured."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "pytest_checkout").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_files() -> dict[str, str]:
    """A hash of each of the package's source files, by path from the repository root."""
    return {
        str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted((ROOT / "pytest_checkout").rglob("*.py"))
    }


def source_files_digest(files: Mapping[str, str]) -> str:
    """A hash of ``source_files()``'s answer: one figure for the whole package that ``files`` describe."""
    digest = hashlib.sha256()
    for name, file_hash in files.items():
        digest.update(name.encode())
        digest.update(file_hash.encode())
    return digest.hexdigest()[:16]


def machine_info(versions: Mapping[str, Any], sources_sha256: str, *, git_dirty_files: bool = False) -> dict[str, Any]:
    """Where and on what a run ran: Python, platform, CPUs, ``versions`` (in order), git head, sources, load.

    ``git_dirty_files`` adds how many files ``git status`` lists as changed.
    """
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        **versions,
        "git_head": git("rev-parse", "--short", "HEAD"),
    }
    if git_dirty_files:
        info["git_dirty_files"] = len(git("status", "--porcelain").splitlines())
    info["package_sources_sha256"] = sources_sha256
    info["loadavg_start"] = list(os.getloadavg())
    return info


def print_banner(machine: Mapping[str, Any], mode: str, extra: str = "") -> None:
    """The first line of a run: Python, CPUs, stripe (then ``extra``) and the mode."""
    print(
        f"python {machine['python']}, {machine['cpu_count']} CPUs, stripe {machine['stripe']}{extra}, {mode} mode",
        flush=True,
    )


def close_machine(results: dict[str, Any], files_start: Mapping[str, str] | None = None) -> None:
    """Record the load and the sources' hash at the end of a run, and whether the sources changed meanwhile.

    Without ``files_start`` the hash is ``sources_digest()``'s and ``sources_changed_during_run`` a bool; with
    it (``source_files()`` at the start) the hash is ``source_files_digest``'s and the flag the changed paths.
    """
    machine = results["machine"]
    machine["loadavg_end"] = list(os.getloadavg())
    if files_start is None:
        machine["package_sources_sha256_end"] = sources_digest()
        results["sources_changed_during_run"] = (
            machine["package_sources_sha256_end"] != machine["package_sources_sha256"]
        )
        return
    files_end = source_files()
    machine["package_sources_sha256_end"] = source_files_digest(files_end)
    results["sources_changed_during_run"] = sorted(
        name for name in files_start.keys() | files_end.keys() if files_start.get(name) != files_end.get(name)
    )


def write_results(path: Path, results: Mapping[str, Any]) -> None:
    """Write ``results`` to ``path`` as indented JSON, making its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def print_footer(path: Path, results: Mapping[str, Any]) -> None:
    """The last lines of a run: a warning if the sources changed during it, then where the results went."""
    if results["sources_changed_during_run"]:
        print("\nWARNING: pytest_checkout's sources changed during the run: the figures mix two versions; run again.")
    print(f"\nwrote {path} in {results['seconds']} s (package sources {results['machine']['package_sources_sha256']})")


def verdict(ok: bool) -> str:
    """``PASS`` or ``FAIL``."""
    return "PASS" if ok else "FAIL"


# -- memory and child processes ------------------------------------------------------------------------------------


def current_rss_bytes() -> int:
    """This process's resident set size now, from ``/proc/self/statm``."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def maxrss_bytes() -> int:
    """``ru_maxrss`` of this process, in bytes (it is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    """This process's RSS high-water mark, ``VmHWM`` (``ru_maxrss`` where there is none).

    Not ``ru_maxrss`` first: on Linux a child keeps the maximum RSS of the process it was forked from, which
    can be a parent that holds far more than the child.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return maxrss_bytes()


def short_path(filename: str) -> str:
    """``filename`` from the package, ``site-packages`` or the standard library on, for profiles and traces."""
    for marker in ("pytest_checkout/", "site-packages/", "lib/python"):
        if marker in filename:
            return filename[filename.index(marker) :]
    return filename


def run_child(script: str | Path, *args: str) -> dict[str, Any]:
    """``script`` with ``args`` in a fresh interpreter; the one JSON document it prints on its last line."""
    proc = subprocess.run(
        [sys.executable, str(Path(script).resolve()), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    answer: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return answer


def profile_table(profiler: cProfile.Profile) -> tuple[dict[Any, Any], float]:
    """A ``cProfile.Profile``'s raw ``pstats`` table and its total self time, in seconds."""
    import pstats

    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return raw, sum(tt for (_, _, tt, _, _) in raw.values())
