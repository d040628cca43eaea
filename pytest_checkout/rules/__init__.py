"""Stripe's rules across fields of a Checkout Session request, one small function each, in a registry.

Each rule states one behaviour of Stripe's and says how sure we are of it:
``seen`` (the message was captured from the live API), ``docs``, or ``guess`` (nobody has shown Stripe's
answer; the wording here is the most plausible one and is unverified against live Stripe).

The package: ``tables`` (minimum amounts, currencies per payment method, limits: the one copy of those facts),
``registry`` (``Violation``, ``RuleContext``, ``@rule`` and the helpers rules share), ``create``, ``money``
(currencies, amounts, fees), ``ui``, ``custom_fields``, ``update`` and ``lists``: the rules, each endpoint's in
the order they run. Everything public is re-exported here.
"""

from __future__ import annotations

from pytest_checkout.rules import create, custom_fields, lists, money, ui, update
from pytest_checkout.rules.create import MODE_ONLY, metadata_limits
from pytest_checkout.rules.lists import DEFAULT_LIST_LIMIT, LIST_LIMIT
from pytest_checkout.rules.money import compatible_methods
from pytest_checkout.rules.registry import (
    _RULES,
    Certainty,
    Rule,
    RuleContext,
    Violation,
    check_format,
    format_minimum,
    format_ok,
    price_facts,
    rule,
    rules_for,
    run_rules,
    schema_path,
)
from pytest_checkout.rules.tables import (
    ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM,
    ADJUSTABLE_QUANTITY_LIMIT,
    ARRAY_LIMITS,
    BANK_TRANSFER_CURRENCIES,
    DEFAULT_EXPIRY_SECONDS,
    ENUM_LEADING,
    EXPIRY_WINDOW,
    FIELD_FORMATS,
    KONBINI_EXPIRES_AFTER_DAYS,
    LEGACY_LINE_ITEM_MESSAGE,
    METADATA_LIMITS,
    MINIMUM_CHARGE,
    PAYMENT_METHOD_CURRENCIES,
    PIX_EXPIRES_AFTER_SECONDS,
    SESSION_ID_PLACEHOLDER,
    SUBSCRIPTION_ITEM_LIMIT,
    UNIT_AMOUNT_DECIMAL_PLACES,
    ZERO_DECIMAL_CURRENCIES,
)

__all__ = [
    "ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM",
    "ADJUSTABLE_QUANTITY_LIMIT",
    "ARRAY_LIMITS",
    "BANK_TRANSFER_CURRENCIES",
    "DEFAULT_EXPIRY_SECONDS",
    "DEFAULT_LIST_LIMIT",
    "ENUM_LEADING",
    "EXPIRY_WINDOW",
    "FIELD_FORMATS",
    "KONBINI_EXPIRES_AFTER_DAYS",
    "LEGACY_LINE_ITEM_MESSAGE",
    "LIST_LIMIT",
    "METADATA_LIMITS",
    "MINIMUM_CHARGE",
    "MODE_ONLY",
    "PAYMENT_METHOD_CURRENCIES",
    "PIX_EXPIRES_AFTER_SECONDS",
    "RULES",
    "SESSION_ID_PLACEHOLDER",
    "SUBSCRIPTION_ITEM_LIMIT",
    "UNIT_AMOUNT_DECIMAL_PLACES",
    "ZERO_DECIMAL_CURRENCIES",
    "Certainty",
    "Rule",
    "RuleContext",
    "Violation",
    "check_format",
    "compatible_methods",
    "create",
    "custom_fields",
    "format_minimum",
    "format_ok",
    "lists",
    "metadata_limits",
    "money",
    "price_facts",
    "rule",
    "rules_for",
    "run_rules",
    "schema_path",
    "ui",
    "update",
]

#: Every registered rule, in the order they run (create's, the lists', the update's).
RULES: tuple[Rule, ...] = tuple(_RULES)
