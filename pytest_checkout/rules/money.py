"""The rules of ``POST /v1/checkout/sessions`` about money: currencies, amounts, payment methods per currency,
a customer's currency, application fees. They run after the rules of ``create.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from pytest_checkout.codec import MAPPINGS
from pytest_checkout.rules.create import LINE_ITEMS
from pytest_checkout.rules.registry import (
    RuleContext,
    Violation,
    _dig,
    _integer_bounds,
    _mode,
    _payment_method_types,
    _price_facts,
    _session_currency,
    format_minimum,
    rule,
)
from pytest_checkout.rules.tables import (
    ACCOUNT_COUNTRY,
    ACCOUNT_CURRENCIES,
    ACCOUNT_CURRENCY_ORDER,
    BANK_TRANSFER_CURRENCIES,
    MAXIMUM_AMOUNT,
    MINIMUM_CHARGE,
    PAYMENT_METHOD_CURRENCIES,
    STRIPE_CURRENCIES,
    STRIPE_CURRENCY_ORDER,
)


def _currencies(params: Mapping[str, Any], context: RuleContext) -> Iterator[tuple[str, str]]:
    """Every currency a create request names, with its param: line items, ``currency``, shipping rates."""
    for index, item in context.line_items(params):
        currency = _dig(item, "price_data", "currency")
        if isinstance(currency, str) and currency:
            yield f"line_items[{index}][price_data][currency]", currency
    currency = params.get("currency")
    if isinstance(currency, str) and currency:
        yield "currency", currency
    options = params.get("shipping_options")
    for index, option in enumerate(options if isinstance(options, list) else []):
        currency = _dig(option, "shipping_rate_data", "fixed_amount", "currency")
        if isinstance(currency, str) and currency:
            yield f"shipping_options[{index}][shipping_rate_data][fixed_amount][currency]", currency


@rule("create", "seen", needs=("line_items", "currency", "shipping_options"))
def currency_supported(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A currency Stripe knows, and one the account can charge in.

    Seen: the account's refusal (``tnd`` for a US account: no param, no code) and, for a payment intent, the
    unknown currency with ``param`` ``currency``; that the session names the line item's param is a guess.
    """
    for param, given in _currencies(params, context):
        currency = given.lower()
        if currency not in STRIPE_CURRENCIES:
            yield Violation(
                f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                f"{', '.join(STRIPE_CURRENCY_ORDER)}",
                param=param,
            )
            return
        if currency not in ACCOUNT_CURRENCIES:
            yield Violation(
                f"Invalid currency: {currency}. Stripe accounts in {ACCOUNT_COUNTRY} do not support {currency}. "
                f"Your account currently supports these currencies: {', '.join(ACCOUNT_CURRENCY_ORDER)}"
            )
            return


