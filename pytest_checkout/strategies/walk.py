"""The schema walk: one strategy builder per schema node kind, and the facts the schema does not carry."""

from __future__ import annotations

import functools
import random
import string
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from pytest_checkout import rules
from pytest_checkout.rules.tables import ACCOUNT_CURRENCY_ORDER, MINIMUM_CHARGE, PAYMENT_METHOD_CURRENCIES
from pytest_checkout.schema import nodes
from pytest_checkout.versions import DEFAULT, ApiVersion, all_versions, resolve

Strategy = st.SearchStrategy
#: What the walk may be told at a schema path: a strategy to use there, or ``OMIT`` to leave the key out.
OMIT: Any = object()
#: An override key (never a schema path) that makes every optional key below the walk's start present.
DENSE = "<dense>"
#: An override key (never a schema path) naming the API version whose schema the walk reads (a name
#: ``version_key`` gave); without it, the default version's (``ROOT``).
VERSION = "<version>"
Overrides = Mapping[str, Any]

ROOT: nodes.Object = DEFAULT.create_params


def version_key(api_version: str | None) -> str | None:
    """The name the walk knows ``api_version`` by: None for the default version (``None`` or 2022-08-01 itself),
    else the name of the version ``versions.resolve`` answers it with. A version the fake can not place (older
    than every registered one, newer than all, not dated) is a ``ValueError`` naming it: no silent fallback."""
    if api_version is None:
        return None
    resolved = resolve(api_version) if api_version else None
    if resolved is None or not resolved.exact:
        registered = ", ".join(version.name for version in all_versions())
        raise ValueError(
            f"API version {api_version!r} is not one the fake can answer as itself: give a registered one "
            f"({registered}) or a dated one between them (pytest_checkout.versions.resolve)"
        )
    return None if resolved.version is DEFAULT else resolved.version.name


@functools.cache
def version_of(key: str | None) -> ApiVersion:
    """The version a ``version_key`` names (the default one for None), kept: derived versions are made anew."""
    return DEFAULT if key is None else resolve(key).version


# -- Facts the schema does not carry ---------------------------------------------------------------------------

#: Ids the strategies name; ``register_references`` adds each object to a fake (a percent-off coupon, so any
#: currency takes it).
REFERENCES: Mapping[str, str] = {
    "customer": "cus_strategies",
    "coupon": "coupon_strategies",
    "promotion_code": "promo_strategies",
}

#: A one-time price in each currency the account takes, as (id, unit amount): line items name them by id. The
#: amount alone reaches the currency's minimum charge, and three items of ten stay under Stripe's maximum.
PRICES: Mapping[str, tuple[str, int]] = {
    currency: (f"price_strategies_{currency}", max(1000, MINIMUM_CHARGE.get(currency, 0)))
    for currency in ACCOUNT_CURRENCY_ORDER
}

