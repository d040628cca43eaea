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
from pytest_checkout.schema import nodes
from pytest_checkout.strategies.walk import (
    _ARRAY_SIZE,
    BOOLEANS,
    DENSE,
    OMIT,
    PRICES,
    ROOT,
    VERSION,
    Strategy,
    _at,
    from_node,
    integers,
    just,
    object_at,
    schema_node,
    version_key,
)

#: The unit amount of each price in ``PRICES``, by id.
_PRICE_AMOUNTS: Mapping[str, int] = {price: amount for price, amount in PRICES.values()}

# -- Rules-aware pieces ----------------------------------------------------------------------------------------

MODES: tuple[str, ...] = tuple(schema_node("mode").enum or ())  # type: ignore[attr-defined]
PAYMENT_METHOD_TYPES: tuple[str, ...] = tuple(schema_node("payment_method_types[]").enum or ())  # type: ignore[attr-defined]
_OPTION_KEYS: tuple[str, ...] = tuple(schema_node("payment_method_options").properties)  # type: ignore[attr-defined]
#: Payment methods with an option object, each drawn first as often as all the others together (see create_params).
_FOCUS_METHODS: tuple[str, ...] = tuple(m for m in PAYMENT_METHOD_TYPES if m in _OPTION_KEYS)
_FOCUS_METHOD: Strategy[str | None] = st.sampled_from(_FOCUS_METHODS)
_FOCUS: Strategy[str | None] = st.one_of(st.none(), _FOCUS_METHOD)
#: The first method when there is no focus: any, or (half the time) one of those without options, which the
#: focus never draws first; so blik (pln only) and promptpay (thb only) turn up often enough to count.
_PLAIN_FIRST: Strategy[str] = st.one_of(
    st.sampled_from([m for m in PAYMENT_METHOD_TYPES if m not in _FOCUS_METHODS]),
    st.sampled_from(PAYMENT_METHOD_TYPES),
)


def _accepts(method: str, currency: str) -> bool:
    accepted = PAYMENT_METHOD_CURRENCIES.get(method)
    return accepted is None or currency in accepted


@functools.cache
def _currency_of(method: str) -> Strategy[str]:
    """A currency that ``method`` takes."""
    return st.sampled_from(_currencies_for([method]))


def _currencies_for(methods: list[str]) -> list[str]:
    return [c for c in ACCOUNT_CURRENCY_ORDER if all(_accepts(m, c) for m in methods)]


def price_data(
    *, currency: str | None = None, recurring: bool | None = None, api_version: str | None = None
) -> Strategy[dict[str, Any]]:
    """``line_items[][price_data]``: in ``currency`` (any the account takes when None), recurring or not (either
    when None), with one of product / product_data and one of unit_amount / unit_amount_decimal; in the schema of
    ``api_version`` (see ``create_params``)."""
    version = version_key(api_version)
    if currency is None:
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(lambda c: _price_data(c, recurring, version))
    return _price_data(currency, recurring, version)


@functools.cache
def _price_data(currency: str, recurring: bool | None, version: str | None = None) -> Strategy[dict[str, Any]]:
    path = "line_items[][price_data]"
    variants = []
    for product in ("product_data", "product"):
        for amount in ("unit_amount", "unit_amount_decimal"):
            # The walk draws the optional rest; the pair chosen here is drawn once, beside it.
            over: dict[str, Any] = {
                f"{path}[currency]": just(currency),
                f"{path}[product]": OMIT,
                f"{path}[product_data]": OMIT,
                f"{path}[unit_amount]": OMIT,
                f"{path}[unit_amount_decimal]": OMIT,
                f"{path}[recurring]": _recurring(version) if recurring is None else OMIT,
            }
            chosen = {
                product: _at(f"{path}[{product}]", version=version),
                amount: _at(f"{path}[{amount}]", version=version),
            }
            if recurring:
                chosen["recurring"] = _recurring(version)
            variants.append(object_at(path, over, add=chosen, version=version))
    return st.one_of(variants)


#: Stripe's longest billing interval is one year (docs): the most ``interval_count`` each interval takes.
_INTERVAL_COUNTS = {"day": 365, "week": 52, "month": 12, "year": 1}


