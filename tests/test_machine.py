"""The Checkout state machine, the plugin's Hypothesis profiles and the per-example fake pattern."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, run_state_machine_as_test

from pytest_checkout.fake.transports.sdk_client import CheckoutHTTPClient
from pytest_checkout.machine import CheckoutMachine, fallback_create_params
from pytest_checkout.versions import API_VERSION

# The CI profile, cut down so the whole file stays quick; the database stays off so runs leave nothing behind.
CI = settings(settings.get_profile("checkout-ci"), max_examples=25, stateful_step_count=20, database=None)


TestCheckoutMachine = CheckoutMachine.TestCase
TestCheckoutMachine.settings = CI


class FallbackParamsMachine(CheckoutMachine):
    """The machine on its own small strategy (what it uses when ``pytest_checkout.strategies`` is missing)."""

    def create_params(self) -> st.SearchStrategy[dict[str, Any]]:
        return fallback_create_params()


TestFallbackParamsMachine = FallbackParamsMachine.TestCase
TestFallbackParamsMachine.settings = settings(CI, max_examples=15)


# -- an application's machine: a shop whose webhook endpoint fulfils orders -----------------------------------


class Shop:
    """A tiny shop: its WSGI webhook endpoint fulfils an order for each paid Checkout Session."""

    def __init__(self, secret: str, *, deduplicate: bool = True) -> None:
        self.secret = secret
        self.deduplicate = deduplicate
        self.fulfilled: list[str] = []  # session ids, one per order shipped

    def fulfil(self, session: Any) -> None:
        if self.deduplicate and session["id"] in self.fulfilled:
            return  # Stripe may deliver an event more than once
        self.fulfilled.append(session["id"])

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            event = stripe.Webhook.construct_event(payload, environ.get("HTTP_STRIPE_SIGNATURE", ""), self.secret)
        except (ValueError, stripe.SignatureVerificationError):
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"error": "bad signature"}']
        session = event.data.object
        paid = session["payment_status"] == "paid"
        if event.type == "checkout.session.async_payment_succeeded" or (
            event.type == "checkout.session.completed" and paid
        ):
            self.fulfil(session)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"received": event.type}).encode()]


class ShopMachine(CheckoutMachine):
    """The application's subclass: deliveries go to the shop, and its own invariant joins the fake's."""

    deduplicate = True

    def __init__(self) -> None:
        super().__init__()
        self.shop = Shop(self.webhook_secret, deduplicate=self.deduplicate)

    def webhook_target(self) -> object:
        return self.shop.app

    @invariant()
    def every_paid_session_has_exactly_one_order(self) -> None:
        orders = self.shop.fulfilled
        paid = {i for i, s in self.expected.items() if s.payment_status == "paid" and s.mode != "setup"}
        for session_id in set(orders):
            assert orders.count(session_id) == 1, f"{session_id} was fulfilled {orders.count(session_id)} times"
            assert session_id in paid, f"{session_id} was fulfilled unpaid"
        if not self.pending_events():  # once Stripe has told the shop everything
            assert set(orders) == paid, f"paid but not fulfilled: {sorted(paid - set(orders))}"


TestShopMachine = ShopMachine.TestCase
TestShopMachine.settings = CI


class DoubleFulfilmentMachine(ShopMachine):
    """The planted bug: the handler fulfils again when Stripe delivers the same event twice."""

    deduplicate = False


def test_the_machine_finds_a_handler_that_fulfils_twice_and_shrinks_it() -> None:
    # Found in some 20 to 120 runs (random seeds tried), so 500 leave room; shrinking takes some seconds more.
    found = settings(CI, max_examples=500, report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink])
    with pytest.raises(AssertionError, match=r"was fulfilled 2 times") as raised:
        run_state_machine_as_test(DoubleFulfilmentMachine, settings=found)
    steps = [line for line in getattr(raised.value, "__notes__", []) if line.startswith(("state.", "sessions_"))]
    # The rules run, without the invariants checked after each (calls with no arguments).
    actions = [line for line in steps if not re.fullmatch(r"state\.\w+\(\)", line)]
    # Shrunk to the story of the bug: one session, paid, its event delivered twice; anything else left over is a
    # read (the shrinker's budget can leave a few reads in).
    rules = [action.split("(")[0] for action in actions]
    assert [r for r in rules if r not in ("state.list_all", "state.retrieve")] == [
        "sessions_0 = state.create",
        "state.complete",
        "state.deliver",
    ], actions
    assert "how='twice" in actions[-1]


def test_deliveries_without_a_target_are_verified_and_kept() -> None:
    machine = CheckoutMachine()
    params = {
        "mode": "payment",
        "success_url": "https://shop.example/thanks",
        "line_items": [
            {"price_data": {"currency": "usd", "product_data": {"name": "A"}, "unit_amount": 700}, "quantity": 1}
        ],
    }
    session = machine.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    machine.fake.complete(session.id)
    machine.deliver(how="twice")  # a rule is a plain method too
    assert [e.type for e in machine.received] == ["checkout.session.completed"] * 2


# -- profiles -------------------------------------------------------------------------------------------------


def test_the_plugin_registers_its_profiles() -> None:
    ci = settings.get_profile("checkout-ci")
    assert (ci.derandomize, ci.max_examples, ci.deadline, ci.print_blob) == (True, 200, None, True)
    assert HealthCheck.too_slow in ci.suppress_health_check
    dev = settings.get_profile("checkout-dev")
    assert (dev.max_examples, dev.deadline) == (20, None)


def test_hypothesis_profile_option_loads_the_ci_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert settings.get_current_profile_name() == "checkout-ci"
            assert settings.default.max_examples == 200
            assert settings.default.derandomize
        """
    )
    # A subprocess: loading a profile changes Hypothesis's defaults for the whole process.
    result = pytester.runpytest_subprocess("--hypothesis-profile", "checkout-ci", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# -- a fresh fake per example ---------------------------------------------------------------------------------


@given(count=st.integers(0, 4))
@settings(max_examples=10, deadline=None, database=None)
def test_a_fresh_fake_per_example(checkout_fake_factory: Any, count: int) -> None:
    with checkout_fake_factory(now=1_700_000_000) as fake:
        client = stripe.StripeClient(
            "sk_test_factory", http_client=CheckoutHTTPClient(fake), stripe_version=API_VERSION, max_network_retries=0
        )
        for _ in range(count):
            client.v1.checkout.sessions.create(
                params={"mode": "setup", "success_url": "https://shop.example/ok", "payment_method_types": ["card"]}
            )
        # Nothing from an earlier example is left: only this example's sessions are there.
        assert len(fake.sessions) == count
        assert len(client.v1.checkout.sessions.list(params={"limit": 100}).data) == count
