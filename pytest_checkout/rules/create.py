"""The rules of ``POST /v1/checkout/sessions`` across fields, one small function each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pytest_checkout.codec import MAPPINGS, format_param
from pytest_checkout.rules.registry import (
    RuleContext,
    Violation,
    _dig,
    _given,
    _in_bounds,
    _integer_bounds,
    _mode,
    _one_of,
    _payment_method_types,
    _price_facts,
    _session_currency,
    rule,
)
from pytest_checkout.rules.tables import (
    ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM,
    ADJUSTABLE_QUANTITY_LIMIT,
    ARRAY_LIMITS,
    EXPIRY_WINDOW,
    KONBINI_EXPIRES_AFTER_DAYS,
    METADATA_LIMITS,
    PIX_EXPIRES_AFTER_SECONDS,
    SUBSCRIPTION_ITEM_LIMIT,
    UNIT_AMOUNT_DECIMAL_PLACES,
)
from pytest_checkout.schema.nodes import String

#: What the rules about line items need (see ``rule``'s ``needs``).
LINE_ITEMS = ("line_items",)
#: ... and those that count today's optional items (``optional_items``) with them.
ITEMS = ("line_items", "optional_items")


@rule("create", "docs")
def line_items_per_mode(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """payment and subscription need line items (wording a guess); setup forbids them (seen)."""
    mode = _mode(params)
    if mode in ("payment", "subscription") and not _given(params, "line_items"):
        yield Violation("Missing required param: line_items.", param="line_items", code="parameter_missing")
    elif mode == "setup" and _given(params, "line_items"):
        yield Violation("You can not pass `line_items` in `setup` mode.", param="line_items")


@rule("create", "spec", modes=("setup",), until="allowed_payment_method_types")
def setup_needs_payment_method_types(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """setup mode requires ``payment_method_types`` while the param exists (the 2022-08-01 spec's text; wording
    a guess). Unverified: when setup mode began to take the Dashboard's payment methods instead; from endive
    on, the param is gone and it must."""
    if _mode(params) == "setup" and not _given(params, "payment_method_types"):
        yield Violation(
            "Missing required param: payment_method_types.",
            param="payment_method_types",
            code="parameter_missing",
        )


@rule("create", "docs", needs=("currency",), modes=("setup",), until="allowed_payment_method_types")
def setup_currency_only_with_acss_debit(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Until 2026-09-30.endive: in setup mode ``currency`` only goes with acss_debit (docs; wording a guess)."""
    if _mode(params) == "setup" and _given(params, "currency") and "acss_debit" not in _payment_method_types(params):
        yield Violation(
            "`currency` can only be used in `setup` mode when `payment_method_types` includes `acss_debit`.",
            param="currency",
        )