#: Integer bounds by schema path (Stripe's docs); other integers draw from ``_DEFAULT_INTEGERS``.
_INTEGER_BOUNDS: Mapping[str, tuple[int, int]] = {
    "line_items[][quantity]": (1, 10),
    "line_items[][price_data][unit_amount]": (0, 100_000),
    "payment_method_options[konbini][expires_after_days]": rules.KONBINI_EXPIRES_AFTER_DAYS,
    "payment_method_options[pix][expires_after_seconds]": rules.PIX_EXPIRES_AFTER_SECONDS,
    "payment_method_options[oxxo][expires_after_days]": (1, 7),
    "payment_method_options[boleto][expires_after_days]": (0, 60),
    "shipping_options[][shipping_rate_data][fixed_amount][amount]": (0, 10_000),
    "shipping_options[][shipping_rate_data][fixed_amount][currency_options][*][amount]": (0, 10_000),
    "shipping_options[][shipping_rate_data][delivery_estimate][minimum][value]": (1, 5),
    "shipping_options[][shipping_rate_data][delivery_estimate][maximum][value]": (5, 10),
    "subscription_data[trial_period_days]": (1, 730),
    "payment_intent_data[transfer_data][amount]": (1, 50),
    "payment_intent_data[application_fee_amount]": (1, 50),
    # Today's API only (2022-08-01 has none of these paths).
    "custom_fields[][text][minimum_length]": (1, 255),
    "custom_fields[][text][maximum_length]": (1, 255),
    "custom_fields[][numeric][minimum_length]": (1, 255),
    "custom_fields[][numeric][maximum_length]": (1, 255),
    "optional_items[][quantity]": (1, 10),
    "subscription_data[billing_cycle_anchor_config][day_of_month]": (1, 31),
    "subscription_data[billing_cycle_anchor_config][month]": (1, 12),
    "subscription_data[billing_cycle_anchor_config][hour]": (0, 23),
    "subscription_data[billing_cycle_anchor_config][minute]": (0, 59),
    "subscription_data[billing_cycle_anchor_config][second]": (0, 59),
    "subscription_data[pending_invoice_item_interval][interval_count]": (1, 12),
    "payment_method_options[klarna][subscriptions][][interval_count]": (1, 12),
}
_DEFAULT_INTEGERS = (0, 1000)
#: Most items an array gets here (Stripe's limits from ``rules.ARRAY_LIMITS`` cap it further); arrays of strings
#: (ids, image URLs, expand paths) get fewer, as each costs a draw and tells little more.
_ARRAY_SIZE = 3
_STRING_ARRAY_SIZE = 2
#: Arrays of enum values that get longer lists, so that each value turns up in a few thousand examples.
_ARRAY_SIZES: Mapping[str, int] = {"shipping_address_collection[allowed_countries]": 40}
# Every draw through ``map``, ``builds`` or ``filter`` costs a layer of Hypothesis's bookkeeping (a filter about
# five plain draws, a map or builds one more), and a text draw checks each character: the strings here are
# single draws from pools made once.
#: ``st.booleans()`` without its wrapper: the same draw (shrinking to False), one layer less per draw.
BOOLEANS: Strategy[bool] = st.sampled_from((False, True))
_TEXT_PIECES = (
    *string.ascii_letters,
    *string.digits,
    *" -_.,'&+/%=#[]()!?:;",
    "é",
    "ü",
    "ñ",
    "ø",
    "東",
    "京",
    "€",
    "™",
    "🙂",
)


def _text(chooser: random.Random) -> str:
    """Up to 20 characters, some an encoder must escape, some outside ASCII; never blank (Stripe refuses it)."""
    text = "".join(chooser.choices(_TEXT_PIECES, k=chooser.randint(1, 20))).strip()
    return text or "x"


_WORD = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)


#: The value of each strategy made by ``just``, by ``id`` (the strategies are kept in ``_JUST`` so ids stay theirs).
_CONSTANTS: dict[int, Any] = {}
_JUST: list[Strategy[Any]] = []


def just(value: Any) -> Strategy[Any]:
    """``st.just(value)``, which ``keyed`` sets without a draw."""
    strategy = st.just(value)
    _JUST.append(strategy)
    _CONSTANTS[id(strategy)] = value
    return strategy


def _pool(make: Callable[[random.Random], str], size: int = 64, *, first: str | None = None) -> Strategy[str]:
    """One draw from ``size`` distinct strings made once (a fixed seed), shrinking to the first (``first``)."""
    chooser = random.Random(size)
    made: dict[str, None] = {} if first is None else {first: None}
    while len(made) < size:
        made[make(chooser)] = None
    return st.sampled_from(list(made))


def _token(chooser: random.Random, low: int = 3, high: int = 12) -> str:
    return "".join(chooser.choices(string.ascii_lowercase + string.digits, k=chooser.randint(low, high)))


_TEXT = _pool(_text, 256, first="Item")
_URLS = _pool(
    lambda r: (
        f"https://{_token(r)}.example/{_token(r, 0)}" + r.choice(["", "?session_id=" + rules.SESSION_ID_PLACEHOLDER])
    ),
    first="https://shop.example/",
)
_EMAILS = _pool(lambda r: f"{_token(r, 1)}@{_token(r)}.example", first="jenny@shop.example")
_FORMATS: Mapping[str, Strategy[str]] = {"url": _URLS, "email": _EMAILS}


