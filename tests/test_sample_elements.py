"""The flow of Stripe's accept-a-payment sample for Elements with Checkout Sessions, on the fake.

The sample's server (written here afresh in the same shape; no code of the sample is copied) pins a basil
version, creates a ``ui_mode=custom`` session for a price and hands its ``client_secret`` to Stripe.js; the page
returns to ``return_url``, whose handler retrieves the session and reports its status. Stripe.js plays the
customer in the real flow; ``fake.complete`` plays it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

flask = pytest.importorskip("flask", reason="the sample's server is a Flask app (test extras)")

from pytest_checkout.fake import CheckoutFake, mock_checkout  # noqa: E402

KEY = "sk_test_51SampleElements0000000001"
DOMAIN = "http://localhost:4242"


def make_app(price: str) -> Any:
    app = flask.Flask(__name__)

    @app.post("/create-checkout-session")
    def create_checkout_session() -> Any:
        session = stripe.checkout.Session.create(
            api_key=KEY,
            stripe_version="2025-08-27.basil",  # what the sample pins (set globally there)
            ui_mode="custom",
            line_items=[{"price": price, "quantity": 1}],
            mode="payment",
            return_url=DOMAIN + "/complete.html?session_id={CHECKOUT_SESSION_ID}",
        )
        return flask.jsonify(clientSecret=session.client_secret)

    @app.get("/session-status")
    def session_status() -> Any:
        session = stripe.checkout.Session.retrieve(
            flask.request.args["session_id"],
            api_key=KEY,
            stripe_version="2025-08-27.basil",
            expand=["payment_intent"],
        )
        intent = session.payment_intent
        return flask.jsonify(
            status=session.status,
            payment_status=session.payment_status,
            payment_intent_id=getattr(intent, "id", None),
            payment_intent_status=getattr(intent, "status", None),
        )

    return app


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    # Today's version as the account's default: what the fake's own views (fake.sessions) show.
    with mock_checkout(now=1_760_000_000, api_version="2026-10-28.endive") as checkout_fake:
        yield checkout_fake


def test_the_elements_sample_flow_pays(fake: CheckoutFake) -> None:
    price = fake.add_price(unit_amount=1999, currency="usd", product_name="Stubborn Attachments")["id"]
    client = make_app(price).test_client()

    created = client.post("/create-checkout-session")
    assert created.status_code == 200, created.get_data(as_text=True)
    secret = created.get_json()["clientSecret"]
    session_id = secret.split("_secret_")[0]
    assert secret.startswith("cs_test_")

    stored = fake.sessions[session_id]
    assert (stored["ui_mode"], stored["url"], stored["amount_total"]) == ("elements", None, 1999)

    open_status = client.get(f"/session-status?session_id={session_id}").get_json()
    assert (open_status["status"], open_status["payment_status"]) == ("open", "unpaid")

    fake.complete(session_id)  # what the customer does in Stripe.js
    done = client.get(f"/session-status?session_id={session_id}").get_json()
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    assert done["payment_intent_id"].startswith("pi_")
    assert done["payment_intent_status"] == "succeeded"


def test_the_sample_s_custom_mode_reads_as_custom_at_its_pinned_version(fake: CheckoutFake) -> None:
    price = fake.add_price(unit_amount=500, currency="usd")["id"]
    session = stripe.checkout.Session.create(
        api_key=KEY,
        stripe_version="2025-08-27.basil",
        ui_mode="custom",
        line_items=[{"price": price, "quantity": 1}],
        mode="payment",
        return_url=DOMAIN + "/complete.html?session_id={CHECKOUT_SESSION_ID}",
    )
    assert session.ui_mode == "custom"  # the name before dahlia, as basil shows it
    assert session.last_response is not None
    assert session.last_response.headers["Stripe-Version"] == "2025-08-27.basil"
