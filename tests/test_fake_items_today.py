"""Line items in today's API: their own fields, optional items, and the update endpoint's line items and shipping.

Through the official SDK (stripe 16.1.0) as an application calls it. What the fake answers comes from the SDK's
documented parameters (its generated params files) and Stripe's changelog; the wording of the errors the fake
gives here is unverified against live Stripe (no live capture of the update endpoint was available), and each
such test says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from pytest_checkout import versions
from pytest_checkout.fake import CheckoutFake, mock_checkout

from .test_fake_conformance import misfits

NOW = 1_700_000_000
KEY = "sk_test_51TodayItems00000000000000001"
OLD = "2022-08-01"


def item(amount: int = 2000, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": amount},
        "quantity": quantity,
        **extra,
    }


def payment(**extra: Any) -> dict[str, Any]:
    return {"mode": "payment", "success_url": "https://shop.example/ok", "line_items": [item()], **extra}


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


def client(version: str | None = None) -> stripe.StripeClient:
    options: Any = {} if version is None else {"stripe_version": version}
    return stripe.StripeClient(KEY, max_network_retries=0, **options)


def sessions(version: str | None = None) -> Any:
    return client(version).v1.checkout.sessions


def items_of(session_id: str, version: str | None = None) -> list[dict[str, Any]]:
    """The session's line items as the fake sent them (JSON: the SDK turns decimal strings into Decimals)."""
    page = sessions(version).line_items.list(session_id)
    items: list[dict[str, Any]] = json.loads(page.last_response.body)["data"]
    return items


# -- a line item's own fields -------------------------------------------------------------------------------------


def test_today_s_line_items_carry_adjustable_quantity_and_metadata(fake: CheckoutFake) -> None:
    created = sessions().create(
        params=payment(
            line_items=[
                item(adjustable_quantity={"enabled": True, "maximum": 5}, metadata={"sku": "tee-1"}),
                item(amount=500),
            ]
        )
    )
    first, second = items_of(created.id)
    assert first["adjustable_quantity"] == {"enabled": True, "maximum": 5, "minimum": 0}  # minimum defaults to 0
    assert first["metadata"] == {"sku": "tee-1"}
    # Not given: null, and metadata empty (the SDK's LineItem has both; metadata is never null).
    assert second["adjustable_quantity"] is None
    assert second["metadata"] == {}
    for answer in (first, second):
        assert misfits(versions.TODAY.item, answer) == []


def test_adjustable_quantity_s_maximum_defaults_to_99(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment(line_items=[item(adjustable_quantity={"enabled": True})]))
    (only,) = items_of(created.id)
    assert only["adjustable_quantity"] == {"enabled": True, "maximum": 99, "minimum": 0}


def test_expanded_line_items_are_today_s_too(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment(line_items=[item(metadata={"sku": "tee-1"})]))
    session = sessions().retrieve(created.id, params={"expand": ["line_items"]})
    assert session.line_items.data[0].metadata.to_dict() == {"sku": "tee-1"}


def test_2022_08_01_s_line_items_have_neither_field(fake: CheckoutFake) -> None:
    created = sessions(OLD).create(
        params={**payment(line_items=[item(adjustable_quantity={"enabled": True})]), "payment_method_types": ["card"]}
    )
    (only,) = items_of(created.id, OLD)
    assert "adjustable_quantity" not in only
    assert "metadata" not in only
    assert misfits(versions.DEFAULT.item, only) == []
    # The same stored item, read in today's version, has them.
    (today,) = items_of(created.id)
    assert today["adjustable_quantity"] == {"enabled": True, "maximum": 99, "minimum": 0}


def test_line_item_metadata_is_not_a_2022_08_01_parameter(fake: CheckoutFake) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions(OLD).create(
            params={**payment(line_items=[item(metadata={"sku": "x"})]), "payment_method_types": ["card"]}
        )
    assert caught.value.param == "line_items[0][metadata]"


# -- optional items -------------------------------------------------------------------------------------------------


def test_optional_items_are_shown_on_the_session(fake: CheckoutFake) -> None:
    price = fake.add_price(unit_amount=900, currency="usd")
    created = sessions().create(
        params=payment(
            optional_items=[
                {"price": price["id"], "quantity": 2, "adjustable_quantity": {"enabled": True, "maximum": 4}},
                {"price": price["id"], "quantity": 1},
            ]
        )
    )
    assert created.to_dict()["optional_items"] == [
        {"adjustable_quantity": {"enabled": True, "maximum": 4, "minimum": 0}, "price": price["id"], "quantity": 2},
        {"adjustable_quantity": None, "price": price["id"], "quantity": 1},
    ]
    # They are not line items until the customer adds them: the amounts count the line items only.
    assert created.amount_total == 2000
    assert len(items_of(created.id)) == 1