@functools.cache
def _recurring(version: str | None = None) -> Strategy[dict[str, Any]]:
    path = "line_items[][price_data][recurring]"
    variants = [
        _at(path, {f"{path}[interval]": just(interval), f"{path}[interval_count]": integers(1, most)}, version)
        for interval, most in _INTERVAL_COUNTS.items()
    ]
    return st.one_of(variants)


def _unit_amount(data: Mapping[str, Any]) -> Decimal:
    if "unit_amount" in data:
        return Decimal(data["unit_amount"])
    return Decimal(data["unit_amount_decimal"])


def _item_amount(item: Mapping[str, Any]) -> Decimal:
    quantity = int(item["quantity"])
    if "price" in item:
        return Decimal(_PRICE_AMOUNTS[item["price"]]) * quantity
    return _unit_amount(item["price_data"]) * quantity


def line_items(
    *, currency: str | None = None, mode: str = "payment", api_version: str | None = None
) -> Strategy[list[dict[str, Any]]]:
    """``line_items`` in one currency: one-time prices in payment mode, at least one recurring price (one interval
    for all) in subscription mode; the total reaches the currency's minimum charge and stays under the maximum.
    In the schema of ``api_version`` (see ``create_params``)."""
    version = version_key(api_version)
    if currency is None:
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(lambda c: _line_items(c, mode, version))
    return _line_items(currency, mode, version)


@functools.cache
def _line_item(currency: str, recurring: bool, version: str | None = None) -> Strategy[dict[str, Any]]:
    over: dict[str, Any] = {
        "line_items[][price_data]": OMIT,
        "line_items[][price]": OMIT,
        "line_items[][quantity]": OMIT,
        "line_items[][adjustable_quantity]": _adjustable_quantity(version),
    }
    quantity = _at("line_items[][quantity]", version=version)
    with_data = object_at(
        "line_items[]",
        over,
        add={"price_data": _price_data(currency, recurring, version), "quantity": quantity},
        version=version,
    )
    if recurring:
        return with_data  # every recurring price shares one interval: price_data sets it
    # A one-time price by id: register_references adds it to the fake.
    with_price = object_at(
        "line_items[]", over, add={"price": just(PRICES[currency][0]), "quantity": quantity}, version=version
    )
    return st.one_of(with_data, with_price)


@functools.cache
def _line_items(currency: str, mode: str, version: str | None = None) -> Strategy[list[dict[str, Any]]]:
    return _line_items_drawn(currency, mode, version)


@st.composite
def _line_items_drawn(draw: st.DrawFn, currency: str, mode: str, version: str | None) -> list[dict[str, Any]]:
    subscription = mode == "subscription"
    first = draw(_line_item(currency, subscription, version))
    rest = draw(_more_line_items(currency, subscription, version))
    items = [first, *rest]
    interval = first["price_data"].get("recurring") if "price_data" in first else None
    for item in items:
        if "recurring" in item.get("price_data", {}):
            item["price_data"]["recurring"] = interval  # Stripe bills every recurring price on one interval
        fit_quantity(item)
    if mode == "payment":
        _reach_minimum(items, currency)
    return items


def fit_quantity(item: dict[str, Any]) -> None:
    """An item's ``quantity`` moved into the bounds of its enabled ``adjustable_quantity``."""
    adjustable = item.get("adjustable_quantity")
    if isinstance(adjustable, dict) and adjustable.get("enabled"):
        low = adjustable.get("minimum", 0)
        high = adjustable.get("maximum", rules.ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM)
        item["quantity"] = min(max(item["quantity"], low, 1), high)


@functools.cache
def _more_line_items(currency: str, subscription: bool, version: str | None = None) -> Strategy[list[dict[str, Any]]]:
    """The line items after the first: one-time prices, and recurring ones too in a subscription."""
    item = _line_item(currency, False, version)
    if subscription:
        item = st.one_of(item, _line_item(currency, True, version))
    return st.lists(item, max_size=_ARRAY_SIZE - 1)


def _reach_minimum(items: list[dict[str, Any]], currency: str) -> None:
    """Raise the first item's unit amount until the total reaches the currency's minimum charge."""
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum is None:
        return
    total = sum(_item_amount(item) for item in items)
    if total >= minimum:
        return
    first = items[0]  # a price by id reaches the minimum alone, so the first item has price_data here
    data, quantity = first["price_data"], first["quantity"]
    needed = math.ceil((minimum - total + _unit_amount(data) * quantity) / quantity)
    data.pop("unit_amount_decimal", None)
    data["unit_amount"] = needed
    assert needed * quantity <= MAXIMUM_AMOUNT


