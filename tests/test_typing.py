"""The client's parameter types catch misuse under ``mypy --strict``, and accept proper use.

``tests/typing/bad_params.py`` marks each line mypy must reject with ``# error``; mypy must report errors on
exactly those lines. ``tests/typing/good_usage.py`` must pass without any. Neither file is collected by pytest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import ROOT

TYPING = ROOT / "tests" / "typing"
BAD = TYPING / "bad_params.py"
GOOD = TYPING / "good_usage.py"
ERROR_LINE = re.compile(r"^(?P<path>[^:\n]+\.py):(?P<line>\d+): error: (?P<message>.*)$", re.MULTILINE)

# mypy is a test dependency (the dev extra); a missing one must fail here, not skip into green.
import mypy  # noqa: E402, F401


@pytest.fixture(scope="module")
def mypy_errors() -> dict[str, dict[int, list[str]]]:
    """mypy's errors per file name and line, from one run over both files (one run is a few seconds)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--hide-error-context", str(BAD), str(GOOD)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    # 0: no errors, 1: errors found; anything else is mypy itself failing.
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for match in ERROR_LINE.finditer(result.stdout):
        found[Path(match["path"]).name][int(match["line"])].append(match["message"])
    return found


def marked_lines(path: Path) -> set[int]:
    return {n for n, line in enumerate(path.read_text().splitlines(), 1) if line.rstrip().endswith("# error")}


def test_mypy_rejects_exactly_the_marked_lines(mypy_errors):
    expected = marked_lines(BAD)
    assert len(expected) >= 10
    reported = mypy_errors["bad_params.py"]
    assert set(reported) == expected, {
        "unmarked lines with errors": {n: reported[n] for n in set(reported) - expected},
        "marked lines without errors": sorted(expected - set(reported)),
    }


@pytest.mark.parametrize(
    ("needle", "message"),
    [
        pytest.param('"sucess_url"', 'Extra key "sucess_url"', id="misspelled key"),
        pytest.param('"paymnet"', "Literal['paymnet']", id="wrong enum value"),
        pytest.param('[{"quantity": "2"}]', 'TypedDict item "quantity" has type "int"', id="wrong nested type"),
        pytest.param('"fortnight"', 'TypedDict item "interval"', id="wrong enum deep down"),
    ],
)
def test_mypy_says_what_is_wrong(mypy_errors, needle, message):
    lines = [n for n, line in enumerate(BAD.read_text().splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"{needle} should be on one line of {BAD.name}"
    assert any(message in m for m in mypy_errors["bad_params.py"][lines[0]]), mypy_errors["bad_params.py"][lines[0]]


def test_mypy_accepts_proper_use(mypy_errors):
    assert dict(mypy_errors["good_usage.py"]) == {}


def test_the_typing_files_are_not_collected_by_pytest():
    assert not any(p.name.startswith("test_") or p.name.endswith("_test.py") for p in TYPING.iterdir())
    assert not (TYPING / "conftest.py").exists()