def test_a_session_without_optional_items_shows_null(fake: CheckoutFake) -> None:
    assert sessions().create(params=payment()).to_dict()["optional_items"] is None


def test_an_optional_item_must_name_a_price_the_account_has(fake: CheckoutFake) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().create(params=payment(optional_items=[{"price": "price_missing", "quantity": 1}]))
    assert caught.value.param == "optional_items[0][price]"
    assert "No such price: 'price_missing'" in str(caught.value.user_message)


def test_at_most_ten_optional_items(fake: CheckoutFake) -> None:
    price = fake.add_price(unit_amount=100, currency="usd")
    ten = [{"price": price["id"], "quantity": 1}] * 10
    assert sessions().create(params=payment(optional_items=ten)).optional_items is not None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().create(params=payment(optional_items=[*ten, {"price": price["id"], "quantity": 1}]))
    assert caught.value.param == "optional_items"  # the limit is documented; the wording is a guess


@pytest.mark.parametrize("ui_mode", ["elements", "form"])
def test_optional_items_can_not_be_set_for_elements_or_form(fake: CheckoutFake, ui_mode: str) -> None:
    price = fake.add_price(unit_amount=100, currency="usd")
    params = {
        "mode": "payment",
        "ui_mode": ui_mode,
        "return_url": "https://shop.example/return",
        "line_items": [item()],
        "optional_items": [{"price": price["id"], "quantity": 1}],
    }
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().create(params=params)
    assert caught.value.param == "optional_items"
    del params["optional_items"]
    assert sessions().create(params=params).ui_mode == ui_mode


def test_optional_items_count_toward_subscription_mode_s_limits(fake: CheckoutFake) -> None:
    monthly = fake.add_price(unit_amount=100, currency="usd", recurring={"interval": "month"})
    params: dict[str, Any] = {
        "mode": "subscription",
        "success_url": "https://shop.example/ok",
        "line_items": [{"price": monthly["id"], "quantity": 1}] * 15,
        "optional_items": [{"price": monthly["id"], "quantity": 1}] * 5,
    }
    assert sessions().create(params=params).mode == "subscription"  # 20 recurring in all: the limit
    params["optional_items"] = [{"price": monthly["id"], "quantity": 1}] * 6
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().create(params=params)
    assert "20 recurring" in str(caught.value.user_message)


def test_an_optional_item_s_adjustable_quantity_is_bounded_as_a_line_item_s(fake: CheckoutFake) -> None:
    price = fake.add_price(unit_amount=100, currency="usd")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().create(
            params=payment(
                optional_items=[
                    {"price": price["id"], "quantity": 1, "adjustable_quantity": {"enabled": True, "maximum": 10**6}}
                ]
            )
        )
    assert caught.value.param == "optional_items[0][adjustable_quantity][maximum]"


# -- the update endpoint: line items ------------------------------------------------------------------------------


def test_update_retransmits_the_line_items_keeping_changing_adding_and_dropping(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment(line_items=[item(2000), item(500, quantity=3), item(100)]))
    kept, changed, dropped = items_of(created.id)
    price = fake.add_price(unit_amount=700, currency="usd")
    updated = sessions().update(
        created.id,
        params={
            "line_items": [
                {"id": changed["id"], "quantity": 1, "metadata": {"note": "one"}},  # moved first, changed
                {"id": kept["id"]},
                {"price": price["id"], "quantity": 2},  # added
            ]
        },
    )
    first, second, third = items_of(created.id)
    assert (first["id"], first["quantity"], first["amount_total"], first["metadata"]) == (
        changed["id"],
        1,
        500,
        {"note": "one"},
    )
    assert second == kept
    assert third["id"] not in (kept["id"], changed["id"], dropped["id"])
    assert (third["price"]["id"], third["quantity"], third["amount_total"]) == (price["id"], 2, 1400)
    assert updated.amount_subtotal == updated.amount_total == 500 + 2000 + 1400
    assert misfits(versions.TODAY.checkout_session, updated.to_dict()) == []