@rule("create", "docs", needs=LINE_ITEMS)
def amounts_within_maximum(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A unit amount, a line item's total and the session's total take at most eight digits (docs).

    Wording a guess: the unit amount's follows Stripe's integer bounds; the totals' its minimum-total message.
    """
    total: int | Decimal = 0
    currency = None
    for index, item in context.line_items(params):
        data = item.get("price_data")
        amount = data.get("unit_amount") if isinstance(data, MAPPINGS) else None
        if isinstance(amount, int) and not isinstance(amount, bool) and amount > MAXIMUM_AMOUNT:
            yield from _integer_bounds(amount, None, MAXIMUM_AMOUNT, f"line_items[{index}][price_data][unit_amount]")
            return
        facts = _price_facts(item, context)
        quantity = item.get("quantity")
        if facts is None or facts.unit_amount is None or not isinstance(quantity, int):
            continue
        total += facts.unit_amount * quantity
        currency = currency or facts.currency
    if total > MAXIMUM_AMOUNT:
        shown = format_minimum(MAXIMUM_AMOUNT, currency) if currency else str(MAXIMUM_AMOUNT)
        yield Violation(f"The Checkout Session's total amount due must be no more than {shown}")


@rule("create", "guess", needs=("payment_intent_data", "subscription_data"))
def application_fee_needs_a_connected_account(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """An application fee needs a connected account: ``Stripe-Account`` (a direct charge) or, for a payment, a
    ``transfer_data[destination]`` (docs). Unverified: the wording, Stripe's for payment intents, is assumed."""
    for where, fee_key in (
        ("payment_intent_data", "application_fee_amount"),
        ("subscription_data", "application_fee_percent"),
    ):
        if _dig(params, where, fee_key) is None or context.stripe_account is not None:
            continue
        if _dig(params, where, "transfer_data", "destination"):
            continue
        yield Violation(
            f"Can only apply an {fee_key} when the request is made on behalf of another account (using an OAuth "
            "key or the Stripe-Account header) or when it has a `transfer_data[destination]`.",
            param=f"{where}[{fee_key}]",
        )


@rule("create", "seen", needs=("customer",))
def customer_currency(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A customer who pays in one currency can not be charged in another (both messages seen; no param).

    Only checked when the context knows the customers as objects (the fake's case). Which of the two messages
    Stripe gives when both apply is a guess: the one about the subscription.
    """
    customers = context.customers
    customer_id = params.get("customer")
    if not isinstance(customers, Mapping) or not isinstance(customer_id, str) or customer_id not in customers:
        return
    currency = _session_currency(params, context)
    if currency is None:
        return
    for other in _subscription_currencies(customer_id, context):
        if other != currency:
            yield Violation(
                "You cannot combine currencies on a single customer. This customer has an active subscription, "
                "subscription schedule, discount, quote, invoice item or active subscription mode checkout session "
                f"with currency {other}."
            )
            return
    own = customers[customer_id].get("currency")
    if isinstance(own, str) and own and own.lower() != currency:
        yield Violation(
            f"The currency of the selected prices ({currency}) does not match the customer currency ({own.lower()})."
        )


def _subscription_currencies(customer_id: str, context: RuleContext) -> Iterator[str]:
    """The currencies of the customer's active subscriptions among the objects the context knows."""
    for found in (context.objects or {}).values():
        if found.get("object") != "subscription" or found.get("customer") != customer_id:
            continue
        if found.get("status") not in ("active", "trialing", "past_due"):
            continue
        items = _dig(found, "items", "data")
        for entry in items if isinstance(items, list) else []:
            currency = _dig(entry, "price", "currency")
            if isinstance(currency, str):
                yield currency.lower()
                break


def compatible_methods(methods: list[str], currency: str | None, params: Mapping[str, Any]) -> list[str]:
    """The payment methods of ``methods`` that accept ``currency`` (all of them when it is not known yet)."""
    if currency is None:
        return list(methods)
    out = []
    for method in methods:
        accepted = PAYMENT_METHOD_CURRENCIES.get(method)
        if method == "customer_balance":
            kind = _dig(params, "payment_method_options", "customer_balance", "bank_transfer", "type")
            if isinstance(kind, str) and kind in BANK_TRANSFER_CURRENCIES:
                accepted = frozenset({BANK_TRANSFER_CURRENCIES[kind]})
        if accepted is None or currency in accepted:
            out.append(method)
    return out


_NO_VALID_METHODS = (
    "No valid payment method types for this Checkout Session. Please ensure that you have activated "
    "payment methods compatible with your chosen currency in your dashboard "
    "(https://dashboard.stripe.com/settings/payment-methods) or specify `payment_method_types`."
)


@rule("create", "docs", needs=("allowed_payment_method_types",))
def allowed_methods_filtered_to_the_currency(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``allowed_payment_method_types`` keeps the methods that fit the session (endive's changelog: it filters
    instead of refusing); none left is the error ``payment_method_types`` gave (unverified for this param). In
    every version that takes the param (a version before endive does, by Stripe's policy for additions)."""
    allowed = params.get("allowed_payment_method_types")
    if not isinstance(allowed, list) or not allowed:
        return
    methods = [m for m in allowed if isinstance(m, str)]
    excluded = params.get("excluded_payment_method_types") or []
    kept = [m for m in compatible_methods(methods, _session_currency(params, context), params) if m not in excluded]
    if not kept:
        yield Violation(_NO_VALID_METHODS)


@rule("create", "docs", needs=("payment_method_types",))
def payment_method_currencies(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Each payment method accepts only some currencies (docs; wording a guess)."""
    currency = _session_currency(params, context)
    if currency is None:
        return
    methods = _payment_method_types(params)
    refused = []
    for index, method in enumerate(methods):
        accepted = PAYMENT_METHOD_CURRENCIES.get(method)
        if method == "customer_balance":
            kind = _dig(params, "payment_method_options", "customer_balance", "bank_transfer", "type")
            if isinstance(kind, str) and kind in BANK_TRANSFER_CURRENCIES:
                accepted = frozenset({BANK_TRANSFER_CURRENCIES[kind]})
        if accepted is not None and currency not in accepted:
            refused.append((index, method, accepted))
    if methods and len(refused) == len(methods):
        # Seen, with no param.
        yield Violation(_NO_VALID_METHODS)
        return
    for index, method, accepted in refused:
        # Wording a guess: which of several methods live Stripe names when only some refuse is not known.
        yield Violation(
            f"The currency provided ({currency}) is invalid for payment method type {method}. "
            f"{method} supports: {', '.join(sorted(accepted))}.",
            param=f"payment_method_types[{index}]",
        )


@rule("create", "docs", needs=LINE_ITEMS, modes=("payment",))
def minimum_total(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """payment mode: the total must reach the currency's minimum charge (seen for usd)."""
    if _mode(params) != "payment":
        return
    items = context.line_items(params)
    total: int | Decimal = 0
    currency = None
    for _, item in items:
        facts = _price_facts(item, context)
        quantity = item.get("quantity")
        if facts is None or facts.unit_amount is None or not isinstance(quantity, int):
            return
        total += facts.unit_amount * quantity
        currency = currency or facts.currency
    if not items or currency is None or currency not in MINIMUM_CHARGE:
        return
    minimum = MINIMUM_CHARGE[currency]
    if total < minimum:
        yield Violation(
            f"The Checkout Session's total amount due must add up to at least {format_minimum(minimum, currency)}"
        )
