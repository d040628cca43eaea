"""The project's own cassettes (under the top-level ``cassettes/``), replayed in CI with nothing listening.

They were recorded against the fake served on 127.0.0.1 (``make cassettes``), because the real API is out of
reach where this project is built: they show the record/replay machinery working end to end, not live
Stripe's answers. Recordings of live Stripe are made by the plugin's users, with their own test-mode keys.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from pytest_checkout.client import Session

PARAMS: Any = {
    "mode": "payment",
    "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": 2000}, "quantity": 2}
    ],
    "metadata": {"order": "1001"},
}


@pytest.mark.checkout_cassette
def test_a_session_from_create_to_expire(stripe_client: stripe.StripeClient) -> None:
    sessions = stripe_client.v1.checkout.sessions
    created = sessions.create(params=PARAMS)
    assert (created.status, created.amount_total, created.currency) == ("open", 4000, "usd")
    assert sessions.retrieve(created.id).metadata.to_dict() == {"order": "1001"}
    assert [s.id for s in sessions.list(params={"limit": 3}).data] == [created.id]
    (item,) = sessions.line_items.list(created.id).data
    assert (item.quantity, item.amount_total) == (2, 4000)
    expired = sessions.expire(created.id)
    assert (expired.status, expired.url) == ("expired", None)


@pytest.mark.checkout_cassette
def test_stripes_errors_replay_as_errors(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(params={**PARAMS, "mode": "barter"})
    assert caught.value.param == "mode"
    assert caught.value.http_status == 400


@pytest.mark.checkout_cassette
def test_the_seed_client_replays_too(checkout_client: Any) -> None:
    created = Session.create(checkout_client, PARAMS)
    assert Session.retrieve(checkout_client, created.id).amount_total == 4000
