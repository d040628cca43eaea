"""``python -m pytest_checkout``: its commands, each with its own ``--help``, and ``--version``."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_checkout", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_every_command() -> None:
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    for command in ("serve", "scan", "verify"):
        assert f"    {command} " in done.stdout, done.stdout
    assert "--version" in done.stdout


@pytest.mark.parametrize(
    ("command", "option"), [("serve", "--port"), ("scan", "PATH"), ("verify", "CASSETTE")], ids=str
)
def test_each_command_has_its_own_help(command: str, option: str) -> None:
    done = _run(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m pytest_checkout {command}"), done.stdout
    assert option in done.stdout


def test_version_is_the_installed_distributions() -> None:
    done = _run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"pytest-checkout {version('pytest-checkout')}"


def test_no_command_is_a_usage_error() -> None:
    done = _run()
    assert done.returncode == 2
    assert "the following arguments are required: COMMAND" in done.stderr
