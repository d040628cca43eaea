"""The plugin as pytest loads it: through the pytest11 entry point, in a separate pytest run."""

from __future__ import annotations

from importlib import metadata


def test_the_entry_point_names_the_plugin_module():
    entry_points = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "checkout"]
    assert [ep.value for ep in entry_points] == ["pytest_checkout.plugin"]


def test_pytest_loads_the_plugin_and_reports_the_api_version(pytester):
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["pytest-checkout: Stripe API version 2022-08-01 (Checkout Sessions)"])
    result.assert_outcomes(passed=1)


def test_the_plugin_can_be_disabled(pytester):
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:checkout")
    result.stdout.no_fnmatch_line("pytest-checkout:*")
    result.assert_outcomes(passed=1)