@functools.cache
def _adjustable_quantity(
    version: str | None = None, path: str = "line_items[][adjustable_quantity]"
) -> Strategy[dict[str, Any]]:
    """An ``adjustable_quantity`` (of a line item, or of one of today's optional items) with its bounds in order."""
    bounds = st.tuples(integers(0, 5), integers(1, 20)).map(sorted)
    return st.tuples(_at(path, version=version), bounds).map(_with_bounds)


def _with_bounds(pair: tuple[dict[str, Any], list[int]]) -> dict[str, Any]:
    found, (low, high) = dict(pair[0]), pair[1]
    if "minimum" in found:
        found["minimum"] = low
    if "maximum" in found:
        found["maximum"] = max(high, 1)
    if found.get("minimum", 0) > found.get("maximum", rules.ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM):
        found["minimum"] = found["maximum"]
    return found


def shipping_options(*, currency: str | None = None, api_version: str | None = None) -> Strategy[list[dict[str, Any]]]:
    """``shipping_options``: each a shipping rate id or a fixed-amount rate in ``currency``, at most 5; in the
    schema of ``api_version`` (see ``create_params``)."""
    version = version_key(api_version)
    if currency is None:
        if version is None:
            return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(_shipping_options)
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER).flatmap(lambda c: _shipping_options(c, version))
    return _shipping_options(currency, version)


@functools.cache
def _shipping_options(currency: str, version: str | None = None) -> Strategy[list[dict[str, Any]]]:
    base = "shipping_options[][shipping_rate_data]"
    others = [c for c in ACCOUNT_CURRENCY_ORDER if c != currency]
    rates = []
    for dense in (False, True):
        # The dense rate has every optional key (delivery estimates, tax behaviour per currency): these deep
        # values would otherwise turn up a few times in thousands of examples.
        over: dict[str, Any] = {DENSE: True} if dense else {}
        if version is not None:
            over[VERSION] = version
        over[f"{base}[fixed_amount][currency]"] = just(currency)
        over[f"{base}[fixed_amount][currency_options]"] = st.dictionaries(
            st.sampled_from(others),
            _at(f"{base}[fixed_amount][currency_options][*]", over),
            min_size=int(dense),
            max_size=2,
        )
        rates.append(
            object_at(
                "shipping_options[]",
                {"shipping_options[][shipping_rate]": OMIT},
                add={"shipping_rate_data": _at(base, over)},
                version=version,
            )
        )
    by_id = object_at(
        "shipping_options[]",
        {"shipping_options[][shipping_rate_data]": OMIT},
        add={"shipping_rate": _at("shipping_options[][shipping_rate]", version=version)},
        version=version,
    )
    return st.lists(st.one_of(by_id, *rates), min_size=1, max_size=_ARRAY_SIZE)


def customer_update(*, api_version: str | None = None) -> Strategy[dict[str, Any]]:
    """``customer_update`` (it needs ``customer`` next to it), in the schema of ``api_version``."""
    version = version_key(api_version)
    return _customer_update() if version is None else _at("customer_update", version=version)


@st.composite
def _customer_update(draw: st.DrawFn) -> dict[str, Any]:
    return draw(_at("customer_update"))


def payment_method_options(
    *,
    mode: str = "payment",
    methods: list[str] | None = None,
    currency: str | None = None,
    api_version: str | None = None,
) -> Strategy[dict[str, Any]]:
    """``payment_method_options`` for ``methods`` (any of them when None), as the rules allow in ``mode``; with
    the option objects of ``api_version``'s schema (today's has twice as many)."""
    version = version_key(api_version)
    if version is None:
        return _payment_method_options(mode, methods, currency, None)
    return _payment_method_options(mode, methods, currency, None, version)


@functools.cache
def option_keys(version: str | None) -> tuple[str, ...]:
    """The keys of ``payment_method_options`` in a version's schema (a ``version_key``)."""
    if version is None:
        return _OPTION_KEYS
    return tuple(schema_node("payment_method_options", version).properties)  # type: ignore[attr-defined]


