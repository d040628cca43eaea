"""Each rule of RULES.md "Create: rules across fields": a request it accepts and one it rejects.

Every case asserts the param, code and message of the first error, as an application catching
``InvalidRequestError`` would see them. Messages marked guess in rules.py are unverified against live Stripe.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pytest_checkout import rules
from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.rules import RuleContext, registry
from pytest_checkout.validation import check_create_params, validate_create_params, validate_params

NOW = 1_700_000_000
CONTEXT = RuleContext(now=NOW)

PRICE_DATA = {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000}
RECURRING = {**PRICE_DATA, "recurring": {"interval": "month"}}

BASE: dict[str, dict[str, Any]] = {
    "payment": {
        "mode": "payment",
        "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://example.com/cancel",
        "line_items": [{"price_data": PRICE_DATA, "quantity": 1}],
    },
    "subscription": {
        "mode": "subscription",
        "success_url": "https://example.com/success",
        "cancel_url": "https://example.com/cancel",
        "line_items": [{"price_data": RECURRING, "quantity": 1}],
    },
    "setup": {
        "mode": "setup",
        "success_url": "https://example.com/success",
        "cancel_url": "https://example.com/cancel",
        "payment_method_types": ["card"],
    },
}


def params(base: str = "payment", /, **changes: Any) -> dict[str, Any]:
    """The base params of a mode with top-level changes; a value of ``None`` drops the key."""
    out = copy.deepcopy(BASE[base])
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def first_error(p: dict[str, Any], context: RuleContext = CONTEXT) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        validate_create_params(p, context=context)
    return caught.value


def items(*line_items: dict[str, Any]) -> list[dict[str, Any]]:
    return list(line_items)


# (rule, accepted params, rejected params, param, code, message)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str | None, str | None, str]] = [
    (
        "mode_required",
        params(),
        params(mode=None),
        "mode",
        "parameter_missing",
        "Missing required param: mode.",
    ),
    (
        "line_items_per_mode",
        params("payment"),
        params("payment", line_items=None),
        "line_items",
        "parameter_missing",
        "Missing required param: line_items.",
    ),
    (
        "line_items_per_mode",
        params("setup"),
        params("setup", line_items=[{"price_data": PRICE_DATA, "quantity": 1}]),
        "line_items",
        None,
        "You can not pass `line_items` in `setup` mode.",
    ),
    (
        "setup_needs_payment_method_types",
        params("setup"),
        params("setup", payment_method_types=None),
        "payment_method_types",
        "parameter_missing",
        "Missing required param: payment_method_types.",
    ),
    (
        "setup_currency_only_with_acss_debit",
        params("setup", currency="cad", payment_method_types=["acss_debit"]),
        params("setup", currency="usd"),
        "currency",
        None,
        "`currency` can only be used in `setup` mode when `payment_method_types` includes `acss_debit`.",
    ),
    (
        "line_item_quantity",
        params(line_items=items({"price_data": PRICE_DATA, "quantity": 1}, {"price_data": PRICE_DATA, "quantity": 3})),
        params(line_items=items({"price_data": PRICE_DATA, "quantity": 1}, {"price_data": PRICE_DATA})),
        "line_items[1]",
        None,
        "Quantity is required. Add `quantity` to `line_items[1]`",
    ),
    (
        "line_item_quantity",
        params(line_items=items({"price_data": PRICE_DATA, "quantity": 1})),
        params(line_items=items({"price_data": PRICE_DATA, "quantity": 1}, {"price_data": PRICE_DATA, "quantity": 0})),
        "line_items[1][quantity]",
        "parameter_invalid_integer",
        "This value must be greater than or equal to 1.",
    ),
    (
        "line_item_price_or_price_data",
        params(line_items=items({"price": "price_123", "quantity": 1})),
        params(line_items=items({"quantity": 1})),
        "line_items[0]",
        None,
        "You must provide either price or price_data for each line item when using prices.",
    ),
    (
        "line_item_price_or_price_data",
        params(line_items=items({"price": "price_123", "quantity": 1})),
        params(line_items=items({"price": "price_123", "price_data": PRICE_DATA, "quantity": 1})),
        "line_items[0]",
        None,
        "You may only specify one of these parameters: price, price_data.",
    ),
    (
        "price_data_product_and_amount",
        params(
            line_items=items(
                {"price_data": {"currency": "usd", "product": "prod_1", "unit_amount": 100}, "quantity": 1}
            )
        ),
        params(
            line_items=items(
                {
                    "price_data": {
                        "currency": "usd",
                        "product": "prod_1",
                        "product_data": {"name": "x"},
                        "unit_amount": 100,
                    },
                    "quantity": 1,
                }
            )
        ),
        "line_items[0][price_data][product]",
        None,
        "You may only specify one of these parameters: line_items[0][price_data][product], "
        "line_items[0][price_data][product_data].",
    ),
    (
        "price_data_product_and_amount",
        params(
            line_items=items(
                {"price_data": {"currency": "usd", "product": "p", "unit_amount_decimal": "150.5"}, "quantity": 1}
            )
        ),
        params(line_items=items({"price_data": {"currency": "usd", "product": "p"}, "quantity": 1})),
        "line_items[0][price_data][unit_amount]",
        "parameter_missing",
        "Missing required param: line_items[0][price_data][unit_amount].",
    ),
    (
        "price_data_product_and_amount",
        params(
            line_items=items(
                {"price_data": {**PRICE_DATA, "unit_amount": 0}, "quantity": 1},
                {"price_data": PRICE_DATA, "quantity": 1},
            )
        ),
        params(line_items=items({"price_data": {**PRICE_DATA, "unit_amount": -5}, "quantity": 1})),
        "line_items[0][price_data][unit_amount]",
        "parameter_invalid_integer",
        "This value must be greater than or equal to 0.",
    ),
    (
        "price_data_product_and_amount",
        params(
            line_items=items(
                {
                    "price_data": {"currency": "usd", "product": "p", "unit_amount_decimal": "1000.123456789012"},
                    "quantity": 1,
                }
            )
        ),
        params(
            line_items=items(
                {
                    "price_data": {"currency": "usd", "product": "p", "unit_amount_decimal": "1000.1234567890123"},
                    "quantity": 1,
                }
            )
        ),
        "line_items[0][price_data][unit_amount_decimal]",
        None,
        "Invalid decimal: 1000.1234567890123; must have at most 12 decimal places",
    ),
    (
        "recurring_prices_per_mode",
        params(),
        params(line_items=items({"price_data": RECURRING, "quantity": 1})),
        "line_items[0]",
        None,
        "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only "
        "one-time prices.",
    ),
    (
        "recurring_prices_per_mode",
        params(
            "subscription",
            line_items=items({"price_data": RECURRING, "quantity": 1}, {"price_data": PRICE_DATA, "quantity": 1}),
        ),
        params("subscription", line_items=items({"price_data": PRICE_DATA, "quantity": 1})),
        "line_items",
        None,
        "You must provide at least one recurring price in `subscription` mode when using prices.",
    ),
    (
        "subscription_item_counts",
        params("subscription", line_items=[{"price_data": RECURRING, "quantity": 1}] * 20),
        params("subscription", line_items=[{"price_data": RECURRING, "quantity": 1}] * 21),
        "line_items",
        None,
        "You can only pass up to 20 recurring line items in `subscription` mode, but you passed 21.",
    ),
    (
        "line_items_share_currency",
        params(line_items=items({"price_data": PRICE_DATA, "quantity": 1}, {"price_data": PRICE_DATA, "quantity": 2})),
        params(
            line_items=items(
                {"price_data": PRICE_DATA, "quantity": 1},
                {"price_data": {**PRICE_DATA, "currency": "eur"}, "quantity": 1},
            )
        ),
        "line_items[1]",
        None,
        "All line items must have the same currency; line_items[1] is in eur but line_items[0] is in usd.",
    ),
    (
        "adjustable_quantity_bounds",
        params(
            line_items=items(
                {"price_data": PRICE_DATA, "quantity": 1, "adjustable_quantity": {"enabled": True, "maximum": 999999}}
            )
        ),
        params(
            line_items=items(
                {"price_data": PRICE_DATA, "quantity": 1, "adjustable_quantity": {"enabled": True, "maximum": 1000000}}
            )
        ),
        "line_items[0][adjustable_quantity][maximum]",
        "parameter_invalid_integer",
        "This value must be less than or equal to 999999.",
    ),
    (
        "adjustable_quantity_bounds",
        params(
            line_items=items(
                {"price_data": PRICE_DATA, "quantity": 1, "adjustable_quantity": {"enabled": True, "minimum": 99}}
            )
        ),
        params(
            line_items=items(
                {"price_data": PRICE_DATA, "quantity": 1, "adjustable_quantity": {"enabled": True, "minimum": 100}}
            )
        ),
        "line_items[0][adjustable_quantity][minimum]",
        None,
        "`line_items[0][adjustable_quantity][minimum]` must be less than or equal to "
        "`line_items[0][adjustable_quantity][maximum]`.",
    ),
    (
        "submit_type_with_subscription_data",
        params("subscription", subscription_data={"trial_period_days": 7}),
        params("subscription", subscription_data={"trial_period_days": 7}, submit_type="pay"),
        None,
        None,
        "You may only specify one of these parameters: submit_type, subscription_data.",
    ),
    (
        "parameters_of_other_modes",
        params(payment_intent_data={"capture_method": "manual"}),
        params("subscription", payment_intent_data={"capture_method": "manual"}),
        "payment_intent_data",
        None,
        "You can not pass `payment_intent_data` in `subscription` mode.",
    ),
    (
        "parameters_of_other_modes",
        params("subscription", subscription_data={"trial_period_days": 7}),
        params(subscription_data={"trial_period_days": 7}),
        "subscription_data",
        None,
        "You can not pass `subscription_data` in `payment` mode.",
    ),
    (
        "parameters_of_other_modes",
        params(customer_creation="always"),
        params("subscription", customer_creation="always"),
        "customer_creation",
        None,
        "`customer_creation` can only be used in `payment` mode.",
    ),
    (
        "parameters_of_other_modes",
        params(submit_type="donate"),
        params("setup", submit_type="donate"),
        "submit_type",
        None,
        "You can not pass `submit_type` in `setup` mode.",
    ),
    (
        "parameters_of_other_modes",
        params("setup", setup_intent_data={"description": "x"}),
        params(setup_intent_data={"description": "x"}),
        "setup_intent_data",
        None,
        "You can not pass `setup_intent_data` in `payment` mode.",
    ),
    (
        "parameters_of_other_modes",
        params("subscription", payment_method_collection="if_required"),
        params(payment_method_collection="if_required"),
        "payment_method_collection",
        None,
        "You can not pass `payment_method_collection` in `payment` mode.",
    ),
    (
        "payment_method_options_of_other_modes",
        params(payment_method_options={"card": {"installments": {"enabled": True}}}),
        params("subscription", payment_method_options={"card": {"installments": {"enabled": True}}}),
        "payment_method_options[card][installments]",
        None,
        "`payment_method_options[card][installments]` can only be used in `payment` mode.",
    ),
    (
        "payment_method_options_of_other_modes",
        params(
            "setup",
            payment_method_types=["acss_debit"],
            payment_method_options={"acss_debit": {"currency": "cad", "mandate_options": {"default_for": ["invoice"]}}},
        ),
        params(payment_method_options={"acss_debit": {"mandate_options": {"default_for": ["invoice"]}}}),
        "payment_method_options[acss_debit][mandate_options][default_for]",
        None,
        "`payment_method_options[acss_debit][mandate_options][default_for]` can only be used in `setup` mode.",
    ),
    (
        "customer_or_customer_email",
        params(customer_email="jenny@example.com"),
        params(customer="cus_123", customer_email="jenny@example.com"),
        None,
        None,
        "You may only specify one of these parameters: customer, customer_email.",
    ),
    (
        "customer_update_needs_customer",
        params(customer="cus_123", customer_update={"name": "auto"}),
        params(customer_update={"name": "auto"}),
        "customer_update",
        None,
        "`customer_update` can only be used with `customer`.",
    ),
    (
        "promotion_codes_or_discounts",
        params(allow_promotion_codes=True),
        params(allow_promotion_codes=True, discounts=[{"coupon": "SUMMER"}]),
        None,
        None,
        "You may only specify one of these parameters: allow_promotion_codes, discounts.",
    ),
    (
        "discounts_at_most_one",
        params(discounts=[{"coupon": "SUMMER"}]),
        params(discounts=[{"coupon": "SUMMER"}, {"coupon": "WINTER"}]),
        "discounts",
        None,
        "Array discounts exceeded maximum 1 allowed elements.",
    ),
    (
        "tax_id_collection_with_customer",
        params(customer="cus_1", tax_id_collection={"enabled": True}, customer_update={"name": "auto"}),
        params(customer="cus_1", tax_id_collection={"enabled": True}),
        "tax_id_collection[enabled]",
        None,
        "Tax ID collection requires updating business name on the customer. To enable tax ID collection for an "
        "existing customer, please set `customer_update[name]` to `auto`.",
    ),
    (
        "expires_at_window",
        params(expires_at=NOW + 30 * 60),
        params(expires_at=NOW + 30 * 60 - 1),
        "expires_at",
        None,
        "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
    ),
    (
        "expires_at_window",
        params(expires_at=NOW + 24 * 3600),
        params(expires_at=NOW + 24 * 3600 + 1),
        "expires_at",
        None,
        "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
    ),
    (
        "wechat_pay_client",
        params(payment_method_types=["card", "wechat_pay"], payment_method_options={"wechat_pay": {"client": "web"}}),
        params(payment_method_types=["card", "wechat_pay"]),
        "payment_method_options[wechat_pay][client]",
        None,
        "WeChat Pay requires `payment_method_options[wechat_pay][client]` to be set to `web`.",
    ),
    (
        "payment_method_option_ranges",
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "jpy"}, "quantity": 1}),
            payment_method_types=["konbini"],
            payment_method_options={"konbini": {"expires_after_days": 60}},
        ),
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "jpy"}, "quantity": 1}),
            payment_method_types=["konbini"],
            payment_method_options={"konbini": {"expires_after_days": 61}},
        ),
        "payment_method_options[konbini][expires_after_days]",
        "parameter_invalid_integer",
        "This value must be less than or equal to 60.",
    ),
    (
        "payment_method_option_ranges",
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "brl"}, "quantity": 1}),
            payment_method_types=["pix"],
            payment_method_options={"pix": {"expires_after_seconds": 10}},
        ),
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "brl"}, "quantity": 1}),
            payment_method_types=["pix"],
            payment_method_options={"pix": {"expires_after_seconds": 9}},
        ),
        "payment_method_options[pix][expires_after_seconds]",
        "parameter_invalid_integer",
        "This value must be greater than or equal to 10.",
    ),
    (
        "shipping_options_at_most_five",
        params(shipping_options=[{"shipping_rate": f"shr_{i}"} for i in range(5)]),
        params(shipping_options=[{"shipping_rate": f"shr_{i}"} for i in range(6)]),
        "shipping_options",
        None,
        "Array shipping_options exceeded maximum 5 allowed elements.",
    ),
    (
        "payment_method_currencies",
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "eur"}, "quantity": 1}),
            payment_method_types=["card", "ideal"],
        ),
        params(payment_method_types=["card", "ideal"]),
        "payment_method_types[1]",
        None,
        "The currency provided (usd) is invalid for payment method type ideal. ideal supports: eur.",
    ),
    (
        "payment_method_currencies",
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "gbp"}, "quantity": 1}),
            payment_method_types=["customer_balance"],
            payment_method_options={
                "customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "gb_bank_transfer"}}
            },
        ),
        params(
            line_items=items({"price_data": {**PRICE_DATA, "currency": "eur"}, "quantity": 1}),
            payment_method_types=["card", "customer_balance"],
            payment_method_options={
                "customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "gb_bank_transfer"}}
            },
        ),
        "payment_method_types[1]",
        None,
        "The currency provided (eur) is invalid for payment method type customer_balance. "
        "customer_balance supports: gbp.",
    ),
    (
        # None of the methods takes the currency: Stripe's own message (seen), without a param.
        "payment_method_currencies",
        params(payment_method_types=["card", "us_bank_account"]),
        params(payment_method_types=["ideal", "sepa_debit"]),
        None,
        None,
        "No valid payment method types for this Checkout Session. Please ensure that you have activated payment "
        "methods compatible with your chosen currency in your dashboard "
        "(https://dashboard.stripe.com/settings/payment-methods) or specify `payment_method_types`.",
    ),
    (
        "currency_supported",
        params(line_items=items({"price_data": {**PRICE_DATA, "currency": "EUR"}, "quantity": 1})),
        params(line_items=items({"price_data": {**PRICE_DATA, "currency": "jod"}, "quantity": 1})),
        None,
        None,
        "Invalid currency: jod. Stripe accounts in US do not support jod. Your account currently supports these "
        "currencies: " + ", ".join(rules.tables.ACCOUNT_CURRENCY_ORDER),
    ),
    (
        "amounts_within_maximum",
        params(line_items=items({"price_data": {**PRICE_DATA, "unit_amount": 99_999_999}, "quantity": 1})),
        params(line_items=items({"price_data": {**PRICE_DATA, "unit_amount": 33_333_334}, "quantity": 3})),
        None,
        None,
        "The Checkout Session's total amount due must be no more than $999999.99 usd",
    ),
    (
        "application_fee_needs_a_connected_account",
        params(payment_intent_data={"application_fee_amount": 10, "transfer_data": {"destination": "acct_1"}}),
        params(payment_intent_data={"application_fee_amount": 10}),
        "payment_intent_data[application_fee_amount]",
        None,
        "Can only apply an application_fee_amount when the request is made on behalf of another account (using an "
        "OAuth key or the Stripe-Account header) or when it has a `transfer_data[destination]`.",
    ),
    (
        "metadata_limits",
        params(metadata={f"k{i}": "v" for i in range(50)}),
        params(metadata={f"k{i}": "v" for i in range(51)}),
        "metadata",
        None,
        "Metadata can have up to 50 keys, but you've set 51. "
        "Email us at support+metadata@stripe.com for more information.",
    ),
    (
        "metadata_limits",
        params(metadata={"order": "x" * 500}),
        params(metadata={"order": "x" * 801}),
        "metadata[order]",
        None,
        "Metadata values can have up to 500 characters, but you passed in a value that is 801 characters. "
        "Invalid value: " + "x" * 801,
    ),
    (
        "metadata_limits",
        params(payment_intent_data={"metadata": {"k" * 40: "v"}}),
        params(payment_intent_data={"metadata": {"k" * 41: "v"}}),
        "payment_intent_data[metadata]",
        None,
        "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: "
        + "k" * 41,
    ),
    (
        "metadata_limits",
        params(metadata={"order": ""}),
        params(metadata={"order": {"nested": "x"}}),
        "metadata[order]",
        None,
        'Invalid value type: {:"nested"=>"x"} must be a string',
    ),
    (
        "minimum_total",
        params(line_items=items({"price_data": {**PRICE_DATA, "unit_amount": 25}, "quantity": 2})),
        params(line_items=items({"price_data": {**PRICE_DATA, "unit_amount": 49}, "quantity": 1})),
        None,
        None,
        "The Checkout Session's total amount due must add up to at least $0.50 usd",
    ),
    (
        "minimum_total",
        params(line_items=items({"price_data": {**PRICE_DATA, "currency": "gbp", "unit_amount": 30}, "quantity": 1})),
        params(line_items=items({"price_data": {**PRICE_DATA, "currency": "gbp", "unit_amount": 29}, "quantity": 1})),
        None,
        None,
        "The Checkout Session's total amount due must add up to at least £0.30 gbp",
    ),
    (
        "success_url_placeholder",
        params(success_url="https://example.com/ok?id={CHECKOUT_SESSION_ID}"),
        params(success_url="not a url {CHECKOUT_SESSION_ID}"),
        "success_url",
        "url_invalid",
        "Not a valid URL",
    ),
    (
        "removed_parameters",
        params(shipping_options=[{"shipping_rate": "shr_1"}]),
        params(shipping_rates=["shr_1"]),
        "shipping_rates",
        "parameter_unknown",
        "Received unknown parameter: shipping_rates (it was removed in API version 2022-08-01)",
    ),
    (
        "removed_parameters",
        params("subscription", subscription_data={"trial_period_days": 3}),
        params("subscription", subscription_data={"trial_from_plan": True}),
        "subscription_data[trial_from_plan]",
        "parameter_unknown",
        "Received unknown parameter: subscription_data[trial_from_plan] (it was removed in API version 2022-08-01)",
    ),
    (
        "removed_parameters",
        params(),
        params(line_items=items({"amount": 2000, "currency": "usd", "name": "T-shirt", "quantity": 1})),
        None,
        None,
        rules.LEGACY_LINE_ITEM_MESSAGE,
    ),
]


@pytest.mark.parametrize(
    ("rule", "accepted", "rejected", "param", "code", "message"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_accepts_one_request_and_rejects_the_other(rule, accepted, rejected, param, code, message):
    validate_create_params(accepted, context=CONTEXT)
    error = first_error(rejected)
    assert error.message == message
    assert error.param == param
    assert error.code == code
    assert error.http_status == 400
    assert error.type == "invalid_request_error"


def test_every_registered_create_rule_has_a_case():
    # These need a price book, customer list or coupons; their cases are the tests below.
    covered = (
        {case[0] for case in CASES}
        | {case[0] for case in TODAY_CASES}
        | {
            "line_item_price_exists",
            "customer_exists",
            "discount_exists",
            "customer_currency",  # needs customer objects: tests/test_fidelity.py
            "allowed_methods_filtered_to_the_currency",  # today's API only: the tests below
        }
    )
    registered = {r.name for r in rules.rules_for("create")}
    missing = registered - covered
    assert not missing, f"rules without an accept/reject case: {sorted(missing)}"


def _rule_corpus_context() -> tuple[list[dict[str, Any]], RuleContext]:
    context = RuleContext(
        now=NOW,
        prices={"price_r": {"currency": "usd", "unit_amount": 100, "recurring": {"interval": "month"}}},
        customers=frozenset({"cus_known"}),
        coupons={},
        promotion_codes={},
    )
    return [case[i] for case in CASES for i in (1, 2)] + list(BASE.values()), context


def _without(item: Any, path: str) -> Any:
    """``item`` (a line item) without the value at the dotted ``path``, copied where it changes."""
    if not isinstance(item, dict):
        return item
    head, _, rest = path.partition(".")
    if head not in item:
        return item
    out = dict(item)
    if rest:
        out[head] = _without(item[head], rest)
    else:
        del out[head]
    return out


def test_a_rule_skipped_for_want_of_what_it_reads_has_nothing_to_say():
    # run_rules skips a rule when none of what it reads is given: its `needs` (top-level params) and its
    # `item_needs` (paths inside line items and optional items). Run every guarded rule itself over every request
    # of the cases with all of that taken out: it must find nothing, or the skip hides an error.
    corpus, context = _rule_corpus_context()
    guarded = [r for r in rules.rules_for("create") if r.needs or r.item_needs]
    assert len(guarded) >= 20
    assert {r.name for r in guarded if r.item_needs} >= {
        "line_item_price_exists",
        "adjustable_quantity_bounds",
        "metadata_limits",
    }
    for registered in guarded:
        for request in corpus:
            stripped = {k: v for k, v in request.items() if k not in registered.needs}
            for name in ("line_items", "optional_items"):
                if isinstance(stripped.get(name), list):
                    items = stripped[name]
                    for path in registered.item_needs:
                        items = [_without(item, path) for item in items]
                    stripped[name] = items
            found = list(registered.check(stripped, context))
            assert not found, (registered.name, stripped, found)


def test_a_rule_skipped_in_other_modes_has_nothing_to_say_in_them():
    # run_rules runs a rule with `modes` only in those modes: in every other mode (and with none), each request of
    # the cases must give it nothing to say.
    corpus, context = _rule_corpus_context()
    guarded = [r for r in rules.rules_for("create") if r.modes]
    assert {r.name for r in guarded} >= {"minimum_total", "subscription_item_counts", "recurring_prices_per_mode"}
    for registered in guarded:
        for mode in ("payment", "setup", "subscription", None, "bogus"):
            if mode in registered.modes:
                continue
            for request in corpus:
                moved = {**request, "mode": mode}
                found = list(registered.check(moved, context))
                assert not found, (registered.name, moved, found)


def test_the_rules_chosen_follow_the_mode_and_the_items_of_each_request():
    # The choice is kept per combination: two requests that differ only in mode, or only in what their items give,
    # must not share one.
    chosen = registry._selected
    version = None
    payment = {"mode": "payment", "line_items": [{"price": "price_1", "quantity": 1}]}
    setup = {**payment, "mode": "setup"}
    adjustable = {**payment, "line_items": [{"price": "price_1", "quantity": 1, "adjustable_quantity": {}}]}
    names = {
        label: {r.name for r in chosen("create", version, request)}
        for label, request in (("payment", payment), ("setup", setup), ("adjustable", adjustable))
    }
    assert "minimum_total" in names["payment"]
    assert "minimum_total" not in names["setup"]
    assert "adjustable_quantity_bounds" in names["adjustable"]
    assert "adjustable_quantity_bounds" not in names["payment"]
    assert "line_item_price_exists" in names["payment"]
    assert "price_data_product_and_amount" not in names["payment"]
    assert "metadata_limits" not in names["payment"]
    # A request whose item gives the key gets the rule, and its error.
    negative = {"enabled": True, "minimum": -1}
    error = first_error(params(line_items=[{"price": "price_1", "quantity": 1, "adjustable_quantity": negative}]))
    assert error.param == "line_items[0][adjustable_quantity][minimum]"
    # Likewise for a path deeper in the item: metadata of the product a line item makes.
    product = {"name": "Tee", "metadata": {"k" * 41: "v"}}
    data = {"currency": "usd", "unit_amount": 500, "product_data": product}
    with_metadata = params(line_items=[{"price_data": data, "quantity": 1}])
    assert "metadata_limits" in {r.name for r in chosen("create", version, with_metadata)}
    assert first_error(with_metadata).message.startswith("Metadata keys can have up to 40 characters")


def test_known_prices_count_in_the_rules():
    context = RuleContext(
        now=NOW,
        prices={
            "price_monthly": {"currency": "usd", "unit_amount": 1000, "recurring": {"interval": "month"}},
            "price_once": {"currency": "usd", "unit_amount": 10, "recurring": None},
        },
    )
    monthly = params(line_items=[{"price": "price_monthly", "quantity": 1}])
    assert first_error(monthly, context).message.startswith("You specified `payment` mode but passed a recurring price")
    cheap = params(line_items=[{"price": "price_once", "quantity": 2}])
    assert "at least $0.50 usd" in first_error(cheap, context).message
    unknown = params(line_items=[{"price": "price_nope", "quantity": 1}])
    error = first_error(unknown, context)
    assert (error.message, error.param, error.code) == (
        "No such price: 'price_nope'",
        "line_items[0][price]",
        "resource_missing",
    )
    # Without a price book the same ids are taken on trust.
    validate_create_params(unknown, context=CONTEXT)


def test_unknown_customer_is_resource_missing_when_customers_are_known():
    context = RuleContext(now=NOW, customers=frozenset({"cus_known"}))
    validate_create_params(params(customer="cus_known"), context=context)
    error = first_error(params(customer="cus_other"), context)
    assert (error.message, error.param, error.code) == ("No such customer: 'cus_other'", "customer", "resource_missing")


def test_discounts_name_known_coupons_and_promotion_codes():
    coupon = {"id": "SUMMER", "percent_off": 10.0, "amount_off": None, "currency": None}
    five_eur = {"id": "FIVE", "percent_off": None, "amount_off": 500, "currency": "eur"}
    context = RuleContext(
        now=NOW,
        coupons={"SUMMER": coupon, "FIVE": five_eur},
        promotion_codes={"promo_1": {"id": "promo_1", "code": "HELLO", "coupon": coupon}},
    )
    validate_create_params(params(discounts=[{"coupon": "SUMMER"}]), context=context)
    validate_create_params(params(discounts=[{"promotion_code": "promo_1"}]), context=context)
    cases = [
        ({"coupon": "WINTER"}, "No such coupon: 'WINTER'", "discounts[0][coupon]", "resource_missing"),
        (
            {"promotion_code": "promo_x"},
            "No such promotion code: 'promo_x'",
            "discounts[0][promotion_code]",
            "resource_missing",
        ),
        (
            {"coupon": "SUMMER", "promotion_code": "promo_1"},
            "You may only specify one of these parameters: discounts[0][coupon], discounts[0][promotion_code].",
            "discounts[0]",
            None,
        ),
        (
            {"coupon": "FIVE"},
            "The coupon 'FIVE' takes an amount off in eur, but this Checkout Session is in usd.",
            "discounts[0][coupon]",
            None,
        ),
    ]
    for discount, message, param, code in cases:
        error = first_error(params(discounts=[discount]), context)
        assert (error.message, error.param, error.code) == (message, param, code)
    # Without a coupon book the same ids are taken on trust.
    validate_create_params(params(discounts=[{"coupon": "WINTER"}]), context=CONTEXT)


def test_check_create_params_reports_every_problem_at_once():
    bad = params(
        mode=None,
        customer="cus_1",
        customer_email="a@example.com",
        success_url=None,
        metadata={f"k{i}": "v" for i in range(51)},
    )
    problems = check_create_params(bad, context=CONTEXT)
    messages = [p.message for p in problems]
    assert "Missing required param: success_url." in messages
    assert "Missing required param: mode." in messages
    assert "You may only specify one of these parameters: customer, customer_email." in messages
    assert any(m.startswith("Metadata can have up to 50 keys") for m in messages)
    assert problems[0].source == "structure"
    assert {"customer_or_customer_email", "metadata_limits"} <= {p.source for p in problems}


def test_check_create_params_survives_malformed_params():
    problems = check_create_params({"line_items": "nope", "mode": "payment", "metadata": "x"}, context=CONTEXT)
    assert problems[0].message == "Invalid array"
    assert problems[0].param == "line_items"


@pytest.mark.parametrize(
    ("operation", "accepted", "rejected", "param", "message"),
    [
        ("list", {"limit": 100}, {"limit": 101}, "limit", "This value must be less than or equal to 100."),
        ("list", {"limit": 1}, {"limit": 0}, "limit", "This value must be greater than or equal to 1."),
        ("list_line_items", {"limit": 3}, {"limit": 1000}, "limit", "This value must be less than or equal to 100."),
        (
            "list",
            {"starting_after": "cs_1"},
            {"starting_after": "cs_1", "ending_before": "cs_2"},
            None,
            "You may only specify one of these parameters: ending_before, starting_after.",
        ),
    ],
)
def test_list_rules(operation, accepted, rejected, param, message):
    validate_params(operation, accepted)
    with pytest.raises(InvalidRequestError) as caught:
        validate_params(operation, rejected)
    assert caught.value.message == message
    assert caught.value.param == param


def test_tables_are_consistent():
    # Every payment method the schema knows has a currency entry, and every minimum is positive.
    from pytest_checkout.schema.nodes import Array, String
    from pytest_checkout.schema.v2022_08_01 import CREATE_PARAMS

    methods = CREATE_PARAMS.properties["payment_method_types"]
    assert isinstance(methods, Array)
    assert isinstance(methods.items, String)
    assert set(methods.items.enum or ()) == set(rules.PAYMENT_METHOD_CURRENCIES)
    assert all(amount > 0 for amount in rules.MINIMUM_CHARGE.values())


# -- Rules of today's API (2026-10-28.endive) ----------------------------------------------------------------


def _today(**extra: Any) -> list[str]:
    from pytest_checkout import versions

    context = RuleContext(now=NOW, version=versions.TODAY)
    request = {k: v for k, v in params(**extra).items() if k != "payment_method_types"}
    return [v.message for v in rules.run_rules("create", request, context)]


def test_allowed_methods_keep_those_that_fit_and_refuse_when_none_does():
    assert _today(allowed_payment_method_types=["card", "ideal"]) == []  # ideal (eur only) is dropped, card stays
    refused = _today(allowed_payment_method_types=["ideal", "sepa_debit"])
    assert refused == [
        "No valid payment method types for this Checkout Session. Please ensure that you have activated payment "
        "methods compatible with your chosen currency in your dashboard "
        "(https://dashboard.stripe.com/settings/payment-methods) or specify `payment_method_types`."
    ]
    # What is excluded does not count as kept.
    assert len(_today(allowed_payment_method_types=["card"], excluded_payment_method_types=["card"])) == 1


def test_a_rule_of_today_s_api_does_not_hold_in_2022_08_01():
    from pytest_checkout import versions

    request = {"mode": "setup", "success_url": "https://shop.example/ok"}
    old = {v.rule for v in rules.run_rules("create", request, RuleContext(now=NOW))}  # the default, 2022-08-01
    assert "setup_needs_currency_without_methods" not in old
    today = {v.rule for v in rules.run_rules("create", request, RuleContext(now=NOW, version=versions.TODAY))}
    assert "setup_needs_currency_without_methods" in today


def test_today_s_params_are_refused_by_2022_08_01_s_schema_whatever_their_rules():
    # allowed_methods_filtered_to_the_currency holds wherever the param is taken (versions between 2022-08-01 and
    # endive take it by Stripe's policy for additions); 2022-08-01 itself has no such param.
    error = first_error(params(allowed_payment_method_types=["ideal"]))
    assert (error.param, error.code) == ("allowed_payment_method_types", "parameter_unknown")


def test_setup_mode_needs_payment_method_types_only_while_the_param_exists():
    from pytest_checkout import versions

    setup = {"mode": "setup", "success_url": "https://shop.example/ok"}
    old = {v.rule for v in rules.run_rules("create", setup, RuleContext(now=NOW))}
    assert "setup_needs_payment_method_types" in old
    today = {v.rule for v in rules.run_rules("create", setup, RuleContext(now=NOW, version=versions.TODAY))}
    assert "setup_needs_payment_method_types" not in today


# Cases of the rules that hold in today's API only (ui_mode, 2023-10 on), checked in 2026-10-28.endive.
def _page(mode: str = "embedded_page", **changes: Any) -> dict[str, Any]:
    page: dict[str, Any] = {
        "success_url": None,
        "cancel_url": None,
        "ui_mode": mode,
        "return_url": "https://example.com/r",
    }
    return params(**{**page, **changes})


_NO_AMEX = {"card": {"restrictions": {"brands_blocked": ["american_express"]}}}


def _field(key: str) -> dict[str, Any]:
    return {"key": key, "label": {"type": "custom", "custom": key.title()}, "type": "text", "text": {}}


def _dropdown(**options: Any) -> dict[str, Any]:
    choices = [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]
    return {
        "key": "size",
        "label": {"type": "custom", "custom": "Size"},
        "type": "dropdown",
        "dropdown": {"options": choices, **options},
    }


TODAY_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str | None, str | None, str]] = [
    (
        "hosted_needs_success_url",
        _page(),
        params(success_url=None),
        "success_url",
        "parameter_missing",
        "Missing required param: success_url.",
    ),
    (
        "merchant_page_refuses_hosted_params",
        _page(),
        _page(success_url="https://example.com/ok", cancel_url="https://example.com/no"),
        "cancel_url",
        None,
        "The following parameters are not supported with 'ui_mode: embedded_page': cancel_url, success_url.",
    ),
    (
        "merchant_page_refuses_hosted_params",
        _page("elements"),
        _page("elements", custom_text={"submit": {"message": "Thanks"}}),
        "custom_text",
        None,
        "The following parameters are not supported with 'ui_mode: elements': custom_text.",
    ),
    (
        "merchant_page_needs_return_url",
        _page(return_url=None, redirect_on_completion="never"),
        _page(return_url=None),
        "return_url",
        "parameter_missing",
        "Missing required param: return_url.",
    ),
    (
        "no_return_url_when_never_redirected",
        _page(redirect_on_completion="if_required"),
        _page(redirect_on_completion="never"),
        "return_url",
        None,
        "`return_url` cannot be specified when `redirect_on_completion` is `never`.",
    ),
    (
        "no_return_url_when_never_redirected",
        params(),
        params(return_url="https://example.com/r"),
        "return_url",
        None,
        "The following parameters are not supported with 'ui_mode: hosted_page': return_url.",
    ),
    (
        "setup_needs_currency_without_methods",
        params("setup", payment_method_types=None, currency="usd"),
        params("setup", payment_method_types=None),
        "currency",
        "parameter_missing",
        "Missing required param: currency.",
    ),
    (
        "parameters_of_other_modes",  # today's submit_type has `subscribe`: subscription mode takes it
        params("subscription", submit_type="subscribe"),
        params("setup", payment_method_types=None, currency="usd", submit_type="book"),
        "submit_type",
        None,
        "You can not pass `submit_type` in `setup` mode.",
    ),
    (
        "parameters_of_other_modes",
        params(invoice_creation={"enabled": True}),
        params("subscription", invoice_creation={"enabled": True}),
        "invoice_creation",
        None,
        "You can not pass `invoice_creation` in `subscription` mode.",
    ),
    (
        "custom_field_keys_are_unique",
        params(custom_fields=[_field("engraving"), _field("gift")]),
        params(custom_fields=[_field("engraving"), _field("engraving")]),
        "custom_fields[1][key]",
        None,
        "The custom field key `engraving` is used more than once; each custom field needs its own key.",
    ),
    (
        "custom_field_options_fit_its_type",
        params(custom_fields=[_dropdown(default_value="b")]),
        params(custom_fields=[_dropdown(default_value="z")]),
        "custom_fields[0][dropdown][default_value]",
        None,
        "`custom_fields[0][dropdown][default_value]` must be the value of one of the dropdown's options.",
    ),
    (
        "custom_field_options_fit_its_type",
        params(custom_fields=[_field("engraving")]),
        params(custom_fields=[{**_field("engraving"), "numeric": {"maximum_length": 5}}]),
        "custom_fields[0][numeric]",
        None,
        "`custom_fields[0][numeric]` can only be used with `type: numeric`.",
    ),
    (
        "custom_field_options_fit_its_type",
        params(custom_fields=[_dropdown()]),
        params(custom_fields=[{"key": "size", "label": {"type": "custom", "custom": "Size"}, "type": "dropdown"}]),
        "custom_fields[0][dropdown][options]",
        "parameter_missing",
        "Missing required param: custom_fields[0][dropdown][options].",
    ),
    (
        "merchant_page_refuses_hosted_params",  # tax ID collection itself is taken; its `required` is not
        _page("elements", tax_id_collection={"enabled": True}),
        _page("elements", tax_id_collection={"enabled": True, "required": "if_supported"}),
        "tax_id_collection[required]",
        None,
        "The following parameters are not supported with 'ui_mode: elements': tax_id_collection[required].",
    ),
    (
        "merchant_page_refuses_hosted_params",
        _page("embedded_page", payment_method_options=_NO_AMEX),
        _page("elements", payment_method_options=_NO_AMEX),
        "payment_method_options[card][restrictions]",
        None,
        "The following parameters are not supported with 'ui_mode: elements': "
        "payment_method_options[card][restrictions].",
    ),
    (
        "permissions_only_on_the_merchants_page",
        _page("elements", permissions={"update_shipping_details": "server_only"}),
        _page("embedded_page", permissions={"update_shipping_details": "server_only"}),
        "permissions[update_shipping_details]",
        None,
        "The following parameters are not supported with 'ui_mode: embedded_page': "
        "permissions[update_shipping_details].",
    ),
    (
        "redirect_only_on_the_merchants_page",
        _page(redirect_on_completion="if_required"),
        params(redirect_on_completion="if_required"),
        "redirect_on_completion",
        None,
        "The following parameters are not supported with 'ui_mode: hosted_page': redirect_on_completion.",
    ),
    (
        "items_with_optional_items_per_payment",
        params(line_items=params()["line_items"] * 90, optional_items=[{"price": "price_1", "quantity": 1}] * 10),
        params(line_items=params()["line_items"] * 91, optional_items=[{"price": "price_1", "quantity": 1}] * 10),
        "optional_items",
        None,
        "You can only pass up to 100 line items and optional items combined in `payment` mode, but you passed 101.",
    ),
    (
        "permissions_only_on_the_merchants_page",
        _page("elements", permissions={"update_shipping_details": "server_only"}),
        params(permissions={"update_shipping_details": "server_only"}),
        "permissions",
        None,
        "The following parameters are not supported with 'ui_mode: hosted_page': permissions.",
    ),
]


@pytest.mark.parametrize(
    ("rule", "accepted", "rejected", "param", "code", "message"),
    TODAY_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(TODAY_CASES)],
)
def test_today_s_rule_accepts_one_request_and_rejects_the_other(rule, accepted, rejected, param, code, message):
    from pytest_checkout import versions
    from pytest_checkout.validation import check_params, validate_params

    context = RuleContext(now=NOW, version=versions.TODAY)
    validate_params("create", accepted, context=context, version=versions.TODAY)
    problems = check_params("create", rejected, context=context, version=versions.TODAY)
    found = [p for p in problems if p.source == rule]
    assert [(p.message, p.param, p.code) for p in found] == [(message, param, code)]


def test_the_ui_mode_rules_read_the_old_names_of_a_version_before_dahlia():
    from pytest_checkout import versions
    from pytest_checkout.validation import check_params

    clover = versions.resolve("2025-09-30.clover").version
    context = RuleContext(now=NOW, version=clover)
    problems = check_params(
        "create", _page("embedded", success_url="https://example.com/ok"), context=context, version=clover
    )
    assert [p.message for p in problems] == [
        "The following parameters are not supported with 'ui_mode: embedded': success_url."
    ]


# Cases of the update endpoint's rules (today's API), checked in 2026-10-28.endive with a price book.
_NEW_ITEM = {"price_data": PRICE_DATA, "quantity": 1}
UPDATE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str | None, str | None, str]] = [
    (
        "new_line_item_needs_price_and_quantity",
        {"line_items": [_NEW_ITEM, {"id": "li_1"}]},
        {"line_items": [{"quantity": 1}]},
        "line_items[0]",
        None,
        "You must provide either price or price_data for each line item when using prices.",
    ),
    (
        "new_line_item_needs_price_and_quantity",
        {"line_items": [{"price": "price_1", "quantity": 2}]},
        {"line_items": [{"price": "price_1"}]},
        "line_items[0]",
        None,
        "Quantity is required. Add `quantity` to `line_items[0]`",
    ),
    (
        "kept_line_item_keeps_its_price",
        {"line_items": [{"id": "li_1", "quantity": 3}]},
        {"line_items": [{"id": "li_1", "price": "price_1"}]},
        "line_items[0][price]",
        None,
        "You cannot change the `price` of an existing line item; omit `line_items[0][id]` to add a new line item "
        "instead.",
    ),
    (
        "line_item_quantity_at_least_one",
        {"line_items": [{"id": "li_1", "quantity": 1}]},
        {"line_items": [{"id": "li_1", "quantity": 0}]},
        "line_items[0][quantity]",
        "parameter_invalid_integer",
        "This value must be greater than or equal to 1.",
    ),
    (
        "line_item_price_exists",
        {"line_items": [{"price": "price_1", "quantity": 1}]},
        {"line_items": [{"price": "price_missing", "quantity": 1}]},
        "line_items[0][price]",
        "resource_missing",
        "No such price: 'price_missing'",
    ),
    (
        "price_data_product_and_amount",
        {"line_items": [_NEW_ITEM]},
        {"line_items": [{"price_data": {"currency": "usd", "unit_amount": 100}, "quantity": 1}]},
        "line_items[0][price_data][product_data]",
        "parameter_missing",
        "Missing required param: line_items[0][price_data][product_data].",
    ),
    (
        "line_items_share_currency",
        {"line_items": [_NEW_ITEM, _NEW_ITEM]},
        {"line_items": [_NEW_ITEM, {"price_data": {**PRICE_DATA, "currency": "eur"}, "quantity": 1}]},
        "line_items[1]",
        None,
        "All line items must have the same currency; line_items[1] is in eur but line_items[0] is in usd.",
    ),
    (
        "adjustable_quantity_bounds",
        {"line_items": [{"id": "li_1", "adjustable_quantity": {"enabled": True, "maximum": 10}}]},
        {"line_items": [{"id": "li_1", "adjustable_quantity": {"enabled": True, "maximum": 1_000_000}}]},
        "line_items[0][adjustable_quantity][maximum]",
        "parameter_invalid_integer",
        "This value must be less than or equal to 999999.",
    ),
    (
        "metadata_limits",
        {"metadata": {"order": "1"}, "line_items": [{"id": "li_1", "metadata": {"sku": "x"}}]},
        {"line_items": [{"id": "li_1", "metadata": {"sku": "x" * 501}}]},
        "line_items[0][metadata][sku]",
        None,
        "Metadata values can have up to 500 characters, but you passed in a value that is 501 characters. "
        "Invalid value: " + "x" * 501,
    ),
]


@pytest.mark.parametrize(
    ("rule", "accepted", "rejected", "param", "code", "message"),
    UPDATE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(UPDATE_CASES)],
)
def test_update_rule_accepts_one_request_and_rejects_the_other(rule, accepted, rejected, param, code, message):
    from pytest_checkout import versions
    from pytest_checkout.validation import check_params, validate_params

    prices = {"price_1": {"id": "price_1", "currency": "usd", "unit_amount": 500, "recurring": None}}
    context = RuleContext(now=NOW, version=versions.TODAY, prices=prices)
    validate_params("update", accepted, context=context, version=versions.TODAY)
    problems = check_params("update", rejected, context=context, version=versions.TODAY)
    found = [p for p in problems if p.source == rule]
    assert [(p.message, p.param, p.code) for p in found] == [(message, param, code)]


def test_every_registered_update_rule_has_a_case():
    missing = {r.name for r in rules.rules_for("update")} - {case[0] for case in UPDATE_CASES}
    assert not missing, f"update rules without an accept/reject case: {sorted(missing)}"
