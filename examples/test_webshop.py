"""The example shop's test suite, on pytest-checkout's fake: no Stripe account, no network.

The fixtures come from the plugin: ``checkout_fake`` answers Stripe's Checkout endpoints, ``stripe_client`` is
the official SDK bound to it, ``checkout_webhook_secret`` signs the webhooks the fake sends.
"""

from __future__ import annotations

import pytest
import stripe

from .webshop import Order, Shop


@pytest.fixture
def shop(stripe_client, checkout_webhook_secret):
    return Shop(stripe_client=stripe_client, webhook_secret=checkout_webhook_secret)


def deliver_events(fake, shop, secret):
    """Post every event the fake has emitted to the shop's webhook endpoint, as Stripe would."""
    for event in fake.events:
        answer = fake.webhook_request(event, secret).post_to(shop.webhook_app)
        assert answer.status == 200, answer.body


def test_a_paid_checkout_marks_the_order_paid(checkout_fake, shop, checkout_webhook_secret):
    url = shop.start_checkout(Order("o1", [("T-shirt", 2000, 2), ("Socks", 500, 1)], email="jenny@example.com"))
    assert url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    session = checkout_fake.sessions[shop.orders["o1"].checkout_session]
    assert (session["amount_total"], session["currency"], session["customer_email"]) == (
        4500,
        "eur",
        "jenny@example.com",
    )

    checkout_fake.complete(session["id"])
    deliver_events(checkout_fake, shop, checkout_webhook_secret)
    assert shop.orders["o1"].status == "paid"


def test_a_sepa_debit_is_paid_only_when_it_settles(checkout_fake, shop, checkout_webhook_secret):
    shop.start_checkout(Order("o2", [("Desk", 25000, 1)]))
    session_id = shop.orders["o2"].checkout_session
    checkout_fake.complete(session_id, payment_method_type="sepa_debit", async_payment=True)
    deliver_events(checkout_fake, shop, checkout_webhook_secret)
    assert shop.orders["o2"].status == "awaiting_payment"

    checkout_fake.events.clear()
    checkout_fake.settle_async_payment(session_id, succeeded=False)
    deliver_events(checkout_fake, shop, checkout_webhook_secret)
    assert shop.orders["o2"].status == "payment_failed"


def test_an_abandoned_checkout_expires_after_24_hours(checkout_fake, shop, checkout_webhook_secret):
    shop.start_checkout(Order("o3", [("Lamp", 4000, 1)]))
    checkout_fake.clock.advance(24 * 3600)
    assert [e.type for e in checkout_fake.events] == ["checkout.session.expired"]
    deliver_events(checkout_fake, shop, checkout_webhook_secret)
    assert shop.orders["o3"].status == "cancelled"


def test_cancelling_expires_the_session_and_it_can_no_longer_be_paid(checkout_fake, shop, stripe_client):
    shop.start_checkout(Order("o4", [("Chair", 9000, 1)]))
    shop.cancel_checkout("o4")
    session_id = shop.orders["o4"].checkout_session
    assert stripe_client.v1.checkout.sessions.retrieve(session_id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        shop.cancel_checkout("o4")
    assert caught.value.http_status == 400
    assert "has a status of `expired`" in str(caught.value.user_message)


def test_retrying_the_same_order_does_not_create_a_second_session(checkout_fake, shop):
    order = Order("o5", [("Mug", 1200, 3)])
    shop.start_checkout(order)
    first = order.checkout_session
    shop.start_checkout(order)
    assert order.checkout_session == first
    assert len(checkout_fake.sessions) == 1


def test_a_forged_webhook_is_refused(checkout_fake, shop):
    shop.start_checkout(Order("o6", [("Pen", 300, 1)]))
    checkout_fake.complete(shop.orders["o6"].checkout_session)
    forged = checkout_fake.webhook_request(checkout_fake.events[0], "whsec_" + "0" * 8)
    answer = forged.post_to(shop.webhook_app)
    assert answer.status == 400
    assert shop.orders["o6"].status == "awaiting_payment"


def test_a_cart_below_the_minimum_is_refused_by_stripe(checkout_fake, shop):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        shop.start_checkout(Order("o7", [("Sticker", 20, 1)]))
    assert caught.value.user_message == "The Checkout Session's total amount due must add up to at least €0.50 eur"


def test_a_settled_payment_delivered_before_the_completion_stays_paid(checkout_fake, shop, checkout_webhook_secret):
    # Stripe does not promise the order of events: the money's event may arrive before the completion's.
    shop.start_checkout(Order("o8", [("Desk", 25000, 1)]))
    session_id = shop.orders["o8"].checkout_session
    checkout_fake.complete(session_id, payment_method_type="sepa_debit", async_payment=True)
    checkout_fake.settle_async_payment(session_id, succeeded=True)
    assert [e.type for e in checkout_fake.events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
    for event in reversed(checkout_fake.events):
        assert checkout_fake.webhook_request(event, checkout_webhook_secret).post_to(shop.webhook_app).status == 200
    assert shop.orders["o8"].status == "paid"