@st.composite
def _payment_method_options(
    draw: st.DrawFn,
    mode: str,
    methods: list[str] | None,
    currency: str | None,
    focus: str | None,
    version: str | None = None,
) -> dict[str, Any]:
    """As ``payment_method_options``; the option object of ``focus`` (when given) comes with every key."""
    keys = [k for k in option_keys(version) if methods is None or k in methods]
    if not keys:
        return {}
    if methods is None:
        chosen = draw(st.lists(st.sampled_from(keys), min_size=1, unique=True, max_size=len(keys)))
    else:
        chosen = keys  # each option object is optional field by field
    wechat_web = methods is not None and "wechat_pay" in methods
    # One option object, at even odds, with every optional key below it: the deep enum values (mandate options,
    # bank transfer address types) turn up in a few thousand examples this way, not once in a million.
    dense = focus if focus in chosen else draw(st.sampled_from([None, *chosen]))
    out: dict[str, Any] = {}
    for key in chosen:
        if key == "customer_balance":
            balance_currency = currency if methods is not None and key in methods else None
            out[key] = draw(_customer_balance(balance_currency, dense=key == dense, version=version))
        else:
            out[key] = draw(_option(key, mode, wechat_web, dense=key == dense, version=version))
    return out


@functools.cache
def _option(
    key: str, mode: str, wechat_web: bool, *, dense: bool = False, version: str | None = None
) -> Strategy[dict[str, Any]]:
    """``payment_method_options[key]`` as the rules allow in ``mode``, built once per (key, mode)."""
    base = "payment_method_options"
    over: dict[str, Any] = {DENSE: True} if dense else {}
    if mode != "payment":
        over[f"{base}[card][installments]"] = OMIT
    if mode != "setup":
        over[f"{base}[acss_debit][currency]"] = OMIT
        over[f"{base}[acss_debit][mandate_options][default_for]"] = OMIT
    if wechat_web:
        over[f"{base}[wechat_pay][client]"] = just("web")
    return _at(f"{base}[{key}]", over, version)


def _customer_balance(
    currency: str | None, *, dense: bool = False, version: str | None = None
) -> Strategy[dict[str, Any]]:
    # The transfer types the version has whose currency the rules know (us_bank_transfer is today's only).
    node = schema_node("payment_method_options[customer_balance][bank_transfer][type]", version)
    known = node.enum if isinstance(node, nodes.String) and node.enum is not None else ()
    kinds = [k for k, c in BANK_TRANSFER_CURRENCIES.items() if k in known and (currency is None or c == currency)]
    return st.one_of([_customer_balance_of(kind, dense, version) for kind in kinds])


@functools.cache
def _customer_balance_of(kind: str, dense: bool, version: str | None = None) -> Strategy[dict[str, Any]]:
    base = "payment_method_options[customer_balance]"
    transfer = f"{base}[bank_transfer]"
    over: dict[str, Any] = {f"{transfer}[type]": just(kind)}
    if dense:
        over[DENSE] = True
    if kind != "eu_bank_transfer":
        over[f"{transfer}[eu_bank_transfer]"] = OMIT
    else:
        # The EU transfer needs its country: always there when ``bank_transfer`` is.
        country = _at(f"{transfer}[eu_bank_transfer]", version=version)
        over[transfer] = object_at(transfer, over, add={"eu_bank_transfer": country}, version=version)
    return _at(base, over, version)


@st.composite
def _payment_method_types(draw: st.DrawFn, first: str | None = None) -> tuple[list[str], str]:
    """Payment methods that share a currency, and that currency: the first method, then a currency it takes,
    then others that take the currency too."""
    if first is None:
        first = draw(_PLAIN_FIRST)
    currency = draw(_currency_of(first))
    return [first, *draw(_more_methods(first, currency))], currency


@functools.cache
def _more_methods(first: str, currency: str, methods: tuple[str, ...] = PAYMENT_METHOD_TYPES) -> Strategy[list[str]]:
    """Up to two more payment methods of ``methods`` besides ``first`` that take ``currency``."""
    others = [m for m in methods if m != first and _accepts(m, currency)]
    return st.lists(st.sampled_from(others), max_size=2, unique=True) if others else st.just([])