@functools.cache
def _id(prefix: str) -> Strategy[str]:
    return _pool(
        lambda r: f"{prefix}_" + "".join(r.choices(string.ascii_letters + string.digits, k=r.randint(8, 14))), 32
    )


def _answer_enum(*keys: str) -> tuple[str, ...]:
    """The enum of a field of the session object (the answer's schema), at ``keys``."""
    node: nodes.Node = DEFAULT.checkout_session
    for key in keys:
        while isinstance(node, nodes.AnyOf):
            node = node.options[0]
        assert isinstance(node, nodes.Object), keys
        node = node.properties[key]
    assert isinstance(node, nodes.String), keys
    assert node.enum is not None, keys
    return node.enum


_HEX_COLOURS = _pool(lambda r: f"#{r.randrange(16**6):06x}", first="#0074d4")
_TAX_CODES = st.sampled_from(["txcd_99999999", "txcd_10000000"])
#: Today's dates in ``YYYY-MM-DD`` (mandates' start and end, debits' target date): some days to a year ahead.
_DATES = _pool(lambda r: time.strftime("%Y-%m-%d", time.gmtime(time.time() + r.randint(2, 365) * 86400)), 32)

#: Strings that are ids of some kind, by schema path (the schema says only "string"); and some of today's API
#: (URLs that ``rules.FIELD_FORMATS`` does not list, colours), whose paths 2022-08-01 does not have.
_ID_STRINGS: Mapping[str, Strategy[str]] = {
    "customer": just(REFERENCES["customer"]),
    "discounts[][coupon]": just(REFERENCES["coupon"]),
    "discounts[][promotion_code]": just(REFERENCES["promotion_code"]),
    "line_items[][dynamic_tax_rates][]": _id("txr"),
    "line_items[][tax_rates][]": _id("txr"),
    "subscription_data[default_tax_rates][]": _id("txr"),
    "line_items[][price_data][product]": _id("prod"),
    "shipping_options[][shipping_rate]": _id("shr"),
    "payment_intent_data[on_behalf_of]": _id("acct"),
    "setup_intent_data[on_behalf_of]": _id("acct"),
    "payment_intent_data[transfer_data][destination]": _id("acct"),
    "subscription_data[transfer_data][destination]": _id("acct"),
    "line_items[][price_data][product_data][tax_code]": _TAX_CODES,
    "shipping_options[][shipping_rate_data][tax_code]": just("txcd_92010001"),
    # The create param is a plain string; the session's answer lists the countries it can hold.
    "payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]": st.sampled_from(
        _answer_enum("payment_method_options", "customer_balance", "bank_transfer", "eu_bank_transfer", "country")
    ),
    "payment_intent_data[shipping][address][country]": st.sampled_from(["US", "GB", "DE", "FR", "JP"]),
    "expand[]": st.sampled_from(sorted(DEFAULT.session_expandable)),
    # Today's API only.
    "return_url": _URLS,
    "branding_settings[icon][url]": _URLS,
    "branding_settings[logo][url]": _URLS,
    "branding_settings[icon][file]": _id("file"),
    "branding_settings[logo][file]": _id("file"),
    "branding_settings[background_color]": _HEX_COLOURS,
    "branding_settings[button_color]": _HEX_COLOURS,
    "automatic_tax[liability][account]": _id("acct"),
    "invoice_creation[invoice_data][issuer][account]": _id("acct"),
    "invoice_creation[invoice_data][account_tax_ids][]": _id("txi"),
    "subscription_data[on_behalf_of]": _id("acct"),
    "subscription_data[invoice_settings][issuer][account]": _id("acct"),
    "subscription_data[invoice_settings][account_tax_ids][]": _id("txi"),
    "invoice_creation[invoice_data][rendering_options][template]": _id("inrtem"),
    "payment_method_options[pix][mandate_options][currency]": st.sampled_from(
        sorted(PAYMENT_METHOD_CURRENCIES["pix"] or ())
    ),
    "line_items[][price_data][product_data][tax_details][tax_code]": _TAX_CODES,
}

