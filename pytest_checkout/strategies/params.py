"""Create params that respect the cross-field rules, drawn in order (mode, methods, currency, line items...)."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from pytest_checkout import rules
from pytest_checkout.rules import MODE_ONLY
from pytest_checkout.rules.tables import (
    ACCOUNT_CURRENCY_ORDER,
    BANK_TRANSFER_CURRENCIES,
    MAXIMUM_AMOUNT,
    MINIMUM_CHARGE,
    PAYMENT_METHOD_CURRENCIES,
)
from pytest_checkout.strategies.walk import (
    _ARRAY_SIZE,
    OMIT,
    ROOT,
    Strategy,
    _at,
    from_node,
    schema_node,
)

# -- Rules-aware pieces ----------------------------------------------------------------------------------------

MODES: tuple[str, ...] = tuple(schema_node("mode").enum or ())  # type: ignore[attr-defined]
PAYMENT_METHOD_TYPES: tuple[str, ...] = tuple(schema_node("payment_method_types[]").enum or ())  # type: ignore[attr-defined]
_OPTION_KEYS: tuple[str, ...] = tuple(schema_node("payment_method_options").properties)  # type: ignore[attr-defined]


def _accepts(method: str, currency: str) -> bool:
    accepted = PAYMENT_METHOD_CURRENCIES.get(method)
    return accepted is None or currency in accepted


def _currencies_for(methods: list[str]) -> list[str]:
    return [c for c in ACCOUNT_CURRENCY_ORDER if all(_accepts(m, c) for m in methods)]


def price_data(*, currency: str | None = None, recurring: bool | None = None) -> Strategy[dict[str, Any]]:
    """``line_items[][price_data]``: in ``currency`` (any the account takes when None), recurring or not (either
    when None), with one of product / product_data and one of unit_amount / unit_amount_decimal."""
    if currency is None:
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(lambda c: _price_data(c, recurring))
    return _price_data(currency, recurring)


@functools.cache
def _price_data(currency: str, recurring: bool | None) -> Strategy[dict[str, Any]]:
    path = "line_items[][price_data]"
    variants = []
    for product, other_product in (("product_data", "product"), ("product", "product_data")):
        for amount, other_amount in (("unit_amount", "unit_amount_decimal"), ("unit_amount_decimal", "unit_amount")):
            over: dict[str, Any] = {
                f"{path}[currency]": st.just(currency),
                f"{path}[{other_product}]": OMIT,
                f"{path}[{other_amount}]": OMIT,
                f"{path}[recurring]": OMIT if recurring is not True else _recurring(),
            }
            base = _at(path, over)
            chosen = {product: _at(f"{path}[{product}]"), amount: _at(f"{path}[{amount}]")}
            if recurring:
                chosen["recurring"] = _recurring()
            elif recurring is None:
                chosen = {**chosen}
                base = _at(path, {**over, f"{path}[recurring]": _recurring()})
            variants.append(st.tuples(base, st.fixed_dictionaries(chosen)).map(lambda pair: {**pair[0], **pair[1]}))
    return st.one_of(variants)


#: Stripe's longest billing interval is one year (docs): the most ``interval_count`` each interval takes.
_INTERVAL_COUNTS = {"day": 365, "week": 52, "month": 12, "year": 1}


@functools.cache
def _recurring() -> Strategy[dict[str, Any]]:
    path = "line_items[][price_data][recurring]"
    variants = [
        _at(path, {f"{path}[interval]": st.just(interval), f"{path}[interval_count]": st.integers(1, most)})
        for interval, most in _INTERVAL_COUNTS.items()
    ]
    return st.one_of(variants)


def _unit_amount(data: Mapping[str, Any]) -> Decimal:
    if "unit_amount" in data:
        return Decimal(data["unit_amount"])
    return Decimal(data["unit_amount_decimal"])


def line_items(*, currency: str | None = None, mode: str = "payment") -> Strategy[list[dict[str, Any]]]:
    """``line_items`` in one currency: one-time prices in payment mode, at least one recurring price (one interval
    for all) in subscription mode; the total reaches the currency's minimum charge and stays under the maximum."""
    if currency is None:
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(lambda c: _line_items(c, mode))
    return _line_items(currency, mode)