#: Who the customer is: an existing customer, an email, or neither; and whether promotion codes are allowed.
_WHO_AND_DISCOUNTS = st.sampled_from(
    [(who, codes) for who in ("neither", "customer", "customer_email") for codes in (False, True)]
)
#: Parameters ``create_params`` draws apart from the walk of the root, because they depend on the payment
#: methods or the currency (whose combinations are too many to build a walk for each).
_DRAWN_APART = ("payment_method_types", "payment_method_options", "line_items", "shipping_options", "currency")


def create_params(
    *,
    mode: str | None = None,
    payment_method_types: list[str] | None = None,
    currency: str | None = None,
    api_version: str | None = None,
) -> Strategy[dict[str, Any]]:
    """Valid ``POST /v1/checkout/sessions`` params, as an application passes them to the SDK.

    ``mode``, ``payment_method_types`` and ``currency`` pin what they name (the others are drawn to fit them).
    ``api_version``: the ``Stripe-Version`` the params are for (the default version, 2022-08-01, when None); any
    version ``versions.resolve`` places, registered or dated between the registered ones. Today's API
    (:mod:`pytest_checkout.strategies.today`) draws its own parameters, ``ui_mode`` in the version's names, and
    from 2026-09-30.endive on ``allowed_payment_method_types``, which ``payment_method_types`` then pins. A
    version the fake can not place is a ``ValueError``.
    """
    version = version_key(api_version)
    if version is None:
        return _create_params(mode=mode, payment_method_types=payment_method_types, currency=currency)
    from pytest_checkout.strategies.today import todays_create_params

    return todays_create_params(version, mode=mode, payment_method_types=payment_method_types, currency=currency)


