"""The schema walk: Stripe's structural errors, with Stripe's param paths and wording."""

from __future__ import annotations

import pytest

from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.rules import RuleContext
from pytest_checkout.validation import check_create_params, normalize_params, validate_create_params

from .test_rules import NOW, PRICE_DATA, params

CONTEXT = RuleContext(now=NOW)


def error_for(p):
    with pytest.raises(InvalidRequestError) as caught:
        validate_create_params(p, context=CONTEXT)
    return caught.value


def test_a_complete_valid_request_passes():
    validate_create_params(
        params(
            client_reference_id="order_42",
            customer_email="jenny.rosen@example.com",
            locale="fr-CA",
            billing_address_collection="required",
            metadata={"order_id": "42"},
            phone_number_collection={"enabled": True},
            shipping_address_collection={"allowed_countries": ["US", "CA"]},
            consent_collection={"promotions": "auto"},
            automatic_tax={"enabled": False},
            payment_intent_data={
                "capture_method": "manual",
                "metadata": {"a": "b"},
                "setup_future_usage": "off_session",
            },
            expires_at=NOW + 3600,
            payment_method_types=["card"],
            payment_method_options={"card": {"setup_future_usage": "on_session"}},
        ),
        context=CONTEXT,
    )


@pytest.mark.parametrize(
    ("changes", "param", "code", "message"),
    [
        ({"success_url": None}, "success_url", "parameter_missing", "Missing required param: success_url."),
        ({"foo": "bar"}, "foo", "parameter_unknown", "Received unknown parameter: foo"),
        ({"a": "1", "b": "2"}, "a", "parameter_unknown", "Received unknown parameters: a, b"),
        (
            {"line_items": [{"price_data": {**PRICE_DATA, "colour": "red"}, "quantity": 1}]},
            "line_items[0][price_data][colour]",
            "parameter_unknown",
            "Received unknown parameter: line_items[0][price_data][colour]",
        ),
        (
            {"line_items": [{"price_data": {"product_data": {"name": "x"}, "unit_amount": 100}, "quantity": 1}]},
            "line_items[0][price_data][currency]",
            "parameter_missing",
            "Missing required param: line_items[0][price_data][currency].",
        ),
        (
            {"mode": "paymnet"},
            "mode",
            None,
            "Invalid mode: must be one of payment, setup, or subscription",
        ),
        (
            {"billing_address_collection": "always"},
            "billing_address_collection",
            None,
            "Invalid billing_address_collection: must be one of auto or required",
        ),
        (
            {"payment_method_types": ["card", "bitcoin"]},
            "payment_method_types[1]",
            None,
            # Card first, then the rest alphabetically, as Stripe lists them (seen).
            "Invalid payment_method_types[1]: must be one of card, acss_debit, affirm, afterpay_clearpay, alipay, "
            "au_becs_debit, bacs_debit, bancontact, blik, boleto, customer_balance, eps, fpx, giropay, grabpay, "
            "ideal, klarna, konbini, oxxo, p24, paynow, pix, promptpay, sepa_debit, sofort, us_bank_account, or "
            "wechat_pay",
        ),
        (
            {"client_reference_id": "x" * 201},
            "client_reference_id",
            None,
            f"Invalid string: {'x' * 201}; must be at most 200 characters",
        ),
        (
            {"cancel_url": "https://example.com/" + "x" * 5000},
            "cancel_url",
            None,
            "Invalid URL: URL must be 5000 characters or less.",
        ),
        ({"cancel_url": "example"}, "cancel_url", "url_invalid", "Not a valid URL"),
        ({"customer_email": "jenny"}, "customer_email", "email_invalid", "Invalid email address: jenny"),
        ({"expires_at": "soon"}, "expires_at", "parameter_invalid_integer", "Invalid integer: soon"),
        ({"payment_method_types": "card"}, "payment_method_types", None, "Invalid array"),
        (
            {"client_reference_id": ""},
            "client_reference_id",
            "parameter_invalid_empty",
            "You passed an empty string for 'client_reference_id'. We assume empty values are an attempt to unset a "
            "parameter; however 'client_reference_id' cannot be unset. You should remove 'client_reference_id' from "
            "your request or supply a non-empty value.",
        ),
        (
            {"line_items": [{"price_data": PRICE_DATA, "quantity": 1}] * 101},
            "line_items",
            None,
            "Array line_items exceeded maximum 100 allowed elements.",
        ),
    ],
)
def test_structural_errors(changes, param, code, message):
    error = error_for(params(**changes))
    assert error.message == message
    assert error.param == param
    assert error.code == code
    assert error.http_status == 400


def test_empty_string_is_accepted_where_the_spec_allows_it():
    validate_create_params(
        params(
            "setup",
            payment_method_types=["acss_debit"],
            currency="cad",
            payment_method_options={
                "acss_debit": {
                    "currency": "cad",
                    "mandate_options": {"custom_mandate_url": "", "payment_schedule": "sporadic"},
                }
            },
        ),
        context=CONTEXT,
    )
    # An empty metadata value unsets a key (docs), so it is accepted too.
    validate_create_params(params(metadata={"order": ""}), context=CONTEXT)


def test_wire_strings_and_python_values_are_the_same_request():
    python = params(allow_promotion_codes=True, expires_at=NOW + 3600)
    wire = params(allow_promotion_codes="true", expires_at=str(NOW + 3600))
    assert normalize_params("create", python) == normalize_params("create", wire)
    validate_create_params(wire, context=CONTEXT)


def test_a_boolean_that_does_not_parse():
    error = error_for(params(allow_promotion_codes="yes"))
    assert error.param == "allow_promotion_codes"
    assert error.message == "Invalid boolean: yes"


def test_problems_name_where_they_come_from():
    problems = check_create_params(params(foo="1", customer="cus_1", customer_email="a@b.co"), context=CONTEXT)
    assert [(p.source, p.param) for p in problems] == [
        ("structure", "foo"),
        ("customer_or_customer_email", None),
    ]
    assert problems[0].to_error().code == "parameter_unknown"


def test_bad_arguments_are_python_errors():
    with pytest.raises(TypeError, match="mapping"):
        validate_create_params(["mode", "payment"])  # type: ignore[arg-type]
    from pytest_checkout.validation import validate_params

    with pytest.raises(ValueError, match="unknown operation 'delete'"):
        validate_params("delete", {})


def test_product_images_must_be_urls():
    line_item = {"price_data": {**PRICE_DATA, "product_data": {"name": "x", "images": ["nope"]}}, "quantity": 1}
    error = error_for(params(line_items=[line_item]))
    assert (error.message, error.code, error.param) == (
        "Not a valid URL",
        "url_invalid",
        "line_items[0][price_data][product_data][images][0]",
    )
