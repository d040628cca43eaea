"""The README's quickstart runs as written."""

from __future__ import annotations

import re

from .conftest import ROOT


def test_quickstart_passes_as_a_test_file(pytester):
    readme = (ROOT / "README.md").read_text()
    quickstart = re.search(r"## Quickstart\n\n```python\n(.*?)```", readme, re.S)
    assert quickstart is not None
    pytester.makepyfile(test_quickstart=quickstart.group(1))
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)


def test_the_readme_names_the_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("make example", "make test", "make lint"):
        assert command in readme
        assert command.replace("make ", "run make ") in ci