@st.composite
def _create_params(
    draw: st.DrawFn,
    *,
    mode: str | None = None,
    payment_method_types: list[str] | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """``create_params`` in the default version (2022-08-01)."""
    chosen_mode = mode or draw(st.sampled_from(MODES))
    focus: str | None = None
    # Payment methods and the session's currency.
    methods: list[str] | None
    if payment_method_types is not None:
        methods = list(payment_method_types)
        session_currency = currency or draw(st.sampled_from(_currencies_for(methods) or ["usd"]))
    elif chosen_mode == "setup" or draw(BOOLEANS):
        if currency is not None:
            fits = [m for m in PAYMENT_METHOD_TYPES if _accepts(m, currency)]
            first = draw(st.sampled_from(fits))
            methods = [first, *draw(_more_methods(first, currency))]
            session_currency = currency
        else:
            # Half the time (always in setup mode, which has options of its own) the first method is one with
            # options, and its options come with every key: the deep values of each option object turn up in a
            # few thousand examples.
            focus = draw(_FOCUS_METHOD if chosen_mode == "setup" else _FOCUS)
            methods, session_currency = draw(_payment_method_types(focus))
    else:
        methods = None
        session_currency = currency or draw(st.sampled_from(ACCOUNT_CURRENCY_ORDER))
    # Who the customer is, and which of allow_promotion_codes=true and discounts (they exclude each other): one
    # draw for both.
    who, promotion_codes = draw(_WHO_AND_DISCOUNTS)
    params: dict[str, Any] = draw(_root(chosen_mode, who, promotion_codes))

    # What depends on the payment methods and the currency.
    if methods is not None:
        params["payment_method_types"] = methods
    if chosen_mode == "setup":
        has_acss = methods is not None and "acss_debit" in methods
        if has_acss and session_currency in ("cad", "usd") and draw(BOOLEANS):
            params["currency"] = session_currency
    else:
        params["line_items"] = draw(line_items(currency=session_currency, mode=chosen_mode))  # line items carry it
        if chosen_mode == "payment" and draw(BOOLEANS):
            params["shipping_options"] = draw(shipping_options(currency=session_currency))
    # Always in setup mode: its payment methods are few, and some options exist only there.
    if chosen_mode == "setup" or draw(BOOLEANS):
        options = draw(_payment_method_options(chosen_mode, methods, session_currency, focus))
        if options:
            params["payment_method_options"] = options
    finish(params, methods, who, session_currency)
    return params


def finish(params: dict[str, Any], methods: list[str] | None, who: str, session_currency: str) -> None:
    """The rules met by finishing the draw: wechat_pay's web client, the customer's name for tax ID collection, a
    customer balance transfer in the session's currency."""
    if methods is not None and "wechat_pay" in methods:
        options = params.setdefault("payment_method_options", {})
        options.setdefault("wechat_pay", {"client": "web"})
    if who == "customer" and _dig(params, "tax_id_collection", "enabled") is True:
        params.setdefault("customer_update", {})["name"] = "auto"
    if methods is not None and "customer_balance" in methods:
        balance = _dig(params, "payment_method_options", "customer_balance", "bank_transfer", "type")
        if balance is not None and BANK_TRANSFER_CURRENCIES[balance] != session_currency:
            del params["payment_method_options"]["customer_balance"]


@functools.cache
def _root(mode: str, who: str, promotion_codes: bool) -> Strategy[dict[str, Any]]:
    """The walk of the root for one mode, one kind of customer and one of the discount pair, built once."""
    return root_walk(root_overrides(mode, who, promotion_codes), who)


def root_walk(
    over: dict[str, Any], who: str, version: str | None = None, add: dict[str, Any] | None = None
) -> Strategy[dict[str, Any]]:
    """The walk of the root with ``over``; the customer (or their email) and the keys of ``add`` always there."""
    if who == "neither" and not add:
        return from_node(ROOT, "", over) if version is None else _at("", over, version)
    more = {} if who == "neither" else {who: _at(who, version=version)}
    return object_at("", over, add={**more, **(add or {})}, version=version)


def root_overrides(mode: str, who: str, promotion_codes: bool, version: str | None = None) -> dict[str, Any]:
    """The overrides of the root's walk for one mode, one kind of customer and one of the discount pair."""
    over: dict[str, Any] = {name: OMIT for name in _DRAWN_APART}
    over["mode"] = just(mode)
    for name, allowed in MODE_ONLY.items():
        if allowed != mode:
            over[name] = OMIT
    if mode == "setup":
        over["discounts"] = OMIT
    if who != "customer":
        over["customer"] = OMIT
        over["customer_update"] = OMIT
    if who != "customer_email":
        over["customer_email"] = OMIT
    if who == "customer":
        over["customer_creation"] = OMIT
    # A discount names a coupon or a promotion code, not both.
    over["discounts[]"] = st.one_of(
        st.fixed_dictionaries({"coupon": _at("discounts[][coupon]", version=version)}),
        st.fixed_dictionaries({"promotion_code": _at("discounts[][promotion_code]", version=version)}),
    )
    if promotion_codes:
        over["discounts"] = OMIT
    else:
        over["allow_promotion_codes"] = just(False)
    over["expires_at"] = st.integers(rules.EXPIRY_WINDOW[0] + 600, rules.EXPIRY_WINDOW[1] - 600).map(
        lambda ahead: int(time.time()) + ahead
    )
    if mode == "payment":
        over["payment_intent_data"] = _payment_intent_data(version)
    if mode == "subscription":
        over["subscription_data"] = _subscription_data(version)
    return over


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@functools.cache
def _payment_intent_data(version: str | None = None) -> Strategy[dict[str, Any]]:
    path = "payment_intent_data"
    # An application fee comes with a transfer (or neither does).
    plain = _at(path, {f"{path}[transfer_data]": OMIT, f"{path}[application_fee_amount]": OMIT}, version)
    transferred = object_at(
        path, add={"transfer_data": _at(f"{path}[transfer_data]", version=version)}, version=version
    )
    return st.one_of(plain, transferred)


@functools.cache
def _subscription_data(version: str | None = None) -> Strategy[dict[str, Any]]:
    path = "subscription_data"
    common: dict[str, Any] = {
        f"{path}[trial_end]": st.integers(3 * 86400, 30 * 86400).map(lambda ahead: int(time.time()) + ahead),
        f"{path}[application_fee_percent]": st.integers(0, 1000).map(lambda n: n / 10),
        f"{path}[transfer_data][amount_percent]": st.integers(0, 1000).map(lambda n: n / 10),
    }
    variants = []
    # A trial ends at a time or after some days, not both; an application fee comes with a transfer.
    for trial in (f"{path}[trial_end]", f"{path}[trial_period_days]"):
        plain = {**common, trial: OMIT, f"{path}[transfer_data]": OMIT, f"{path}[application_fee_percent]": OMIT}
        variants.append(_at(path, plain, version))
        transferred = {**common, trial: OMIT}
        transfer = _at(f"{path}[transfer_data]", transferred, version)
        variants.append(object_at(path, transferred, add={"transfer_data": transfer}, version=version))
    return st.one_of(variants)
