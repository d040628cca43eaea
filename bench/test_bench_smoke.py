"""Smoke test of the benchmark script: ``--quick`` runs to the end and writes well-formed results.

No timing is asserted (the machines are shared and noisy); only that every figure is there. Not collected by
``make test`` (``testpaths`` is ``tests``): run it with ``python -m pytest bench/test_bench_smoke.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "bench_fake.py"


def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--rounds", "2", "--pairs", "10", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
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
