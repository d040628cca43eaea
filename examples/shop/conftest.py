"""The shop's fixtures: the app wired to the plugin's fake (its API key and webhook secret)."""

from __future__ import annotations

import pytest

from .app import create_app


@pytest.fixture
def database(tmp_path):
    return str(tmp_path / "shop.sqlite3")


@pytest.fixture
def app(checkout_fake, checkout_api_key, checkout_api_base, checkout_webhook_secret, database):
    # checkout_fake is active for the whole test: the app's own StripeClient (requests underneath) reaches it.
    # Under @pytest.mark.checkout_cassette the cassette answers instead, at the base it was recorded against.
    return create_app(
        database=database,
        stripe_api_key=checkout_api_key,
        stripe_api_base=checkout_api_base,
        webhook_secret=checkout_webhook_secret,
    )


@pytest.fixture
def browser(app):
    return app.test_client()
