"""Shared helpers of the project's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
SPEC = REFERENCE / "stripe-openapi-2022-08-01" / "spec3.yaml"
SEED = REFERENCE / "seed" / "000_6cb91e6d0036ba34.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The seed document: the Stripe.Checkout.Session page the client is built from."""
    return SEED.read_text()