_METADATA_KEYS = _pool(lambda r: "".join(r.choices(string.ascii_letters + string.digits + "_-", k=r.randint(1, 40))))
_METADATA_VALUES = st.text(alphabet=string.printable.strip() + " ", max_size=40)

# -- The node walk -------------------------------------------------------------------------------------------


def schema_node(path: str, version: str | None = None) -> nodes.Node:
    """The create params' schema node at ``path`` (``line_items[][price_data]``, as ``rules.schema_path``), in the
    default version or the one ``version`` names (a ``version_key``)."""
    found = nodes.node_at(ROOT if version is None else version_of(version).create_params, path)
    assert found is not None, path
    return found


def _join(path: str, key: str) -> str:
    if key == "[]":
        return f"{path}[]"
    return f"{path}[{key}]" if path else key


def from_node(node: nodes.Node, path: str = "", overrides: Overrides | None = None) -> Strategy[Any]:
    """A strategy for valid values of ``node`` at schema ``path``; ``overrides`` replace paths below it."""
    over = overrides or {}
    if path in over:
        found = over[path]
        return st.nothing() if found is OMIT else found
    if DENSE not in over and not any(_under(key, path) for key in over if key != VERSION):
        return _plain(path, over.get(VERSION))
    return NODE_STRATEGIES[type(node)](node, path, over)


def _under(key: str, path: str) -> bool:
    return not path or key == path or key.startswith(path + "[")


@functools.cache
def _plain(path: str, version: str | None = None) -> Strategy[Any]:
    """The walk's strategy at ``path`` with nothing overridden, built once (per version)."""
    node = schema_node(path, version)
    return NODE_STRATEGIES[type(node)](node, path, {} if version is None else {VERSION: version})


def _string(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    assert isinstance(node, nodes.String)
    if node.enum is not None:
        return st.sampled_from(node.enum)
    if over.get(VERSION) is not None:
        if path == "expand[]":
            return st.sampled_from(sorted(version_of(over[VERSION]).session_expandable))
        if path.endswith(("_date]", "[date]")):
            return _DATES
    kind = rules.FIELD_FORMATS.get(path)
    if kind is not None:
        return _FORMATS[kind]
    if path in _ID_STRINGS:
        return _ID_STRINGS[path]
    if path.endswith("currency"):
        return st.sampled_from(ACCOUNT_CURRENCY_ORDER)
    if node.format == "decimal":
        return st.builds(lambda whole, frac: f"{whole}.{frac}", st.integers(0, 10_000), st.integers(0, 999_999))
    text = _TEXT
    if node.max_length is not None and node.max_length < 20:
        limit = node.max_length
        text = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=limit)
    return text