def test_update_of_line_items_with_price_data(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    updated = sessions().update(created.id, params={"line_items": [item(amount=1234, quantity=2)]})
    (only,) = items_of(created.id)
    assert (only["amount_total"], only["description"]) == (2468, "Tee")
    assert updated.amount_total == 2468


def test_update_names_an_unknown_line_item(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [{"id": "li_missing"}]})
    # Unverified wording: modelled on Stripe's "No such ..." messages.
    assert caught.value.param == "line_items[0][id]"
    assert "li_missing" in str(caught.value.user_message)
    (still,) = items_of(created.id)  # a refused update changes nothing
    assert still["amount_total"] == 2000


def test_a_new_line_item_in_an_update_needs_a_price_and_a_quantity(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [{"quantity": 1}]})
    assert caught.value.param == "line_items[0]"
    assert "price or price_data" in str(caught.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [{"price_data": item()["price_data"]}]})
    # The create endpoint's message (seen there) and its param: the item, not its quantity.
    assert caught.value.param == "line_items[0]"
    assert "Quantity is required" in str(caught.value.user_message)
    (still,) = items_of(created.id)
    assert still["amount_total"] == 2000


def test_an_existing_line_item_keeps_its_price(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    (only,) = items_of(created.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [{"id": only["id"], "price": "price_other"}]})
    assert caught.value.param == "line_items[0][price]"  # unverified: a guess at Stripe's answer


def test_an_empty_list_of_line_items_is_not_sent_by_the_sdk(fake: CheckoutFake) -> None:
    # stripe-python encodes an empty list as no field at all, so the update changes nothing (the SDK's behaviour,
    # not the fake's choice).
    created = sessions().create(params=payment())
    sessions().update(created.id, params={"line_items": []})
    assert len(items_of(created.id)) == 1


def test_an_update_s_new_line_item_is_in_the_session_s_currency(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    euro = {"price_data": {"currency": "eur", "product_data": {"name": "Tee"}, "unit_amount": 100}, "quantity": 1}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [euro]})
    assert caught.value.param == "line_items[0]"  # unverified wording


def test_a_setup_session_takes_no_line_items_in_an_update(fake: CheckoutFake) -> None:
    created = sessions().create(params={"mode": "setup", "success_url": "https://shop.example/ok", "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"line_items": [item()]})
    assert caught.value.param == "line_items"


def test_update_recomputes_a_percentage_discount(fake: CheckoutFake) -> None:
    coupon = fake.add_coupon(percent_off=10)
    created = sessions().create(params=payment(discounts=[{"coupon": coupon["id"]}]))
    assert created.amount_total == 1800
    updated = sessions().update(created.id, params={"line_items": [item(amount=3000)]})
    assert (updated.amount_subtotal, updated.total_details.amount_discount, updated.amount_total) == (3000, 300, 2700)


def test_only_an_open_session_can_be_updated(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    fake.complete(created.id)
    with pytest.raises(stripe.InvalidRequestError):
        sessions().update(created.id, params={"line_items": [item()]})
    with pytest.raises(stripe.InvalidRequestError):
        sessions().update(created.id, params={"metadata": {"a": "b"}})


# -- the update endpoint: shipping options ------------------------------------------------------------------------


def test_update_replaces_the_shipping_options(fake: CheckoutFake) -> None:
    created = sessions().create(
        params=payment(shipping_options=[{"shipping_rate_data": _rate("Standard", 500)}, {"shipping_rate": "shr_1"}])
    )
    assert len(created.shipping_options) == 2
    updated = sessions().update(created.id, params={"shipping_options": [{"shipping_rate_data": _rate("Fast", 900)}]})
    (only,) = updated.to_dict()["shipping_options"]
    assert only["shipping_amount"] == 900
    assert only["shipping_rate"].startswith("shr_")
    cleared = sessions().update(created.id, params={"shipping_options": ""})
    assert cleared.to_dict()["shipping_options"] == []


def test_at_most_five_shipping_options_in_an_update(fake: CheckoutFake) -> None:
    created = sessions().create(params=payment())
    six = [{"shipping_rate_data": _rate("Standard", 500)}] * 6
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sessions().update(created.id, params={"shipping_options": six})
    assert caught.value.param == "shipping_options"


def _rate(name: str, amount: int) -> dict[str, Any]:
    return {"display_name": name, "type": "fixed_amount", "fixed_amount": {"amount": amount, "currency": "usd"}}
