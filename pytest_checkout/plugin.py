"""The pytest plugin, registered through the ``pytest11`` entry point as ``checkout``."""

from __future__ import annotations

import pytest

from pytest_checkout.schema.v2022_08_01 import API_VERSION


def pytest_report_header(config: pytest.Config) -> str:
    """Say which Stripe API version the plugin models, so a run's log shows it."""
    return f"pytest-checkout: Stripe API version {API_VERSION} (Checkout Sessions)"
