"""Create params for today's API: any version after 2022-08-01 that ``versions.resolve`` places.

``params.create_params(api_version=...)`` comes here for every version but the default one. The schema walk is the
same, over the version's own create params (``walk.VERSION`` in the overrides), and the rules-aware pieces of
:mod:`pytest_checkout.strategies.params` are reused; what differs is read off the version:

- the payment methods go in ``payment_method_types`` while the version's schema has it, and in
  ``allowed_payment_method_types`` once it does not (2026-09-30.endive on). That list is a filter (the fake keeps
  the methods that fit the session, ``rules.money``): the first method is one whose currencies the rules know and
  sets the currency, the others may be any of the schema's. Without a list, ``excluded_payment_method_types``
  is drawn at times (never what the fake's account offers when nothing is named, or nothing would be left);
- ``ui_mode`` in the version's names (or absent), and what each mode needs and refuses is asked of the rules of
  ``rules.ui`` themselves (:func:`ui_facts`), so that the strategies follow the fake when its rules change;
- the rest of today's parameters come from the walk of the root, but those in :data:`LEFT_OUT`.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from pytest_checkout import rules
from pytest_checkout.rules import ui
from pytest_checkout.rules.tables import ACCOUNT_CURRENCY_ORDER, PAYMENT_METHOD_CURRENCIES
from pytest_checkout.schema import nodes
from pytest_checkout.strategies import params as base
from pytest_checkout.strategies.walk import (
    BOOLEANS,
    OMIT,
    PRICES,
    Strategy,
    _at,
    _pool,
    _token,
    just,
    object_at,
    schema_node,
    version_of,
)
from pytest_checkout.versions import TODAYS_NAMES

__all__ = ["LEFT_OUT", "todays_create_params", "ui_facts"]

#: Today's parameters never drawn: ``customer_account`` and ``payment_method_configuration`` name objects the fake
#: does not have (an Account, a payment method configuration), and managed payments have terms of their own
#: (which products they take) that the fake does not model.
LEFT_OUT = ("customer_account", "managed_payments", "payment_method_configuration")
#: Drawn apart from the walk of the root: they depend on the ui mode, the payment methods or the currency.
_DRAWN_APART = ("allowed_payment_method_types", "excluded_payment_method_types", "optional_items", "ui_mode")
#: Parameters of some modes only (the SDK's docs: "Generate a post-purchase Invoice for one-time payments",
#: "Only available in payment and subscription mode"); the fake takes them in any mode.
_MODES_OF: Mapping[str, tuple[str, ...]] = {
    "invoice_creation": ("payment",),
    "optional_items": ("payment", "subscription"),
    "saved_payment_method_options": ("payment", "subscription"),
}
_FIELD = "custom_fields[]"
#: A custom field's key and a dropdown's values: alphanumeric (the SDK's docs), and few, so that some repeat.
_KEYS = _pool(lambda r: _token(r, 1, 12), 16, first="engraving")
_DIGITS = _pool(lambda r: "".join(r.choices(string.digits, k=r.randint(1, 10))), 16)


def methods_param(version: str) -> str:
    """Where the payment methods go in ``version``: ``payment_method_types`` while the schema has it."""
    properties = version_of(version).create_params.properties
    return "payment_method_types" if "payment_method_types" in properties else "allowed_payment_method_types"


@functools.cache
def _enum(path: str, version: str) -> tuple[str, ...]:
    node = schema_node(path, version)
    assert isinstance(node, nodes.String), path
    assert node.enum is not None, path
    return node.enum


@functools.cache
def _methods(version: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The version's payment methods; those that may come first (all of them for ``payment_method_types``, whose
    methods must each take the currency; for the filter, those whose currencies the rules know); and of those,
    the ones with an option object (each drawn first, at times, with every option key: see ``params``)."""
    key = methods_param(version)
    every = _enum(f"{key}[]", version)
    firsts = every if key == "payment_method_types" else tuple(m for m in every if m in PAYMENT_METHOD_CURRENCIES)
    options = base.option_keys(version)
    return every, firsts, tuple(m for m in firsts if m in options)


@functools.cache
def _plain_first(version: str) -> Strategy[str]:
    _, firsts, focus = _methods(version)
    return st.one_of(st.sampled_from([m for m in firsts if m not in focus]), st.sampled_from(firsts))


@functools.cache
def _focus(version: str, setup: bool) -> Strategy[str | None]:
    """The first method when none is pinned: one with options (always in setup mode), or none (any)."""
    _, _, focus = _methods(version)
    return st.sampled_from(focus) if setup else st.one_of(st.none(), st.sampled_from(focus))


@functools.cache
def _more_methods(version: str, first: str, currency: str) -> Strategy[list[str]]:
    every, _, _ = _methods(version)
    if methods_param(version) == "payment_method_types":
        return base._more_methods(first, currency, every)
    # A filter: the others need not take the currency (the fake, as Stripe, leaves out those that do not).
    return st.lists(st.sampled_from([m for m in every if m != first]), max_size=2, unique=True)