@rule("create", "docs", modes=("setup",), since="allowed_payment_method_types")
def setup_needs_currency_without_methods(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """From 2026-09-30.endive: setup mode needs ``currency`` when it names no ``allowed_payment_method_types`` (the
    SDK's docs: it then takes the Dashboard's methods, which need a currency). Unverified: the wording."""
    if (
        _mode(params) == "setup"
        and not _given(params, "currency")
        and not _given(params, "allowed_payment_method_types")
    ):
        yield Violation("Missing required param: currency.", param="currency", code="parameter_missing")


@rule("create", "seen", needs=LINE_ITEMS)
def line_item_quantity(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Each line item needs a ``quantity`` of at least 1."""
    for index, item in context.line_items(params):
        if item.get("quantity") is None:
            yield Violation(
                f"Quantity is required. Add `quantity` to `line_items[{index}]`", param=f"line_items[{index}]"
            )
        elif not _in_bounds(item["quantity"], 1, None):
            yield from _integer_bounds(item["quantity"], 1, None, f"line_items[{index}][quantity]")


@rule("create", "docs", needs=LINE_ITEMS)
def line_item_price_or_price_data(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Exactly one of ``price`` / ``price_data`` per line item (both: wording a guess; neither: seen)."""
    for index, item in context.line_items(params):
        has_price, has_data = _given(item, "price"), _given(item, "price_data")
        if has_price and has_data:
            yield Violation(_one_of("price", "price_data"), param=f"line_items[{index}]")
        elif not has_price and not has_data:
            yield Violation(
                "You must provide either price or price_data for each line item when using prices.",
                param=f"line_items[{index}]",
            )


@rule("create", "seen", item_needs=("price",))
def line_item_price_exists(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A ``price`` id must name a price the account has (only checked when the context knows the prices); an
    optional item's too (today's API; its message assumed to be the line item's)."""
    if context.prices is None:
        return
    for key, index, item in _all_items(params, context):
        price = item.get("price")
        if isinstance(price, str) and price and price not in context.prices:
            yield Violation(f"No such price: '{price}'", param=f"{key}[{index}][price]", code="resource_missing")


def _all_items(params: Mapping[str, Any], context: RuleContext) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """The line items, then today's optional items: (param, index, item)."""
    for index, item in context.line_items(params):
        yield "line_items", index, item
    optional = params.get("optional_items")
    if isinstance(optional, list):
        for index, item in enumerate(optional):
            if isinstance(item, MAPPINGS):
                yield "optional_items", index, item


@rule("create", "docs", item_needs=("price_data",))
def price_data_product_and_amount(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``price_data``: one of product / product_data, one of unit_amount (>= 0) / unit_amount_decimal.

    Wording of every message here is a guess, built on Stripe's patterns for the same kind of mistake.
    """
    for index, item in context.line_items(params):
        data = item.get("price_data")
        if not isinstance(data, MAPPINGS):
            continue
        at = f"line_items[{index}][price_data]"
        for first, second in (("product", "product_data"), ("unit_amount", "unit_amount_decimal")):
            if _given(data, first) and _given(data, second):
                yield Violation(_one_of(f"{at}[{first}]", f"{at}[{second}]"), param=f"{at}[{first}]")
            elif not _given(data, first) and not _given(data, second):
                yield Violation(
                    f"Missing required param: {at}[{second if first == 'product' else first}].",
                    param=f"{at}[{second if first == 'product' else first}]",
                    code="parameter_missing",
                )
        if not _in_bounds(data.get("unit_amount"), 0, None):
            yield from _integer_bounds(data.get("unit_amount"), 0, None, f"{at}[unit_amount]")
        decimal = data.get("unit_amount_decimal")
        if isinstance(decimal, str) and decimal:
            yield from _check_decimal(decimal, f"{at}[unit_amount_decimal]")


def _check_decimal(text: str, param: str) -> Iterator[Violation]:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    exponent = value.as_tuple().exponent if value is not None else 0
    if value is None or not value.is_finite() or value < 0:
        yield Violation(f"Invalid decimal: {text}", param=param, code=None)
    elif isinstance(exponent, int) and -exponent > UNIT_AMOUNT_DECIMAL_PLACES:
        yield Violation(
            f"Invalid decimal: {text}; must have at most {UNIT_AMOUNT_DECIMAL_PLACES} decimal places",
            param=param,
            code=None,
        )


@rule("create", "seen", needs=LINE_ITEMS, modes=("payment", "subscription"))
def recurring_prices_per_mode(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """payment mode takes no recurring price; subscription mode needs at least one (both seen)."""
    mode = _mode(params)
    facts = [(i, _price_facts(item, context)) for i, item in context.line_items(params)]
    known = [(i, f) for i, f in facts if f is not None and f.recurring is not None]
    if mode == "payment":
        for index, f in known:
            if f.recurring:
                yield Violation(
                    "You specified `payment` mode but passed a recurring price. Either switch to `subscription` "
                    "mode or use only one-time prices.",
                    param=f"line_items[{index}]",
                )
                return
    elif mode == "subscription" and facts and len(known) == len(facts) and not any(f.recurring for _, f in known):
        yield Violation(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )


@rule("create", "docs", needs=ITEMS, modes=("subscription",))
def subscription_item_counts(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """subscription mode: at most 20 recurring and 20 one-time line items, optional items counted with them
    (docs; wording a guess)."""
    if _mode(params) != "subscription":
        return
    facts = [_price_facts(item, context) for _, _, item in _all_items(params, context)]
    recurring = sum(1 for f in facts if f is not None and f.recurring)
    one_time = sum(1 for f in facts if f is not None and f.recurring is False)
    for count, kind in ((recurring, "recurring"), (one_time, "one-time")):
        if count > SUBSCRIPTION_ITEM_LIMIT:
            yield Violation(
                f"You can only pass up to {SUBSCRIPTION_ITEM_LIMIT} {kind} line items in `subscription` mode, "
                f"but you passed {count}.",
                param="line_items",
            )


@rule("create", "docs", needs=LINE_ITEMS)
def line_items_share_currency(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """All line items share one currency (docs; wording a guess)."""
    currencies: dict[str, int] = {}
    for index, item in context.line_items(params):
        facts = _price_facts(item, context)
        if facts is not None and facts.currency is not None:
            currencies.setdefault(facts.currency, index)
    if len(currencies) > 1:
        first, *others = currencies
        index = currencies[others[0]]
        yield Violation(
            f"All line items must have the same currency; line_items[{index}] is in {others[0]} but "
            f"line_items[0] is in {first}.",
            param=f"line_items[{index}]",
        )


@rule("create", "docs", needs=("optional_items",), modes=("payment",))
def items_with_optional_items_per_payment(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """payment mode: at most 100 line items and optional items together (the SDK's docs; wording a guess)."""
    if _mode(params) != "payment":
        return
    count = sum(1 for _ in _all_items(params, context))
    limit = ARRAY_LIMITS["line_items"]
    if count > limit:
        yield Violation(
            f"You can only pass up to {limit} line items and optional items combined in `payment` mode, but you "
            f"passed {count}.",
            param="optional_items",
        )


@rule("create", "docs", item_needs=("adjustable_quantity",))
def adjustable_quantity_bounds(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``adjustable_quantity``: minimum >= 0, maximum <= 999999, minimum <= maximum (wording of the last a guess);
    of a line item and of an optional item alike (the SDK documents the same bounds for both)."""
    for key, index, item in _all_items(params, context):
        adjustable = item.get("adjustable_quantity")
        if not isinstance(adjustable, MAPPINGS):
            continue
        at = f"{key}[{index}][adjustable_quantity]"
        minimum, maximum = adjustable.get("minimum"), adjustable.get("maximum")
        yield from _integer_bounds(minimum, 0, ADJUSTABLE_QUANTITY_LIMIT, f"{at}[minimum]")
        yield from _integer_bounds(maximum, 1, ADJUSTABLE_QUANTITY_LIMIT, f"{at}[maximum]")
        low = minimum if isinstance(minimum, int) else 0
        high = maximum if isinstance(maximum, int) else ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM
        if low > high:
            yield Violation(f"`{at}[minimum]` must be less than or equal to `{at}[maximum]`.", param=f"{at}[minimum]")


#: Parameters allowed in one mode only (docs), and how sure we are of Stripe's wording for each.
MODE_ONLY: Mapping[str, str] = {
    "submit_type": "payment",
    # Today's API: invoice creation is for one-time payments (the SDK's docs; wording a guess).
    "invoice_creation": "payment",
    "payment_intent_data": "payment",
    "customer_creation": "payment",
    "subscription_data": "subscription",
    "payment_method_collection": "subscription",
    "setup_intent_data": "setup",
}


@rule("create", "seen", needs=("submit_type",))
def submit_type_with_subscription_data(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``submit_type`` and ``subscription_data`` exclude each other (seen; checked before the mode rule)."""
    if _given(params, "submit_type") and _given(params, "subscription_data"):
        yield Violation(_one_of("submit_type", "subscription_data"))


@rule("create", "seen", needs=tuple(MODE_ONLY))
def parameters_of_other_modes(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Parameters that belong to one mode (``payment_intent_data``: seen; ``customer_creation``: seen; others guess)."""
    mode = _mode(params)
    if mode is None:
        return
    for name, allowed in MODE_ONLY.items():
        if mode == allowed or not _given(params, name):
            continue
        if name == "submit_type" and mode == "subscription" and _subscriptions_submit(context):
            continue
        if name == "customer_creation":
            yield Violation("`customer_creation` can only be used in `payment` mode.", param=name)
        else:
            yield Violation(f"You can not pass `{name}` in `{mode}` mode.", param=name)


def _subscriptions_submit(context: RuleContext) -> bool:
    """Whether ``submit_type`` goes with subscription mode too: in the versions whose schema has its
    ``subscribe`` value (the SDK's docs: "in payment or subscription mode"; 2022-08-01 has payment only)."""
    version = context.version
    node = version.create_params.properties.get("submit_type") if version is not None else None
    return isinstance(node, String) and node.enum is not None and "subscribe" in node.enum


@rule("create", "docs", needs=("payment_method_options",))
def payment_method_options_of_other_modes(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Card installments only in payment mode; acss_debit currency and default_for only in setup (wording a guess)."""
    mode = _mode(params)
    if mode is None:
        return
    options = params.get("payment_method_options")
    checks = (
        (("card", "installments"), "payment"),
        (("acss_debit", "currency"), "setup"),
        (("acss_debit", "mandate_options", "default_for"), "setup"),
    )
    for keys, allowed in checks:
        value = _dig(options if isinstance(options, MAPPINGS) else {}, *keys)
        if mode != allowed and value not in (None, "", []):
            param = format_param(("payment_method_options", *keys))
            yield Violation(f"`{param}` can only be used in `{allowed}` mode.", param=param)


@rule("create", "seen", needs=("customer",))
def customer_or_customer_email(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``customer`` excludes ``customer_email``."""
    if _given(params, "customer") and _given(params, "customer_email"):
        yield Violation(_one_of("customer", "customer_email"))


@rule("create", "seen", needs=("customer_update",))
def customer_update_needs_customer(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``customer_update`` needs ``customer``."""
    if _given(params, "customer_update") and not _given(params, "customer"):
        yield Violation("`customer_update` can only be used with `customer`.", param="customer_update")


@rule("create", "seen", needs=("customer",))
def customer_exists(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A ``customer`` id must name a customer the account has (only when the context knows the customers)."""
    customer = params.get("customer")
    if context.customers is not None and isinstance(customer, str) and customer and customer not in context.customers:
        yield Violation(f"No such customer: '{customer}'", param="customer", code="resource_missing")


@rule("create", "guess", needs=("discounts",))
def discount_exists(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """A discount names one coupon or one promotion code the account has, in the session's currency.

    ``No such coupon`` follows Stripe's wording for every missing object (seen for prices and customers); the
    rest is a guess. Only checked when the context knows the coupons.
    """
    discounts = params.get("discounts")
    if context.coupons is None or not isinstance(discounts, list):
        return
    for index, discount in enumerate(discounts):
        if not isinstance(discount, MAPPINGS):
            continue
        at = f"discounts[{index}]"
        coupon_id, code_id = discount.get("coupon"), discount.get("promotion_code")
        if coupon_id and code_id:
            yield Violation(_one_of(f"{at}[coupon]", f"{at}[promotion_code]"), param=at)
            continue
        if code_id:
            code = (context.promotion_codes or {}).get(code_id)
            if code is None:
                yield Violation(
                    f"No such promotion code: '{code_id}'", param=f"{at}[promotion_code]", code="resource_missing"
                )
                continue
            coupon_id = code["coupon"]["id"] if isinstance(code.get("coupon"), Mapping) else code.get("coupon")
        if not coupon_id:
            continue
        coupon = context.coupons.get(coupon_id)
        if coupon is None:
            yield Violation(f"No such coupon: '{coupon_id}'", param=f"{at}[coupon]", code="resource_missing")
            continue
        currency = _session_currency(params, context)
        if coupon.get("amount_off") is not None and currency and coupon.get("currency") != currency:
            yield Violation(
                f"The coupon '{coupon_id}' takes an amount off in {coupon.get('currency')}, but this Checkout "
                f"Session is in {currency}.",
                param=f"{at}[coupon]",
            )


@rule("create", "seen", needs=("discounts",))
def promotion_codes_or_discounts(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``allow_promotion_codes`` excludes ``discounts``."""
    if params.get("allow_promotion_codes") is True and _given(params, "discounts"):
        yield Violation(_one_of("allow_promotion_codes", "discounts"))


@rule("create", "seen", needs=("tax_id_collection",))
def tax_id_collection_with_customer(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """Tax ID collection for an existing customer needs ``customer_update[name]=auto``."""
    if (
        _dig(params, "tax_id_collection", "enabled") is True
        and _given(params, "customer")
        and _dig(params, "customer_update", "name") != "auto"
    ):
        yield Violation(
            "Tax ID collection requires updating business name on the customer. To enable tax ID collection for "
            "an existing customer, please set `customer_update[name]` to `auto`.",
            param="tax_id_collection[enabled]",
        )


@rule("create", "seen", needs=("expires_at",))
def expires_at_window(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """``expires_at`` lies 30 minutes to 24 hours after creation (too late: seen; too early: wording a guess)."""
    expires_at = params.get("expires_at")
    if not isinstance(expires_at, int) or isinstance(expires_at, bool):
        return
    created = context.created()
    earliest, latest = EXPIRY_WINDOW
    if expires_at < created + earliest:
        yield Violation(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    elif expires_at > created + latest:
        yield Violation(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )


@rule("create", "seen", needs=("payment_method_types",))
def wechat_pay_client(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """wechat_pay in ``payment_method_types`` needs ``payment_method_options[wechat_pay][client]=web``."""
    client = _dig(params, "payment_method_options", "wechat_pay", "client")
    if "wechat_pay" in _payment_method_types(params) and client != "web":
        yield Violation(
            "WeChat Pay requires `payment_method_options[wechat_pay][client]` to be set to `web`.",
            param="payment_method_options[wechat_pay][client]",
        )


@rule("create", "docs", needs=("payment_method_options",))
def payment_method_option_ranges(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """konbini ``expires_after_days`` 1..60, pix ``expires_after_seconds`` 10..1209600 (wording as for quantity)."""
    options = params.get("payment_method_options")
    if not isinstance(options, MAPPINGS):
        return
    yield from _integer_bounds(
        _dig(options, "konbini", "expires_after_days"),
        *KONBINI_EXPIRES_AFTER_DAYS,
        "payment_method_options[konbini][expires_after_days]",
    )
    yield from _integer_bounds(
        _dig(options, "pix", "expires_after_seconds"),
        *PIX_EXPIRES_AFTER_SECONDS,
        "payment_method_options[pix][expires_after_seconds]",
    )


_METADATA_PATHS = (
    ("metadata",),
    ("payment_intent_data", "metadata"),
    ("setup_intent_data", "metadata"),
    ("subscription_data", "metadata"),
)


def _metadata_maps(params: Mapping[str, Any], context: RuleContext) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for keys in _METADATA_PATHS:
        if params.get(keys[0]) is None:  # most requests give none of these
            continue
        value = _dig(params, *keys)
        if isinstance(value, MAPPINGS):
            yield format_param(keys), value
    for index, item in context.line_items(params):
        value = _dig(item, "price_data", "product_data", "metadata")
        if isinstance(value, MAPPINGS):
            yield f"line_items[{index}][price_data][product_data][metadata]", value
        value = item.get("metadata")  # today's API: a line item's own metadata
        if isinstance(value, MAPPINGS):
            yield f"line_items[{index}][metadata]", value
    options = params.get("shipping_options")
    for index, option in enumerate(options if isinstance(options, list) else []):
        value = _dig(option, "shipping_rate_data", "metadata") if isinstance(option, MAPPINGS) else None
        if isinstance(value, MAPPINGS):
            yield f"shipping_options[{index}][shipping_rate_data][metadata]", value


#: The top-level params under which _metadata_maps finds metadata, and the paths inside a line item.
_METADATA_ROOTS = (*(keys[0] for keys in _METADATA_PATHS), "shipping_options")
_ITEM_METADATA = ("price_data.product_data.metadata", "metadata")


def ruby_inspect(value: Any) -> str:
    """A value as Stripe's error messages show a parameter it got (Ruby's ``inspect`` of the parsed form).

    Seen: ``{:"0"=>"price_1", :"1"=>"price_2"}`` for a list the SDK sent as ``key[0]=...&key[1]=...`` (the
    server reads indexed keys as a hash). Escapes inside strings follow Ruby's; that detail is a guess.
    """
    if isinstance(value, MAPPINGS):
        return "{" + ", ".join(f":{_ruby_string(str(k))}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return ruby_inspect({str(i): v for i, v in enumerate(value)})
    if isinstance(value, str):
        return _ruby_string(value)
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _ruby_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@rule("create", "seen", needs=_METADATA_ROOTS, item_needs=_ITEM_METADATA)
def metadata_limits(params: Mapping[str, Any], context: RuleContext) -> Iterator[Violation]:
    """At most 50 keys, keys of at most 40 characters without brackets, string values of at most 500.

    Key count, value length and value type: seen. Key length and brackets: wording a guess.
    """
    for where, metadata in _metadata_maps(params, context):
        if len(metadata) > METADATA_LIMITS["keys"]:
            yield Violation(
                f"Metadata can have up to {METADATA_LIMITS['keys']} keys, but you've set {len(metadata)}. Email "
                "us at support+metadata@stripe.com for more information.",
                param=where,
            )
            continue
        for key, value in metadata.items():
            at = f"{where}[{key}]"
            if len(key) > METADATA_LIMITS["key_length"]:
                yield Violation(
                    f"Metadata keys can have up to {METADATA_LIMITS['key_length']} characters, but you passed in "
                    f"a key that is {len(key)} characters. Invalid key: {key}",
                    param=where,
                )
            elif "[" in key or "]" in key:
                yield Violation(f"Metadata keys may not contain `[` or `]`. Invalid key: {key}", param=where)
            elif not isinstance(value, str):
                yield Violation(f"Invalid value type: {ruby_inspect(value)} must be a string", param=at)
            elif len(value) > METADATA_LIMITS["value_length"]:
                yield Violation(
                    f"Metadata values can have up to {METADATA_LIMITS['value_length']} characters, but you passed "
                    f"in a value that is {len(value)} characters. Invalid value: {value}",
                    param=at,
                )
