"""The pytest plugin, registered through the ``pytest11`` entry point as ``checkout``.

Fixtures, each an override point of its own:

- ``checkout_fake``: a ``CheckoutFake`` answering ``https://api.stripe.com`` for the test, reset after it.
- ``checkout_api_key``: the test-mode key the client fixtures use.
- ``checkout_client``: this package's ``Client`` bound to the fake.
- ``stripe_client``: the official ``stripe.StripeClient`` bound to the fake (needs the ``stripe`` package).
- ``checkout_webhook_secret``: a webhook signing secret made for the test, never written anywhere.

The marker ``@pytest.mark.checkout(seed=..., now=..., api_base=...)`` configures the fake of one test.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_checkout.client import Client
from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.versions import API_VERSION

_MARKER_KEYS = frozenset({"seed", "now", "api_base"})


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "checkout(seed=0, now=None, api_base='https://api.stripe.com'): configure the checkout_fake of this test",
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which Stripe API version the plugin models, so a run's log shows it."""
    return f"pytest-checkout: Stripe API version {API_VERSION} (Checkout Sessions)"


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("checkout")
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError("@pytest.mark.checkout takes keyword arguments only: seed=, now=, api_base=")
    unknown = set(marker.kwargs) - _MARKER_KEYS
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.checkout got unknown arguments {sorted(unknown)}; it takes {sorted(_MARKER_KEYS)}"
        )
    return dict(marker.kwargs)


@pytest.fixture
def checkout_fake(request: pytest.FixtureRequest) -> Iterator[CheckoutFake]:
    """A stateful fake of Stripe Checkout answering the test's requests; reset after the test."""
    with mock_checkout(**_marker_options(request)) as fake:
        yield fake


@pytest.fixture
def checkout_api_key() -> str:
    """The test-mode API key the client fixtures send (override to test another account or live mode)."""
    return "sk_test_pytestcheckout"


@pytest.fixture
def checkout_client(checkout_fake: CheckoutFake, checkout_api_key: str) -> Iterator[Client]:
    """The seed's Session client, bound to ``checkout_fake``."""
    with Client(checkout_api_key, api_base=checkout_fake.api_base) as client:
        yield client


@pytest.fixture
def stripe_client(checkout_fake: CheckoutFake, checkout_api_key: str) -> Any:
    """The official ``stripe.StripeClient``, bound to ``checkout_fake``, without retries.

    Its HTTP client is the in-process ``CheckoutHTTPClient`` (sync and async alike, no HTTP library in
    between), and it pins ``Stripe-Version`` to the version the fake models, so the fake never warns.
    """
    try:
        import stripe
    except ImportError:
        pytest.fail("the stripe_client fixture needs the official SDK: pip install stripe", pytrace=False)
    from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient

    return stripe.StripeClient(
        checkout_api_key,
        base_addresses={"api": checkout_fake.api_base},
        max_network_retries=0,
        stripe_version=API_VERSION,
        http_client=CheckoutHTTPClient(checkout_fake),
    )


@pytest.fixture
def checkout_webhook_secret() -> str:
    """A webhook signing secret made for this test (random, so none is ever committed)."""
    return "whsec_" + secrets.token_hex(16)
