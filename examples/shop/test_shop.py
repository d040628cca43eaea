"""The shop's test suite, on pytest-checkout's fake: no Stripe account, no network.

The plugin's fixtures: ``checkout_fake`` (active for the whole test, it answers the app's own StripeClient),
``checkout_api_key`` (the key the app is configured with) and ``checkout_webhook_secret`` (what the fake signs
the webhooks it delivers with, and what the app verifies them with).
"""

from __future__ import annotations

import sqlite3

import pytest

from . import db

WEBHOOK = "/webhook"


def buy(browser, email: str = "jenny@example.com", **quantities: int):
    """Check out a cart (``tshirt=2``...) as the customer ``email``; returns the shop's redirect."""
    form = {f"quantity_{product}": str(quantity) for product, quantity in quantities.items()}
    form["email"] = email
    answer = browser.post("/checkout", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    return answer


def the_order(database: str) -> db.Order:
    connection = sqlite3.connect(database)
    (row,) = connection.execute("SELECT id, email, status, checkout_session, amount_total FROM orders").fetchall()
    connection.close()
    return db.Order(*row)


def shipped(database: str) -> list[int]:
    connection = db.connect(database)
    try:
        return db.fulfilments(connection)
    finally:
        connection.close()


def test_the_full_flow_pays_and_fulfils_the_order(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, tshirt=2, mug=1)
    order = the_order(database)
    assert (order.status, order.amount_total) == ("awaiting_payment", 2 * 2000 + 1200)
    session = checkout_fake.sessions[order.checkout_session]
    assert (session.mode, session.client_reference_id, session.customer_email) == (
        "payment",
        str(order.id),
        "jenny@example.com",
    )

    checkout_fake.complete(order.checkout_session)  # the customer pays by card
    (delivery,) = checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert (delivery.event.type, delivery.response.status_code) == ("checkout.session.completed", 200)
    assert the_order(database).status == "paid"
    assert shipped(database) == [order.id]

    page = browser.get(f"/success?session_id={order.checkout_session}").get_json()
    assert page == {"order": order.id, "status": "paid", "payment_status": "paid"}


def test_a_subscription_checks_out_in_subscription_mode(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, coffee_club=1)
    order = the_order(database)
    session = checkout_fake.sessions[order.checkout_session]
    assert (session.mode, session.amount_total) == ("subscription", 900)
    checkout_fake.complete(order.checkout_session)
    checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert the_order(database).status == "paid"
    assert checkout_fake.sessions[order.checkout_session].subscription.startswith("sub_")


def test_an_abandoned_checkout_expires_after_a_day(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, mug=1)
    checkout_fake.clock.advance(24 * 3600)
    (delivery,) = checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert delivery.event.type == "checkout.session.expired"
    assert the_order(database).status == "cancelled"
    assert shipped(database) == []


def test_cancelling_expires_the_session_and_cancels_the_order(
    checkout_fake, browser, database, checkout_webhook_secret
):
    buy(browser, mug=1)
    order = the_order(database)
    session = checkout_fake.sessions[order.checkout_session]
    page = browser.get(session.cancel_url.removeprefix("http://localhost:5000")).get_json()  # back from Stripe
    assert page == {"order": order.id, "status": "awaiting_payment", "cancel": f"/orders/{order.id}/cancel"}
    assert browser.post(page["cancel"]).get_json()["session_status"] == "expired"
    checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert the_order(database).status == "cancelled"
    with pytest.raises(ValueError, match="expired"):
        checkout_fake.complete(order.checkout_session)  # an expired session can no longer be paid


def test_a_bank_debit_that_fails_marks_the_order_failed(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, tshirt=1)
    order = the_order(database)
    checkout_fake.complete(order.checkout_session, payment_method_type="us_bank_account", async_payment=True)
    checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert the_order(database).status == "awaiting_payment"  # completed, but the money has not arrived

    checkout_fake.settle_async_payment(order.checkout_session, succeeded=False)
    (delivery,) = checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK)
    assert delivery.event.type == "checkout.session.async_payment_failed"
    assert the_order(database).status == "payment_failed"
    assert shipped(database) == []


def test_a_redelivered_event_fulfils_nothing_twice(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, tshirt=1)
    order = the_order(database)
    checkout_fake.complete(order.checkout_session)
    deliveries = checkout_fake.deliver(browser, secret=checkout_webhook_secret, path=WEBHOOK, twice=True)
    assert [d.response.status_code for d in deliveries] == [200, 200]
    assert deliveries[1].response.get_json()["duplicate"] is True
    assert shipped(database) == [order.id]


def test_events_out_of_order_leave_the_order_paid(checkout_fake, browser, database, checkout_webhook_secret):
    buy(browser, tshirt=1)
    order = the_order(database)
    checkout_fake.complete(order.checkout_session, payment_method_type="us_bank_account", async_payment=True)
    checkout_fake.settle_async_payment(order.checkout_session, succeeded=True)
    events = list(checkout_fake.events)
    assert [e.type for e in events] == ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    for event in reversed(events):  # the money's event first, then the (unpaid) completion
        assert (
            checkout_fake.webhook_request(event, checkout_webhook_secret).post_to(browser, path=WEBHOOK).status_code
            == 200
        )
    assert the_order(database).status == "paid"
    assert shipped(database) == [order.id]


def test_a_forged_webhook_is_refused_and_changes_nothing(checkout_fake, browser, database):
    buy(browser, tshirt=1)
    order = the_order(database)
    checkout_fake.complete(order.checkout_session)
    forged = checkout_fake.webhook_request(checkout_fake.events[0], "whsec_" + "0" * 32)
    assert forged.post_to(browser, path=WEBHOOK).status_code == 400
    assert the_order(database).status == "awaiting_payment"


def test_the_order_history_pages_through_stripe(checkout_fake, browser):
    # Stripe files a session under the customer's email once they have checked out (customer_details).
    for email in ["jenny@example.com"] * 7 + ["other@example.com"]:
        buy(browser, email=email, mug=1)
    for session in list(checkout_fake.sessions.values()):
        checkout_fake.complete(session.id)
    seen, after = [], None
    while True:
        page = browser.get("/orders", query_string={"email": "jenny@example.com", "after": after or ""}).get_json()
        assert len(page["sessions"]) <= 3
        seen += [s["id"] for s in page["sessions"]]
        if page["next"] is None:
            break
        after = page["next"]
    jennys = [s.id for s in checkout_fake.sessions.values() if s.customer_email == "jenny@example.com"]
    assert len(jennys) == 7
    assert seen == jennys[::-1]  # every one of hers, once, newest first, over three pages


def test_an_empty_cart_never_reaches_stripe(checkout_fake, browser):
    assert browser.post("/checkout", data={"email": "jenny@example.com"}).status_code == 400
    assert checkout_fake.requests == []