@functools.cache
def _line_item(currency: str, recurring: bool) -> Strategy[dict[str, Any]]:
    over: dict[str, Any] = {
        "line_items[][price_data]": _price_data(currency, recurring),
        "line_items[][price]": OMIT,  # a price id would need a price the account has
        "line_items[][quantity]": OMIT,
        "line_items[][adjustable_quantity]": _adjustable_quantity(),
    }
    required = {"price_data": over["line_items[][price_data]"], "quantity": _at("line_items[][quantity]")}
    return st.tuples(_at("line_items[]", over), st.fixed_dictionaries(required)).map(
        lambda pair: {**pair[0], **pair[1]}
    )


@functools.cache
def _line_items(currency: str, mode: str) -> Strategy[list[dict[str, Any]]]:
    return _line_items_drawn(currency, mode)


@st.composite
def _line_items_drawn(draw: st.DrawFn, currency: str, mode: str) -> list[dict[str, Any]]:
    subscription = mode == "subscription"
    first = draw(_line_item(currency, subscription))
    rest = draw(
        st.lists(
            st.one_of(_line_item(currency, False), _line_item(currency, True))
            if subscription
            else _line_item(currency, False),
            max_size=_ARRAY_SIZE - 1,
        )
    )
    items = [first, *rest]
    interval = first["price_data"].get("recurring")
    for item in items:
        if "recurring" in item["price_data"]:
            item["price_data"]["recurring"] = interval  # Stripe bills every recurring price on one interval
        adjustable = item.get("adjustable_quantity")
        if isinstance(adjustable, dict) and adjustable.get("enabled"):
            low = adjustable.get("minimum", 0)
            high = adjustable.get("maximum", rules.ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM)
            item["quantity"] = min(max(item["quantity"], low, 1), high)
    if mode == "payment":
        _reach_minimum(items, currency)
    return items


def _reach_minimum(items: list[dict[str, Any]], currency: str) -> None:
    """Raise the first item's unit amount until the total reaches the currency's minimum charge."""
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum is None:
        return
    total = sum(_unit_amount(item["price_data"]) * item["quantity"] for item in items)
    if total >= minimum:
        return
    first = items[0]
    data, quantity = first["price_data"], first["quantity"]
    needed = math.ceil((minimum - total + _unit_amount(data) * quantity) / quantity)
    data.pop("unit_amount_decimal", None)
    data["unit_amount"] = needed
    assert needed * quantity <= MAXIMUM_AMOUNT


@functools.cache
def _adjustable_quantity() -> Strategy[dict[str, Any]]:
    path = "line_items[][adjustable_quantity]"
    bounds = st.tuples(st.integers(0, 5), st.integers(1, 20)).map(sorted).filter(lambda b: b[1] >= 1)
    return st.tuples(_at(path), bounds).map(_with_bounds)


def _with_bounds(pair: tuple[dict[str, Any], list[int]]) -> dict[str, Any]:
    found, (low, high) = dict(pair[0]), pair[1]
    if "minimum" in found:
        found["minimum"] = low
    if "maximum" in found:
        found["maximum"] = max(high, 1)
    if found.get("minimum", 0) > found.get("maximum", rules.ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM):
        found["minimum"] = found["maximum"]
    return found


def shipping_options(*, currency: str | None = None) -> Strategy[list[dict[str, Any]]]:
    """``shipping_options``: each a shipping rate id or a fixed-amount rate in ``currency``, at most 5."""
    if currency is None:
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(_shipping_options)
    return _shipping_options(currency)


@functools.cache
def _shipping_options(currency: str) -> Strategy[list[dict[str, Any]]]:
    base = "shipping_options[][shipping_rate_data]"
    others = [c for c in ACCOUNT_CURRENCY_ORDER if c != currency]
    over = {
        f"{base}[fixed_amount][currency]": st.just(currency),
        f"{base}[fixed_amount][currency_options]": st.dictionaries(
            st.sampled_from(others), _at(f"{base}[fixed_amount][currency_options][*]"), max_size=2
        ),
    }
    option = st.one_of(
        st.fixed_dictionaries({"shipping_rate": _at("shipping_options[][shipping_rate]")}),
        st.fixed_dictionaries({"shipping_rate_data": _at(base, over)}),
    )
    return st.lists(option, min_size=1, max_size=_ARRAY_SIZE)


@st.composite
def customer_update(draw: st.DrawFn) -> dict[str, Any]:
    """``customer_update`` (it needs ``customer`` next to it)."""
    return draw(_at("customer_update"))