def _integer(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    assert isinstance(node, nodes.Integer)
    if node.format == "unix-time":
        # A time some hours ahead, read at draw time (the rules compare it with the clock).
        return st.integers(3 * 3600, 12 * 3600).map(lambda ahead: int(time.time()) + ahead)
    low, high = _INTEGER_BOUNDS.get(path, _DEFAULT_INTEGERS)
    return integers(low, high)


def integers(low: int, high: int) -> Strategy[int]:
    """``st.integers(low, high)``; a short range as a ``sampled_from`` (one layer less per draw, shrinking to
    ``low`` all the same)."""
    if high - low < 100:
        return st.sampled_from(range(low, high + 1))
    return st.integers(low, high)


def _number(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    return st.integers(0, 1000).map(lambda n: n / 10)


def _boolean(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    return BOOLEANS


def _object(node: nodes.Node, path: str, over: Overrides, add: Overrides | None = None) -> Strategy[Any]:
    assert isinstance(node, nodes.Object)
    if add is None and over.get(VERSION) is not None:
        by_type = _by_type(node, path, over)
        if by_type is not None:
            return by_type
    required: dict[str, Strategy[Any]] = {}
    optional: dict[str, Strategy[Any]] = {}
    for key, child in node.properties.items():
        at = _join(path, key)
        if isinstance(child, nodes.Removed) or over.get(at) is OMIT:
            continue
        (required if key in node.required else optional)[key] = from_node(child, at, over)
    for key, strategy in (add or {}).items():
        optional.pop(key, None)
        required[key] = strategy
    if over.get(DENSE):
        return keyed({**optional, **required}, {}, at=path)
    sparse = [key for key in optional if isinstance(node.properties[key], (nodes.Object, nodes.Array, nodes.Map))]
    return keyed(required, optional, sparse=sparse, at=path)


def _by_type(node: nodes.Object, path: str, over: Overrides) -> Strategy[Any] | None:
    """An object whose ``type`` names the key that goes with it (``{"type": "url", "url": ...}``, a custom field's
    ``dropdown``, an issuer's ``account``): one variant per type, with its key and none of the others' (the
    SDK's docs: "Required if ``type`` is ``url`` and disallowed otherwise"). Read off the schema: the values of
    ``type`` that are also keys of the object. None for other objects, or where ``type`` is overridden.

    Only for today's API (the walk of 2022-08-01 stays as it was): there it draws these objects key by key.
    """
    kind = node.properties.get("type")
    at = _join(path, "type")
    if not isinstance(kind, nodes.String) or kind.enum is None or at in over:
        return None
    named = [value for value in kind.enum if value in node.properties]
    if not named:
        return None
    variants = []
    for value in kind.enum:
        if over.get(_join(path, value)) is OMIT:
            continue
        sub = {**over, at: just(value), **{_join(path, other): OMIT for other in named if other != value}}
        if value in named:
            child = _join(path, value)
            variants.append(_object(node, path, sub, {value: from_node(node.properties[value], child, over)}))
        else:
            variants.append(_object(node, path, sub))
    if "type" not in node.required:
        variants.append(_object(node, path, {**over, at: OMIT}))
    return st.one_of(variants)


def object_at(
    path: str, overrides: Overrides | None = None, *, add: Overrides, version: str | None = None
) -> Strategy[dict[str, Any]]:
    """The walk's object at ``path`` with the keys of ``add`` always there, drawn from the strategies given."""
    return _object(schema_node(path, version), path, _with_version(overrides, version), add)


def _with_version(overrides: Overrides | None, version: str | None) -> Overrides:
    if version is None:
        return overrides or {}
    return {**(overrides or {}), VERSION: version}


def keyed(
    required: Mapping[str, Strategy[Any]],
    optional: Mapping[str, Strategy[Any]],
    *,
    sparse: Collection[str] = (),
    at: str = "",
) -> Strategy[dict[str, Any]]:
    """Dicts with every ``required`` key and a drawn subset of the ``optional`` ones (the object at ``at``).

    ``st.fixed_dictionaries`` spends about three choices per optional key (whether there is one more, which one,
    and a shuffle of the order); this draws the subset as one bitmask of random bytes and draws every key in one
    composite, about three times faster on the create params' wide objects (``bench/bench_strategies.py``). Each
    key is in at odds of three in four; in an object of more than ``_WIDE`` optional keys, those named in
    ``sparse`` (objects, lists: what costs to draw) at one in four. The bytes shrink towards zero, that is towards
    the required keys alone. Values made with :func:`just` are set, not drawn.
    """
    constants = {key: _CONSTANTS[id(strategy)] for key, strategy in required.items() if id(strategy) in _CONSTANTS}
    fixed = tuple((key, strategy) for key, strategy in required.items() if key not in constants)
    maybe = tuple((key, strategy) for key, strategy in optional.items() if not strategy.is_empty)
    wide = len(maybe) > _WIDE
    # Two bits a key: a key is in when any bit is set (odds of three in four), or only when both are (one in
    # four) when it is sparse in a wide object.
    needed = tuple(_BOTH if wide and key in sparse else _EITHER for key, _ in maybe)
    size = (len(maybe) * 2 + 7) // 8
    # One byte of mask (four keys) is a sampled_from of the 256 values: the same draw, one layer less.
    mask: Strategy[Any] | None = None
    if maybe:
        mask = _BYTE if size == 1 else st.binary(min_size=size, max_size=size)
    _SHAPES.append(_Shape(tuple(constants.items()), fixed, maybe, needed, mask))
    # The composite takes the shape's number, not the strategies: its repr (in Hypothesis's reports) stays short.
    return _keyed(len(_SHAPES) - 1, at or "<object>")


_BYTE: Strategy[int] = st.sampled_from(range(256))
#: Objects with more optional keys than this are wide (see ``keyed``).
_WIDE = 8
_EITHER, _BOTH = "either", "both"


@dataclass(frozen=True)
class _Shape:
    constants: tuple[tuple[str, Any], ...]
    fixed: tuple[tuple[str, Strategy[Any]], ...]
    maybe: tuple[tuple[str, Strategy[Any]], ...]
    needed: tuple[str, ...]
    mask: Strategy[Any] | None  # an int (one byte) or bytes


#: Every object shape ``keyed`` has built, by number (built once each: the builders are cached).
_SHAPES: list[_Shape] = []


@st.composite
def _keyed(draw: st.DrawFn, shape: int, at: str) -> dict[str, Any]:
    found = _SHAPES[shape]
    drawn = dict(found.constants)
    for key, strategy in found.fixed:
        drawn[key] = draw(strategy)
    if found.mask is not None:
        drawn_mask = draw(found.mask)
        bits = drawn_mask if isinstance(drawn_mask, int) else int.from_bytes(drawn_mask, "little")
        for index, (key, strategy) in enumerate(found.maybe):
            pair = bits >> (2 * index) & 3
            if pair == 3 or (pair and found.needed[index] is _EITHER):
                drawn[key] = draw(strategy)
    return drawn


def _map(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    assert isinstance(node, nodes.Map)
    at = _join(path, "*")
    if path.endswith("metadata"):
        return st.dictionaries(_METADATA_KEYS, _METADATA_VALUES, max_size=3)
    return st.dictionaries(_WORD, from_node(node.values, at, over), max_size=3)


def _array(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    assert isinstance(node, nodes.Array)
    default = _STRING_ARRAY_SIZE if isinstance(node.items, nodes.String) else _ARRAY_SIZE
    limit = min(_ARRAY_SIZES.get(path, default), rules.ARRAY_LIMITS.get(path, 10**6))
    items = from_node(node.items, _join(path, "[]"), over)
    if path in _ARRAY_SIZES and isinstance(node.items, nodes.String) and node.items.enum is not None:
        # A run of the enum's values from a drawn start (wrapping round): few choices, every value reachable. The
        # start is drawn wide and reduced: in a range as narrow as the enum, Hypothesis favours small values and
        # the constants of the code it runs under, which left the tail of a long list to chance.
        values = node.items.enum
        return st.tuples(st.integers(0, 2**16 - 1), integers(1, limit)).map(
            lambda pair: [values[(pair[0] + i) % len(values)] for i in range(pair[1])]
        )
    unique = isinstance(node.items, nodes.String)
    return st.lists(items, min_size=1, max_size=limit, unique=unique)


def _any_of(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    assert isinstance(node, nodes.AnyOf)
    return st.one_of([from_node(option, path, over) for option in node.options])


def _expandable(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    # Only answers hold expandable fields: their value is an id.
    return _id("obj")


def _removed(node: nodes.Node, path: str, over: Overrides) -> Strategy[Any]:
    # A removed parameter has no valid value; objects leave these keys out.
    return st.nothing()


#: One strategy builder per schema node kind (a test holds it to ``nodes.NODE_KINDS``).
NODE_STRATEGIES: dict[type[nodes.Node], Callable[[nodes.Node, str, Overrides], Strategy[Any]]] = {
    nodes.String: _string,
    nodes.Integer: _integer,
    nodes.Number: _number,
    nodes.Boolean: _boolean,
    nodes.Object: _object,
    nodes.Map: _map,
    nodes.Array: _array,
    nodes.AnyOf: _any_of,
    nodes.Expandable: _expandable,
    nodes.Removed: _removed,
}


def _at(path: str, overrides: Overrides | None = None, version: str | None = None) -> Strategy[Any]:
    if version is None:
        return from_node(schema_node(path), path, overrides)
    return from_node(schema_node(path, version), path, _with_version(overrides, version))
