"""The plugin as pytest loads it: through the pytest11 entry point, in a separate pytest run."""

from __future__ import annotations

from importlib import metadata

import pytest


def test_the_entry_point_names_the_plugin_module():
    entry_points = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "checkout"]
    assert [ep.value for ep in entry_points] == ["pytest_checkout.plugin"]


def test_pytest_loads_the_plugin_and_reports_the_api_version(pytester):
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(
        ["pytest-checkout: Stripe API versions 2022-08-01, 2026-10-28.endive (Checkout Sessions; default 2022-08-01)"]
    )
    result.assert_outcomes(passed=1)


def test_the_plugin_can_be_disabled(pytester):
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:checkout")
    result.stdout.no_fnmatch_line("pytest-checkout:*")
    result.assert_outcomes(passed=1)


def test_fixtures_give_a_fake_reset_between_tests(pytester):
    pytester.makepyfile(
        """
        import pytest
        from pytest_checkout import Session

        PARAMS = {
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cart",
            "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "T"}, "unit_amount": 500},
                            "quantity": 1}],
        }

        def test_first(checkout_fake, checkout_client):
            session = Session.create(checkout_client, PARAMS)
            assert session.status == "open"
            assert list(checkout_fake.sessions) == [session.id]

        def test_second_starts_empty(checkout_fake, checkout_client):
            assert checkout_fake.sessions == {}
            assert Session.list(checkout_client).data == []

        def test_stripe_client(checkout_fake, stripe_client):
            session = stripe_client.v1.checkout.sessions.create(params=PARAMS)
            assert checkout_fake.sessions[session.id]["amount_total"] == 500

        @pytest.mark.checkout(seed=7, now=1_700_000_000)
        def test_marker_configures_the_fake(checkout_fake, checkout_client):
            session = Session.create(checkout_client, PARAMS)
            assert session.created == 1_700_000_000
            assert session.expires_at == 1_700_000_000 + 86400

        def test_webhook_secret_is_fresh(checkout_webhook_secret):
            assert checkout_webhook_secret.startswith("whsec_")
            assert len(checkout_webhook_secret) == 38
        """
    )
    result = pytester.runpytest_subprocess("-W", "ignore::UserWarning")
    result.assert_outcomes(passed=5)


def test_marker_misuse_is_a_usage_error(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.checkout(sede=1)
        def test_typo(checkout_fake):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*unknown arguments*sede*"])
    assert result.ret != 0


def test_stripe_client_is_in_process_and_pinned_to_the_modelled_version(pytester):
    pytester.makepyfile(
        """
        import asyncio

        import pytest
        import requests
        import stripe

        from pytest_checkout.fake.transports import CheckoutHTTPClient
        from pytest_checkout.versions import API_VERSION

        PARAMS = {"mode": "setup", "success_url": "https://shop.example/ok",
                  "cancel_url": "https://shop.example/cart", "payment_method_types": ["card"]}

        def test_sync_and_async(checkout_fake, stripe_client, monkeypatch):
            def no_requests(*args, **kwargs):
                raise AssertionError("the stripe_client fixture went through requests")

            # Below the fake's own patch: any use of requests' adapter by the fixture would land here.
            monkeypatch.setattr(requests.Session, "send", no_requests)
            assert isinstance(stripe_client._requestor._client, CheckoutHTTPClient)
            session = stripe_client.v1.checkout.sessions.create(params=PARAMS)
            again = asyncio.run(stripe_client.v1.checkout.sessions.retrieve_async(session.id))
            assert again.id == session.id
            assert [r.stripe_version for r in checkout_fake.requests] == [API_VERSION, API_VERSION]
            assert [r.status for r in checkout_fake.requests] == [200, 200]

        def test_no_retries(checkout_fake, stripe_client):
            with pytest.raises(stripe.InvalidRequestError):
                stripe_client.v1.checkout.sessions.retrieve("cs_test_missing")
            assert len(checkout_fake.requests) == 1

        @pytest.mark.checkout(api_base="http://127.0.0.1:12119")
        def test_the_marker_base(checkout_fake, stripe_client):
            stripe_client.v1.checkout.sessions.list()
            assert checkout_fake.api_base == "http://127.0.0.1:12119"
            assert [r.path for r in checkout_fake.requests] == ["/v1/checkout/sessions"]
        """
    )
    # The fake's version warning as an error: the fixture must never trigger it.
    result = pytester.runpytest_subprocess("-W", "error::pytest_checkout.fake.StripeVersionWarning")
    result.assert_outcomes(passed=3)


def test_the_marker_sets_the_default_version_and_strict_versions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests
        import stripe

        KEY = "sk_test_51Marker"
        PARAMS = {"mode": "payment", "success_url": "https://shop.example/ok", "ui_mode": "embedded",
                  "line_items": [{"price_data": {"currency": "usd", "product_data": {"name": "T"},
                                                 "unit_amount": 100}, "quantity": 1}]}

        @pytest.mark.checkout(strict_versions=True)
        def test_strict(checkout_fake):
            client = stripe.StripeClient(KEY, max_network_retries=0, stripe_version="2025-09-30.clover")
            with pytest.raises(stripe.InvalidRequestError) as caught:
                client.v1.checkout.sessions.create(params=PARAMS)
            assert caught.value.param == "ui_mode"  # the 2022-08-01 snapshot has no ui_mode

        @pytest.mark.checkout(api_version="2026-10-28.endive")
        def test_default(checkout_fake):
            answer = requests.get("https://api.stripe.com/v1/checkout/sessions", auth=(KEY, ""), timeout=5)
            assert answer.headers["Stripe-Version"] == "2026-10-28.endive"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