@st.composite
def _drawn_methods(draw: st.DrawFn, version: str, first: str | None) -> tuple[list[str], str]:
    chosen = first or draw(_plain_first(version))
    currency = draw(base._currency_of(chosen))
    return [chosen, *draw(_more_methods(version, chosen, currency))], currency


@functools.cache
def _excluded(version: str) -> Strategy[list[str]]:
    """``excluded_payment_method_types`` of a session that names no methods: never what the fake's account
    offers then (``Builder.payment_method_types``), or nothing would be left to pay with."""
    from pytest_checkout.fake.builders import Builder

    offered = Builder.payment_method_types({}, None)
    path = "excluded_payment_method_types"
    values = [m for m in _enum(f"{path}[]", version) if m not in offered]
    return _at(path, {f"{path}[]": st.sampled_from(values)}, version)


# -- ui modes -------------------------------------------------------------------------------------------------


def _ui_rules(version: str) -> list[rules.Rule]:
    found = version_of(version)
    return [r for r in rules.rules_for("create") if r.check.__module__ == ui.__name__ and r.applies_to(found)]


@functools.cache
def ui_facts(version: str, ui_mode: str | None, redirect: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The top-level params that a session with ``ui_mode`` (and ``redirect_on_completion``) needs, and those it
    refuses, in ``version``: asked of the rules of ``rules.ui``, one param at a time (not restated here)."""
    context = rules.RuleContext(version=version_of(version))
    checks = _ui_rules(version)
    given: dict[str, Any] = {"ui_mode": ui_mode, "redirect_on_completion": redirect}
    given = {key: value for key, value in given.items() if value is not None}

    def problems(params: Mapping[str, Any]) -> list[rules.Violation]:
        return [found for check in checks for found in check.check(params, context)]

    needed = frozenset(p.param for p in problems(given) if p.code == "parameter_missing" and p.param)
    refused = frozenset(
        key
        for key in version_of(version).create_params.properties
        if key not in ("ui_mode", "redirect_on_completion")
        and any(p.param == key for p in problems({**given, key: "probe"}))
    )
    return needed, refused


@functools.cache
def _modes(version: str) -> Strategy[str]:
    return st.sampled_from(_enum("mode", version))


@functools.cache
def _ui_modes(version: str) -> Strategy[str | None]:
    """The version's ``ui_mode`` values (its own names), or none (a hosted page)."""
    return st.sampled_from((None, *_enum("ui_mode", version)))


def _redirects(version: str, ui_mode: str | None) -> Strategy[str | None]:
    """``redirect_on_completion``, which the rules read for sessions on the merchant's page only."""
    today = TODAYS_NAMES["ui_mode"].get(ui_mode or "", ui_mode)
    if today not in ui.ON_THE_MERCHANTS_PAGE:
        return st.none()
    return st.sampled_from((None, *_enum("redirect_on_completion", version)))


# -- the root -------------------------------------------------------------------------------------------------


@functools.cache
def _root(
    version: str, mode: str, who: str, codes: bool, needed: frozenset[str], refused: frozenset[str]
) -> Strategy[dict[str, Any]]:
    over = base.root_overrides(mode, who, codes, version)
    for name in (*_DRAWN_APART, *LEFT_OUT, *refused, *(n for n, modes in _MODES_OF.items() if mode not in modes)):
        over[name] = OMIT
    if "redirect_on_completion" not in needed:
        over["redirect_on_completion"] = OMIT  # drawn apart (its value decides what else is needed)
    over[f"{_FIELD}[key]"] = _KEYS
    over[f"{_FIELD}[dropdown][options][][value]"] = _KEYS
    over[f"{_FIELD}[dropdown][default_value]"] = OMIT  # one of the options' values, chosen after them
    over[f"{_FIELD}[numeric][default_value]"] = _DIGITS
    add = {name: _at(name, version=version) for name in sorted(needed)}
    return base.root_walk(over, who, version, add)


def _fit_custom_fields(draw: st.DrawFn, params: dict[str, Any]) -> None:
    """Custom fields as Stripe takes them: keys and a dropdown's values unique, a dropdown's default one of its
    values, and a text or numeric field's default within its minimum and maximum length."""
    fields = params.get("custom_fields")
    if not fields:
        return
    kept: dict[str, dict[str, Any]] = {}
    for field in fields:
        kept.setdefault(field["key"], field)
    params["custom_fields"] = list(kept.values())
    for field in params["custom_fields"]:
        kind = field["type"]
        inner = field[kind]
        if kind == "dropdown":
            inner["options"] = list({option["value"]: option for option in inner["options"]}.values())
            if draw(BOOLEANS):
                inner["default_value"] = draw(st.sampled_from([option["value"] for option in inner["options"]]))
            continue
        bounds = [inner[key] for key in ("minimum_length", "maximum_length") if key in inner]
        if "default_value" in inner:
            bounds.append(len(inner["default_value"]))
        low, high = min(bounds, default=0), max(bounds, default=0)
        for key, value in (("minimum_length", low), ("maximum_length", high)):
            if key in inner:
                inner[key] = value


@functools.cache
def _optional_items(version: str, currency: str) -> Strategy[list[dict[str, Any]]]:
    """One optional item: the account's one-time price in the session's currency (``PRICES``)."""
    path = "optional_items[]"
    over = {f"{path}[adjustable_quantity]": base._adjustable_quantity(version, f"{path}[adjustable_quantity]")}
    item = object_at(path, over, add={"price": just(PRICES[currency][0])}, version=version)
    return st.lists(item, min_size=1, max_size=1)


# -- create params --------------------------------------------------------------------------------------------


def todays_create_params(
    version: str, *, mode: str | None, payment_method_types: list[str] | None, currency: str | None
) -> Strategy[dict[str, Any]]:
    """``create_params`` for ``version`` (a ``walk.version_key``, never the default version's)."""
    return _todays_create_params(version, mode, payment_method_types, currency)


@st.composite
def _todays_create_params(
    draw: st.DrawFn, version: str, mode: str | None, pinned: list[str] | None, currency: str | None
) -> dict[str, Any]:
    key = methods_param(version)
    filtering = key == "allowed_payment_method_types"
    _, firsts, _ = _methods(version)
    chosen_mode = mode or draw(_modes(version))
    focus: str | None = None
    methods: list[str] | None
    # Always some in setup mode: the rules need payment_method_types while the version has it; after, the SDK's
    # docs need a currency unless allowed_payment_method_types is given, and the fake refuses one (see below).
    if pinned is not None:
        methods = list(pinned)
        fits = base._currencies_for(methods) if not filtering else _currencies_for_any(methods)
        session_currency = currency or draw(st.sampled_from(fits or ["usd"]))
    elif chosen_mode == "setup" or draw(BOOLEANS):
        if currency is not None:
            first = draw(st.sampled_from([m for m in firsts if base._accepts(m, currency)]))
            methods = [first, *draw(_more_methods(version, first, currency))]
            session_currency = currency
        else:
            focus = draw(_focus(version, chosen_mode == "setup"))
            methods, session_currency = draw(_drawn_methods(version, focus))
    else:
        methods = None
        session_currency = currency or draw(st.sampled_from(ACCOUNT_CURRENCY_ORDER))
    ui_mode = draw(_ui_modes(version))
    redirect = draw(_redirects(version, ui_mode))
    needed, refused = ui_facts(version, ui_mode, redirect)
    who, codes = draw(base._WHO_AND_DISCOUNTS)
    params: dict[str, Any] = draw(_root(version, chosen_mode, who, codes, needed, refused))
    _fit_custom_fields(draw, params)

    if ui_mode is not None:
        params["ui_mode"] = ui_mode
    if redirect is not None:
        params["redirect_on_completion"] = redirect
    if methods is not None:
        params[key] = methods
    elif draw(BOOLEANS):
        params["excluded_payment_method_types"] = draw(_excluded(version))
    if chosen_mode == "setup":
        # Only beside payment_method_types: the fake refuses currency in setup mode without it (docs/strategies.md).
        has_acss = methods is not None and "acss_debit" in methods and not filtering
        if has_acss and base._accepts("acss_debit", session_currency) and draw(BOOLEANS):
            params["currency"] = session_currency
    else:
        params["line_items"] = draw(base._line_items(session_currency, chosen_mode, version))
        if chosen_mode == "payment" and draw(BOOLEANS):
            params["shipping_options"] = draw(base._shipping_options(session_currency, version))
        if "optional_items" not in refused and draw(BOOLEANS):
            params["optional_items"] = [*map(_fitted, draw(_optional_items(version, session_currency)))]
    if chosen_mode == "setup" or draw(BOOLEANS):
        options = draw(base._payment_method_options(chosen_mode, methods, session_currency, focus, version))
        if options:
            params["payment_method_options"] = options
    base.finish(params, methods, who, session_currency)
    _drop_nested_refused(params, TODAYS_NAMES["ui_mode"].get(ui_mode or "", ui_mode))
    return params


def _drop_nested_refused(params: dict[str, Any], ui_mode: str | None) -> None:
    """Leave out the nested params the ui mode refuses (``rules.ui``'s tables): ``elements`` takes none of
    ``NOT_WITH_ELEMENTS_NESTED``; only ``elements`` takes ``ONLY_WITH_ELEMENTS``."""
    paths = ui.NOT_WITH_ELEMENTS_NESTED if ui_mode == "elements" else ui.ONLY_WITH_ELEMENTS
    for *parents, leaf in paths:
        parent: Any = params
        for key in parents:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(leaf, None)
    for key in ("payment_method_options", "permissions"):
        if params.get(key) == {}:
            del params[key]


def _fitted(item: dict[str, Any]) -> dict[str, Any]:
    base.fit_quantity(item)
    return item


def _currencies_for_any(methods: list[str]) -> list[str]:
    """The currencies that at least one of ``methods`` takes (a filter needs one method left)."""
    return [c for c in ACCOUNT_CURRENCY_ORDER if any(base._accepts(m, c) for m in methods)]