@st.composite
def payment_method_options(
    draw: st.DrawFn, *, mode: str = "payment", methods: list[str] | None = None, currency: str | None = None
) -> dict[str, Any]:
    """``payment_method_options`` for ``methods`` (any of them when None), as the rules allow in ``mode``."""
    keys = [k for k in _OPTION_KEYS if methods is None or k in methods]
    if not keys:
        return {}
    if methods is None:
        chosen = draw(st.lists(st.sampled_from(keys), min_size=1, unique=True, max_size=len(keys)))
    else:
        chosen = keys  # each option object is optional field by field
    base = "payment_method_options"
    over: dict[str, Any] = {}
    if mode != "payment":
        over[f"{base}[card][installments]"] = OMIT
    if mode != "setup":
        over[f"{base}[acss_debit][currency]"] = OMIT
        over[f"{base}[acss_debit][mandate_options][default_for]"] = OMIT
    if methods is not None and "wechat_pay" in methods:
        over[f"{base}[wechat_pay][client]"] = st.just("web")
    out: dict[str, Any] = {}
    for key in chosen:
        if key == "customer_balance":
            out[key] = draw(_customer_balance(currency if methods is not None and key in methods else None))
        else:
            out[key] = draw(_at(f"{base}[{key}]", over))
    return out


@st.composite
def _customer_balance(draw: st.DrawFn, currency: str | None) -> dict[str, Any]:
    base = "payment_method_options[customer_balance]"
    kinds = [k for k, c in BANK_TRANSFER_CURRENCIES.items() if currency is None or c == currency]
    kind = draw(st.sampled_from(kinds))
    over: dict[str, Any] = {f"{base}[bank_transfer][type]": st.just(kind)}
    if kind != "eu_bank_transfer":
        over[f"{base}[bank_transfer][eu_bank_transfer]"] = OMIT
    found: dict[str, Any] = draw(_at(base, over))
    if kind == "eu_bank_transfer" and "bank_transfer" in found:
        found["bank_transfer"].setdefault("eu_bank_transfer", draw(_at(f"{base}[bank_transfer][eu_bank_transfer]")))
    return found


@st.composite
def _payment_method_types(draw: st.DrawFn, first: str | None = None) -> tuple[list[str], str]:
    """Payment methods that share a currency, and that currency: the first method, then a currency it takes,
    then others that take the currency too."""
    if first is None:
        first = draw(st.sampled_from(PAYMENT_METHOD_TYPES))
    currency = draw(st.sampled_from(_currencies_for([first])))
    others = [m for m in PAYMENT_METHOD_TYPES if m != first and _accepts(m, currency)]
    extra = draw(st.lists(st.sampled_from(others), max_size=2, unique=True)) if others else []
    return [first, *extra], currency


