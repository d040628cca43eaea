"""The shop's calls to Stripe replayed from cassettes (``cassettes/test_shop_cassettes/``), with nothing listening.

Record them again with ``make cassettes``: the recording runs these tests once against the fake served on
127.0.0.1, as a user records against Stripe's test mode with their own key (``STRIPE_API_KEY=sk_test_...
pytest --checkout-record-mode=once``). A replay sends nothing anywhere: a request the cassette does not hold fails
the test with the nearest recorded one.
"""

from __future__ import annotations

import pytest


@pytest.mark.checkout_cassette
def test_a_checkout_and_its_success_page_replay(browser):
    answer = browser.post("/checkout", data={"quantity_tshirt": "2", "email": "jenny@example.com"})
    assert answer.status_code == 303
    session_id = answer.headers["Location"].split("/pay/")[1].split("#")[0]
    page = browser.get(f"/success?session_id={session_id}").get_json()
    assert page == {"order": 1, "status": "awaiting_payment", "payment_status": "unpaid"}


@pytest.mark.checkout_cassette
def test_cancelling_replays_the_expiry(browser):
    assert browser.post("/checkout", data={"quantity_mug": "1"}).status_code == 303
    assert browser.post("/orders/1/cancel").get_json() == {"order": 1, "session_status": "expired"}


@pytest.mark.checkout_cassette
def test_stripes_refusal_replays_as_the_shops_answer(browser):
    assert browser.post("/checkout", data={"quantity_mug": "1"}).status_code == 303
    assert browser.post("/orders/1/cancel").status_code == 200
    again = browser.post("/orders/1/cancel")  # Stripe refuses to expire an expired session
    assert again.status_code == 409
    assert "has a status of `expired`" in again.get_json()["error"]
