"""Smoke tests of the benchmark scripts: ``bench_fake.py --quick``, ``bench_roads.py --smoke``, ``bench_cold.py
--smoke`` and ``bench_served.py --smoke`` run to the end and write well-formed results; each script finds ``benchlib``.

No timing is asserted (the machines are shared and noisy); only that every figure is there. Not collected by
``make test`` (``testpaths`` is ``tests``): run it with ``python -m pytest bench/test_bench_smoke.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "bench_fake.py"


def run(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python *args`` in a fresh interpreter; its output, after checking that it exited 0."""
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = run(str(SCRIPT), "--quick", "--rounds", "2", "--pairs", "10", "--out", str(out))
    assert "SPEED PASS" in proc.stdout or "SPEED FAIL" in proc.stdout
    assert "MEMORY PASS" in proc.stdout or "MEMORY FAIL" in proc.stdout

    results = json.loads(out.read_text())
    assert results["config"]["mode"] == "quick"
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["python"]
    speed = results["speed"]
    for kind in ("stub", "fake"):
        for op in ("create", "retrieve", "pair"):
            figure = speed[kind][op]
            assert figure["rounds"] == 2
            assert 0 < figure["median"] <= figure["p90"]
    assert speed["ratio_fake_over_stub"]["pair"]["of_medians"] > 0
    assert speed["session_fields"] > 30

    memory = results["memory"]
    assert memory["rss"]["sessions"] == 10_000
    assert memory["rss"]["peak_minus_before_mb"] > 0
    assert memory["tracemalloc_direct"]["bytes_per_session"] > 0
    assert isinstance(memory["pass"], bool)
    assert isinstance(memory["create_not_slower"], bool)

    for size in ("1000", "10000"):
        entry = results["list"][size]
        assert entry["backend_list"]["median"] > 0
        assert entry["sdk_list_stub"]["median"] > 0


ROADS_SCRIPT = HERE / "bench_roads.py"


def test_roads_smoke_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "roads.json"
    proc = run(str(ROADS_SCRIPT), "--smoke", "--out", str(out))
    assert "== Targets ==" in proc.stdout

    results = json.loads(out.read_text())
    assert results["config"]["mode"] == "smoke"
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["git_head"] is not None

    speed = results["speed"]
    for road in ("floor", "stripe_client", "stub", "mock_checkout"):
        for op in ("create", "retrieve", "pair"):
            figure = speed["roads"][road][op]
            assert figure["rounds"] == results["config"]["rounds"]
            assert 0 < figure["median"] <= figure["p90"]
    for label in ("stripe_client/floor", "stripe_client/stub", "mock_checkout/stub"):
        for op in ("create", "retrieve", "pair"):
            assert speed["ratios"][label][op]["of_medians"] > 0
            assert speed["ratios"][label][op]["median_of_round_ratios"] > 0
    assert speed["create_body_bytes"] > 0
    assert speed["session_fields"] > 30

    memory = results["memory"]
    for road in ("stripe_client", "mock_checkout"):
        traced, rss = memory[road]["tracemalloc"], memory[road]["rss"]
        assert traced["sessions"] == rss["sessions"] == memory["sessions"] > 0
        assert traced["stored_sessions"] == memory["sessions"]
        assert traced["bytes_per_session"] > 0
        assert rss["bytes_per_session"] > 0
        assert traced["by_file"]
        assert traced["parts"]

    lists = results["lists"]
    assert len(lists["sizes"]) == 2
    assert 0 < lists["sizes"][0] < lists["sizes"][1]
    for size in lists["sizes"]:
        for name in ("customer", "payment_intent", "subscription", "customer_details.email"):
            assert lists["by_size"][str(size)][name]["median"] > 0
    for name in ("customer", "payment_intent", "subscription", "customer_details.email"):
        assert lists["ratio_large_over_small"][name]["of_medians"] > 0

    # Every target is stated with a verdict; what the verdict is, is not this test's business.
    assert len(results["targets"]) == 15
    for target in results["targets"]:
        assert isinstance(target["pass"], bool)
        assert target["measured"] > 0
        assert ("PASS  " + target["target"]) in proc.stdout or ("FAIL  " + target["target"]) in proc.stdout


SERVED_SCRIPT = HERE / "bench_served.py"


def test_served_smoke_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "served.json"
    proc = run(str(SERVED_SCRIPT), "--smoke", "--out", str(out))
    assert "SERVED PASS" in proc.stdout or "SERVED FAIL" in proc.stdout

    results = json.loads(out.read_text())
    assert results["config"]["mode"] == "smoke"
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["urllib3"]
    speed = results["speed"]
    for phase, variants in (("keep_alive", ("served",)), ("no_keep_alive", ("served_close", "wsgiref"))):
        for name in ("inprocess", *variants):
            for op in ("create", "retrieve", "pair"):
                figure = speed[phase]["variants"][name][op]
                assert figure["rounds"] == results["config"]["rounds"]
                assert 0 < figure["median"] <= figure["p90"]
        for name in variants:
            assert speed[phase]["ratio_over_inprocess"][name]["pair"]["of_medians"] > 0
    assert isinstance(results["pass"], bool)


@pytest.mark.parametrize("script", ["bench_fake.py", "bench_roads.py", "bench_served.py"])
def test_script_loaded_by_path_finds_benchlib(script: str, tmp_path: Path) -> None:
    """Loaded by file location from elsewhere (``bench/`` not on ``sys.path``), a script still imports benchlib."""
    path = HERE / script
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('bench_script', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(module.summary.__module__, module.summary([1.0, 3.0])['median'])\n"
    )
    proc = run("-c", code, str(path), timeout=120, cwd=tmp_path)
    assert proc.stdout.split() == ["benchlib", "2.0"]


def test_instructions_child_runs_each_road_without_valgrind() -> None:
    # What bench_instructions.py runs under valgrind (the count itself needs valgrind and minutes: not here).
    for road in ("floor", "stripe_client", "handle"):
        run(str(HERE / "bench_instructions.py"), "--child", road, "3", timeout=120)


def test_cold_smoke_reports_every_setting() -> None:
    proc = run(str(HERE / "bench_cold.py"), "--smoke")
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert set(lines) == {"floor_create", "hot", "after_floor_create", "in_place"}
    for line in lines.values():
        assert float(line.split()[1]) > 0
