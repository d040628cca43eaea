"""The fake driven through this package's own Session client (the seed's five operations)."""

from __future__ import annotations

import secrets

import pytest

from pytest_checkout import (
    AuthenticationError,
    Client,
    IdempotencyError,
    InvalidRequestError,
    LineItem,
    ListObject,
    Session,
)
from pytest_checkout.fake import mock_checkout
from pytest_checkout.schema.v2022_08_01 import CHECKOUT_SESSION

NOW = 1_700_000_000
KEY = "sk_test_fakeclient"


def payment(*items: tuple[str, int, int], **extra):
    return {
        "mode": "payment",
        "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        "line_items": [
            {"price_data": {"currency": "usd", "product_data": {"name": name}, "unit_amount": amount}, "quantity": qty}
            for name, amount, qty in items or (("T-shirt", 2000, 1),)
        ],
        **extra,
    }


@pytest.fixture
def fake():
    with mock_checkout(seed=11, now=NOW) as fake:
        yield fake


@pytest.fixture
def client(fake):
    return Client(KEY)


def test_create_answers_the_full_session(fake, client):
    session = Session.create(client, payment(("T-shirt", 2000, 2), ("Socks", 450, 3)))
    raw = session.to_dict()
    # The 44 fields less line_items (only expansion includes it) and tax_id_collection (absent unless given).
    assert set(raw) == set(CHECKOUT_SESSION.properties) - {"line_items", "tax_id_collection"}
    assert len(raw) == 42
    assert "line_items" not in raw
    assert session.id.startswith("cs_test_a1")
    assert len(session.id) == len("cs_test_") + 58
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (5350, 5350, "usd")
    assert session.total_details == {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    assert session.url is not None
    assert session.url.startswith(f"https://checkout.stripe.com/c/pay/{session.id}#")
    assert (session.created, session.expires_at) == (NOW, NOW + 86400)
    assert session.customer_creation == "if_required"
    assert session.line_items is None
    assert session.payment_intent is None
    assert session.livemode is False


def test_retrieve_with_expanded_line_items_and_paging_through_them(fake, client):
    items = [(f"Item {i}", 100 + i, 1) for i in range(12)]
    created = Session.create(client, payment(*items))
    session = Session.retrieve(client, created.id, expand=["line_items"])
    assert isinstance(session.line_items, ListObject)
    assert len(session.line_items.data) == 10
    assert session.line_items.has_more
    first = session.line_items.data[0]
    assert isinstance(first, LineItem)
    assert (first.description, first.amount_total, first.quantity, first.price["unit_amount"]) == (
        "Item 0",
        100,
        1,
        100,
    )
    every = list(session.line_items.auto_paging_iter())
    assert [i.description for i in every] == [f"Item {i}" for i in range(12)]
    page = Session.list_line_items(client, created.id, {"limit": 5})
    assert [i.description for i in page.auto_paging_iter()] == [f"Item {i}" for i in range(12)]


def test_list_newest_first_with_cursors_and_filters(fake, client):
    ids = []
    for i in range(7):
        ids.append(Session.create(client, payment(client_reference_id=f"o{i}")).id)
        fake.clock.advance(1)
    newest_first = list(reversed(ids))
    page = Session.list(client, {"limit": 3})
    assert [s.id for s in page.data] == newest_first[:3]
    assert page.has_more
    assert [s.id for s in page.auto_paging_iter()] == newest_first
    after = Session.list(client, {"limit": 3, "starting_after": newest_first[3]})
    assert [s.id for s in after.data] == newest_first[4:7]
    assert not after.has_more
    before = Session.list(client, {"limit": 2, "ending_before": newest_first[3]})
    assert [s.id for s in before.data] == newest_first[1:3]
    assert before.has_more
    fake.complete(ids[2], email="amy@example.com")
    by_email = Session.list(client, {"customer_details": {"email": "amy@example.com"}})
    assert [s.id for s in by_email.data] == [ids[2]]
    payment_intent = fake.sessions[ids[2]]["payment_intent"]
    assert [s.id for s in Session.list(client, {"payment_intent": payment_intent}).data] == [ids[2]]


def test_expire_only_from_open(fake, client):
    session = Session.create(client, payment())
    expired = Session.expire(client, session.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(InvalidRequestError) as caught:
        Session.expire(client, session.id)
    assert caught.value.message == (
        'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of '
        "`expired`."
    )
    assert caught.value.http_status == 400
    assert [e.type for e in fake.events] == ["checkout.session.expired"]


def test_errors_reach_the_client_as_stripe_errors(fake, client):
    with pytest.raises(InvalidRequestError) as caught:
        Session.retrieve(client, "cs_test_missing")
    assert (caught.value.http_status, caught.value.code, caught.value.message) == (
        404,
        "resource_missing",
        "No such checkout.session: 'cs_test_missing'",
    )
    with pytest.raises(InvalidRequestError) as caught:
        Session.create(client, payment(customer="cus_1", customer_email="a@example.com"))
    assert caught.value.message == "You may only specify one of these parameters: customer, customer_email."
    with pytest.raises(AuthenticationError):
        Session.list(Client("sk_test_bad key".replace(" ", "-")))


def test_each_key_sees_its_own_sessions(fake, client):
    mine = Session.create(client, payment())
    other = Client("sk_test_otheraccount")
    assert Session.list(other).data == []
    with pytest.raises(InvalidRequestError):
        Session.retrieve(other, mine.id)
    # Made at run time, so no file holds anything that looks like a live key.
    live = Session.create(Client("sk_live_" + secrets.token_hex(8)), payment())
    assert live.livemode
    assert live.id.startswith("cs_live_")


def test_idempotency_replays_and_refuses_other_params(fake, client):
    first = Session.create(client, payment(), idempotency_key="order-1")
    again = Session.create(client, payment(), idempotency_key="order-1")
    assert again.id == first.id
    assert len(fake.sessions) == 1
    with pytest.raises(IdempotencyError) as caught:
        Session.create(client, payment(("Other", 999, 1)), idempotency_key="order-1")
    assert caught.value.http_status == 400
    assert "Try using a key other than 'order-1'" in caught.value.message


def test_completion_per_mode_and_expansion_of_what_it_created(fake, client):
    paid = Session.create(client, payment(customer_creation="always"))
    fake.complete(paid.id, email="jenny@example.com")
    session = Session.retrieve(client, paid.id, expand=["customer", "payment_intent"])
    assert (session.status, session.payment_status, session.url) == ("complete", "paid", None)
    assert isinstance(session.customer, dict)
    assert session.customer["object"] == "customer"
    assert isinstance(session.payment_intent, dict)
    assert session.payment_intent["amount"] == 2000
    assert session.customer_details is not None
    assert session.customer_details["email"] == "jenny@example.com"

    monthly = {
        "currency": "usd",
        "product_data": {"name": "Plan"},
        "unit_amount": 900,
        "recurring": {"interval": "month"},
    }
    sub = Session.create(
        client,
        {**payment(), "mode": "subscription", "line_items": [{"price_data": monthly, "quantity": 1}]},
    )
    fake.complete(sub.id)
    sub = Session.retrieve(client, sub.id, expand=["subscription"])
    assert isinstance(sub.subscription, dict)
    assert sub.subscription["status"] == "active"
    assert sub.payment_intent is None
    assert isinstance(sub.customer, str)

    setup = Session.create(
        client,
        {
            "mode": "setup",
            "success_url": "https://s.example/",
            "cancel_url": "https://s.example/",
            "payment_method_types": ["card"],
        },
    )
    assert setup.setup_intent is not None
    assert setup.payment_status == "no_payment_required"
    assert setup.total_details is None
    fake.complete(setup.id)
    done = Session.retrieve(client, setup.id, expand=["setup_intent"])
    assert isinstance(done.setup_intent, dict)
    assert done.setup_intent["status"] == "succeeded"
    assert [e.type for e in fake.events] == ["checkout.session.completed"] * 3


def test_registered_prices_and_customers(fake, client):
    price = fake.add_price(unit_amount=1500, currency="eur", product_name="Poster")
    customer = fake.add_customer(email="known@example.com")
    session = Session.create(
        client,
        {**payment(), "line_items": [{"price": price["id"], "quantity": 3}], "customer": customer["id"]},
    )
    assert (session.amount_total, session.currency, session.customer) == (4500, "eur", customer["id"])
    with pytest.raises(InvalidRequestError) as caught:
        Session.create(client, {**payment(), "line_items": [{"price": "price_unknown", "quantity": 1}]})
    assert (caught.value.message, caught.value.param) == ("No such price: 'price_unknown'", "line_items[0][price]")
    with pytest.raises(InvalidRequestError) as caught:
        Session.create(client, payment(customer="cus_unknown"))
    assert caught.value.message == "No such customer: 'cus_unknown'"


def test_the_clock_expires_open_sessions(fake, client):
    soon = Session.create(client, payment(expires_at=NOW + 1800))
    later = Session.create(client, payment())
    fake.clock.advance(1799)
    assert Session.retrieve(client, soon.id).status == "open"
    fake.clock.advance(1)
    assert Session.retrieve(client, soon.id).status == "expired"
    assert Session.retrieve(client, later.id).status == "open"
    event = fake.events[0]
    assert (event.type, event.data_object["id"], event.created) == ("checkout.session.expired", soon.id, NOW + 1800)


def test_coupons_and_promotion_codes_take_their_discount(fake, client):
    ten_percent = fake.add_coupon(percent_off=10, id="TENOFF")
    session = Session.create(client, payment(("A", 1000, 1), ("B", 333, 3), discounts=[{"coupon": "TENOFF"}]))
    assert (session.amount_subtotal, session.amount_total) == (1999, 1799)
    assert session.total_details == {"amount_discount": 200, "amount_shipping": 0, "amount_tax": 0}
    items = Session.list_line_items(client, session.id).data
    assert [i.amount_discount for i in items] == [100, 100]
    assert [i.amount_total for i in items] == [900, 899]
    assert sum(i.amount_discount for i in items) == session.total_details["amount_discount"]

    fake.add_coupon(amount_off=5000, currency="usd", id="BIG")
    capped = Session.create(client, payment(("A", 1000, 1), discounts=[{"coupon": "BIG"}]))
    assert (capped.amount_subtotal, capped.amount_total) == (1000, 0)

    code = fake.add_promotion_code("WELCOME", coupon=ten_percent["id"])
    promoted = Session.create(client, payment(("A", 1000, 1), discounts=[{"promotion_code": code["id"]}]))
    assert promoted.amount_total == 900
    with pytest.raises(InvalidRequestError) as caught:
        Session.create(client, payment(discounts=[{"coupon": "NOPE"}]))
    assert (caught.value.message, caught.value.param) == ("No such coupon: 'NOPE'", "discounts[0][coupon]")
    with pytest.raises(ValueError, match="exactly one of percent_off and amount_off"):
        fake.add_coupon(percent_off=10, amount_off=100, currency="usd")


def test_completion_with_shipping_adds_the_chosen_rate_and_the_address(fake, client):
    session = Session.create(
        client,
        payment(
            ("Lamp", 4000, 1),
            shipping_address_collection={"allowed_countries": ["US", "CA"]},
            shipping_options=[
                {
                    "shipping_rate_data": {
                        "display_name": "Standard",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 500, "currency": "usd"},
                    }
                },
                {
                    "shipping_rate_data": {
                        "display_name": "Express",
                        "type": "fixed_amount",
                        "fixed_amount": {"amount": 1500, "currency": "usd"},
                    }
                },
            ],
        ),
    )
    assert session.amount_total == 4000
    express = session.shipping_options[1]["shipping_rate"]
    with pytest.raises(ValueError, match="not among this session's shipping options"):
        fake.complete(session.id, shipping_rate="shr_nope")
    fake.complete(session.id, shipping_rate=express, name="Ada", address={"city": "Toronto", "country": "CA"})
    done = Session.retrieve(client, session.id, expand=["payment_intent"])
    assert done.amount_total == 5500
    assert done.total_details == {"amount_discount": 0, "amount_shipping": 1500, "amount_tax": 0}
    assert done.shipping_cost == {
        "amount_subtotal": 1500,
        "amount_tax": 0,
        "amount_total": 1500,
        "shipping_rate": express,
    }
    assert done.shipping_details is not None
    assert (done.shipping_details["name"], done.shipping_details["address"]["city"]) == ("Ada", "Toronto")
    assert isinstance(done.payment_intent, dict)
    assert done.payment_intent["amount"] == 5500


def test_update_is_today_s_endpoint_in_the_seed_s_client_too(fake, client):
    session = Session.create(client, payment(metadata={"order": "1", "note": "x"}))
    today = Client(KEY, api_version="2026-10-28.endive")
    updated = Session.update(today, session.id, {"metadata": {"order": "2", "note": ""}})
    assert updated.id == session.id
    assert updated.metadata == {"order": "2"}
    assert updated["ui_mode"] == "hosted_page"  # today's fields are in the answer (to_dict and [] read them)
    with pytest.raises(InvalidRequestError) as caught:
        Session.update(client, session.id, {"metadata": {"order": "3"}})  # the seed's 2022-08-01: no such URL
    assert caught.value.http_status == 404
    assert Session.retrieve(client, session.id).metadata == {"order": "2"}
