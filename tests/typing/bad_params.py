"""Misuses ``mypy --strict`` must reject: each on a line marked ``# error``; the other lines must pass.

tests/test_typing.py checks that mypy reports errors on exactly the marked lines.
"""

from __future__ import annotations

from pytest_checkout.client import Client, Session, TodaySession

S = "https://example.com/success"
C = "https://example.com/cancel"


def misuses(client: Client) -> None:
    Session.create(client, {"sucess_url": S, "cancel_url": C, "mode": "payment"})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "paymnet"})  # error
    Session.create(
        client,
        {"success_url": S, "cancel_url": C, "mode": "payment", "line_items": [{"quantity": "2"}]},  # error
    )
    Session.create(
        client,
        {
            "success_url": S,
            "cancel_url": C,
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "product_data": {"name": "T-shirt"},
                        "recurring": {"interval": "fortnight"},  # error
                    },
                    "quantity": 1,
                }
            ],
        },
    )
    Session.create(
        client,
        {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {"enabled": "yes"}},  # error
    )
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {}})  # error
    Session.create(client, {"success_url": S})  # error
    Session.create(client, {"success_url": S, "cancel_url": C})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "metadata": {"order": 1234}})  # error
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"}, idempotency_key=42)  # error
    Session.retrieve(client, "cs_test_a1", expand="line_items")  # error
    Session.list(client, {"limit": "10"})  # error
    Session.list(client, {"customer_details": {"mail": "jenny.rosen@example.com"}})  # error
    Session.list_line_items(client, "cs_test_a1", {"expand": "data.price"})  # error
    Session.expire(client, "cs_test_a1", {"expand": ["line_items"]})  # error
    Session.create(client, success_url=S, cancel_url=C)  # error
    Session.create({"success_url": S, "cancel_url": C, "mode": "payment"})  # error
    _total: str = Session.retrieve(client, "cs_test_a1").amount_total  # error
    Session.update(client, "cs_test_a1", {"mode": "payment"})  # error
    Session.update(client, "cs_test_a1", {"metadata": {"order": 1}})  # error


def versions_mixed_up(client: Client) -> None:
    # 2022-08-01's parameter, sent with today's types (endive replaced it with allowed_payment_method_types).
    TodaySession.create(client, {"success_url": S, "mode": "payment", "payment_method_types": ["card"]})  # error
    # Today's parameters, sent with the default 2022-08-01 types.
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "ui_mode": "embedded_page"})  # error
    Session.create(
        client,
        {"success_url": S, "cancel_url": C, "mode": "payment", "allowed_payment_method_types": ["card"]},  # error
    )
    Session.list(client, {"status": "open"})  # error
    # A ui_mode value of the versions before 2026-03-25.dahlia, which today calls embedded_page.
    TodaySession.create(client, {"return_url": S, "mode": "payment", "ui_mode": "embedded"})  # error
    TodaySession.list(client, {"status": "pending"})  # error
    TodaySession.list(client, {"created": {"after": 1}})  # error
    # Today-only fields are not on a 2022-08-01 session, and the answers are different classes.
    _secret = Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"}).client_secret  # error
    _info = Session.retrieve(client, "cs_test_a1").collected_information  # error
    _old: Session = TodaySession.retrieve(client, "cs_test_a1")  # error
    _new: TodaySession = Session.retrieve(client, "cs_test_a1")  # error
    # 2022-08-01's shipping_details moved under collected_information: today's session has no such field.
    _shipping = TodaySession.retrieve(client, "cs_test_a1").shipping_details  # error
    TodaySession.update(client, "cs_test_a1", {"mode": "payment"})  # error
    TodaySession.expire(client, "cs_test_a1", {"expand": ["line_items"]})  # error


def versions_done_right(client: Client) -> None:
    TodaySession.create(client, {"success_url": S, "mode": "payment", "allowed_payment_method_types": ["card"]})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "payment_method_types": ["card"]})
    TodaySession.create(client, {"return_url": S, "mode": "payment", "ui_mode": "embedded_page"})
    TodaySession.list(client, {"status": "open", "created": {"gt": 1}})
    _secret: str | None = TodaySession.retrieve(client, "cs_test_a1").client_secret
    _info = TodaySession.retrieve(client, "cs_test_a1").collected_information
    _shipping = Session.retrieve(client, "cs_test_a1").shipping_details


def the_same_calls_done_right(client: Client) -> None:
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "line_items": [{"quantity": 2}]})
    Session.create(
        client,
        {
            "success_url": S,
            "cancel_url": C,
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "product_data": {"name": "T-shirt"},
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                }
            ],
        },
    )
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "automatic_tax": {"enabled": True}})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment", "metadata": {"order": "1234"}})
    Session.create(client, {"success_url": S, "cancel_url": C, "mode": "payment"}, idempotency_key="42")
    Session.retrieve(client, "cs_test_a1", expand=["line_items"])
    Session.list(client, {"limit": 10})
    Session.list(client, {"customer_details": {"email": "jenny.rosen@example.com"}})
    Session.list_line_items(client, "cs_test_a1", {"expand": ["data.price"]})
    Session.expire(client, "cs_test_a1", ["line_items"])
    total: int | None = Session.retrieve(client, "cs_test_a1").amount_total
    assert total is None or total > 0