@st.composite
def create_params(
    draw: st.DrawFn,
    *,
    mode: str | None = None,
    payment_method_types: list[str] | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """Valid ``POST /v1/checkout/sessions`` params, as an application passes them to the SDK.

    ``mode``, ``payment_method_types`` and ``currency`` pin what they name (the others are drawn to fit them).
    """
    chosen_mode = mode or draw(st.sampled_from(MODES))
    # Payment methods and the session's currency.
    methods: list[str] | None
    if payment_method_types is not None:
        methods = list(payment_method_types)
        session_currency = currency or draw(st.sampled_from(_currencies_for(methods) or ["usd"]))
    elif chosen_mode == "setup" or draw(st.booleans()):
        if currency is not None:
            fits = [m for m in PAYMENT_METHOD_TYPES if _accepts(m, currency)]
            first = draw(st.sampled_from(fits))
            others = [m for m in fits if m != first]
            methods = [first, *draw(st.lists(st.sampled_from(others), max_size=2, unique=True))]
            session_currency = currency
        else:
            methods, session_currency = draw(_payment_method_types())
    else:
        methods = None
        session_currency = currency or draw(st.sampled_from(ACCOUNT_CURRENCY_ORDER))

    over: dict[str, Any] = {"mode": st.just(chosen_mode)}
    for name, allowed in MODE_ONLY.items():
        if allowed != chosen_mode:
            over[name] = OMIT
    over["payment_method_types"] = OMIT if methods is None else st.just(methods)
    if chosen_mode == "setup":
        over["line_items"] = OMIT
        over["shipping_options"] = OMIT
        over["discounts"] = OMIT
        has_acss = methods is not None and "acss_debit" in methods
        over["currency"] = st.just(session_currency) if has_acss and session_currency in ("cad", "usd") else OMIT
    else:
        over["line_items"] = line_items(currency=session_currency, mode=chosen_mode)
        over["currency"] = OMIT  # line items carry the currency
        over["shipping_options"] = shipping_options(currency=session_currency) if chosen_mode == "payment" else OMIT
    over["payment_method_options"] = payment_method_options(
        mode=chosen_mode, methods=methods, currency=session_currency
    )
    # Who the customer is: an existing customer, an email, or neither.
    who = draw(st.sampled_from(["neither", "customer", "customer_email"]))
    if who != "customer":
        over["customer"] = OMIT
        over["customer_update"] = OMIT
    if who != "customer_email":
        over["customer_email"] = OMIT
    if who == "customer":
        over["customer_creation"] = OMIT
    # A discount names a coupon or a promotion code, not both.
    over["discounts[]"] = st.one_of(
        st.fixed_dictionaries({"coupon": _at("discounts[][coupon]")}),
        st.fixed_dictionaries({"promotion_code": _at("discounts[][promotion_code]")}),
    )
    # allow_promotion_codes=true and discounts exclude each other.
    if draw(st.booleans()):
        over["discounts"] = OMIT
    else:
        over["allow_promotion_codes"] = st.just(False)
    over["expires_at"] = st.integers(rules.EXPIRY_WINDOW[0] + 600, rules.EXPIRY_WINDOW[1] - 600).map(
        lambda ahead: int(time.time()) + ahead
    )
    if chosen_mode == "payment":
        over["payment_intent_data"] = _payment_intent_data()
    if chosen_mode == "subscription":
        over["subscription_data"] = _subscription_data()
    params: dict[str, Any] = draw(from_node(ROOT, "", over))
    if who != "neither" and who not in params:
        params[who] = draw(_at(who))
    if chosen_mode != "setup":
        params.setdefault("line_items", draw(over["line_items"]))
    if methods is not None:
        params["payment_method_types"] = methods
    if methods is not None and "wechat_pay" in methods:
        options = params.setdefault("payment_method_options", {})
        options.setdefault("wechat_pay", {"client": "web"})
    if who == "customer" and _dig(params, "tax_id_collection", "enabled") is True:
        params.setdefault("customer_update", {})["name"] = "auto"
    if methods is not None and "customer_balance" in methods:
        balance = _dig(params, "payment_method_options", "customer_balance", "bank_transfer", "type")
        if balance is not None and BANK_TRANSFER_CURRENCIES[balance] != session_currency:
            del params["payment_method_options"]["customer_balance"]
    return params


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@st.composite
def _payment_intent_data(draw: st.DrawFn) -> dict[str, Any]:
    path = "payment_intent_data"
    over: dict[str, Any] = {}
    transfer = draw(st.booleans())
    if not transfer:
        over[f"{path}[transfer_data]"] = OMIT
        over[f"{path}[application_fee_amount]"] = OMIT
    found: dict[str, Any] = draw(_at(path, over))
    if "application_fee_amount" in found and "transfer_data" not in found:
        found["transfer_data"] = draw(_at(f"{path}[transfer_data]"))
    return found


@st.composite
def _subscription_data(draw: st.DrawFn) -> dict[str, Any]:
    path = "subscription_data"
    over: dict[str, Any] = {
        f"{path}[trial_end]": st.integers(3 * 86400, 30 * 86400).map(lambda ahead: int(time.time()) + ahead),
        f"{path}[application_fee_percent]": st.integers(0, 1000).map(lambda n: n / 10),
        f"{path}[transfer_data][amount_percent]": st.integers(0, 1000).map(lambda n: n / 10),
    }
    if draw(st.booleans()):
        over[f"{path}[trial_end]"] = OMIT
    else:
        over[f"{path}[trial_period_days]"] = OMIT
    if draw(st.booleans()):
        over[f"{path}[transfer_data]"] = OMIT
        over[f"{path}[application_fee_percent]"] = OMIT
    found: dict[str, Any] = draw(_at(path, over))
    if "application_fee_percent" in found and "transfer_data" not in found:
        found["transfer_data"] = draw(_at(f"{path}[transfer_data]", over))
    return found
