"""The shop's checkout code tested without a Stripe account.

The create params are checked by pytest-checkout's validator (Stripe's rules, offline); the HTTP exchange is
stubbed with ``responses`` and read back through pytest-checkout's codec.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
import responses

from pytest_checkout import Client, InvalidRequestError, check_create_params, decode, validate_create_params
from pytest_checkout.schema.v2022_08_01 import CREATE_PARAMS

from .cart import CartLine, checkout_params, start_checkout

CART = [CartLine("T-shirt", 2000, 2), CartLine("Socks", 500, 1)]


def test_the_params_for_a_cart_are_what_stripe_accepts():
    validate_create_params(checkout_params(CART, order_id="order_1", email="jenny@example.com"))


def test_a_cart_below_stripes_minimum_is_caught_before_it_reaches_stripe():
    with pytest.raises(InvalidRequestError) as caught:
        validate_create_params(checkout_params([CartLine("Sticker", 40, 1)], order_id="order_2"))
    assert caught.value.message == "The Checkout Session's total amount due must add up to at least $0.50 usd"


def test_every_problem_of_a_bad_cart_at_once():
    params = checkout_params([CartLine("Ghost", 1000, 0)], order_id="o" * 201, email="not-an-email")
    problems = check_create_params(params)
    assert {p.param for p in problems} >= {"client_reference_id", "customer_email"}


@responses.activate
def test_start_checkout_sends_the_cart_and_returns_the_session_url():
    responses.post(
        "https://api.stripe.com/v1/checkout/sessions",
        json={
            "id": "cs_test_a1example",
            "object": "checkout.session",
            "status": "open",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1example",
        },
    )
    url = start_checkout(Client("sk_test_example"), CART, order_id="order_3")
    assert url == "https://checkout.stripe.com/c/pay/cs_test_a1example"
    sent = responses.calls[0].request
    assert sent.headers["Idempotency-Key"] == "order_3"
    params = decode(parse_qsl(sent.body, keep_blank_values=True), CREATE_PARAMS)
    assert params["line_items"][0] == {
        "price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
        "quantity": 2,
    }
    assert params["metadata"] == {"order_id": "order_3"}


@responses.activate
def test_stripe_errors_reach_the_caller_as_exceptions():
    responses.post(
        "https://api.stripe.com/v1/checkout/sessions",
        status=400,
        body=json.dumps(
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": "Not a valid URL",
                    "code": "url_invalid",
                    "param": "success_url",
                }
            }
        ),
    )
    with pytest.raises(InvalidRequestError) as caught:
        start_checkout(Client("sk_test_example"), CART, order_id="order_4")
    assert (caught.value.code, caught.value.param) == ("url_invalid", "success_url")
