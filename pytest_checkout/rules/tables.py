"""Stripe's tables for Checkout Sessions: minimum amounts, currencies per payment method, limits.

The one copy of these facts: validation, the fake and the strategies all read them from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# -- Tables ---------------------------------------------------------------------------------------------------

#: Smallest total a payment-mode session may charge, in minor units (Stripe's docs). 50 cents and the like.
MINIMUM_CHARGE: Mapping[str, int] = {
    "usd": 50, "eur": 50, "aud": 50, "cad": 50, "chf": 50, "nzd": 50, "sgd": 50, "brl": 50,
    "gbp": 30, "jpy": 50, "hkd": 400, "mxn": 1000, "myr": 200, "thb": 1000, "pln": 200,
    "dkk": 250, "nok": 300, "sek": 300, "czk": 1500, "huf": 17500,
}  # fmt: skip

#: Currencies in which amounts have no minor unit (``unit_amount=500`` in jpy is 500 yen).
ZERO_DECIMAL_CURRENCIES = frozenset(
    (
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    )
)

#: Every currency Stripe knows, in the order its "Invalid currency" message lists them (seen, 2024: usd first,
#: then alphabetical, then the retired codes it still names).
STRIPE_CURRENCY_ORDER: tuple[str, ...] = tuple(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf
    chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl hrk htg huf
    idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur
    mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek
    sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar
    zmw usdc btn ghs eek lvl svc vef ltl sll mro""".split()  # noqa: SIM905 - as the message lists them
)
STRIPE_CURRENCIES = frozenset(STRIPE_CURRENCY_ORDER)
#: Currencies a US account can charge in, in the same order. Seen: tnd and jod are refused for a US account
#: ("Stripe accounts in US do not support tnd"). A guess: the other three-decimal currencies (bhd, kwd, omr) are
#: refused too, and the retired codes at the end of Stripe's list are not offered.
ACCOUNT_COUNTRY = "US"
ACCOUNT_CURRENCY_ORDER: tuple[str, ...] = tuple(
    c
    for c in STRIPE_CURRENCY_ORDER[: STRIPE_CURRENCY_ORDER.index("zmw") + 1]
    if c not in {"bhd", "jod", "kwd", "omr", "tnd"}
)
ACCOUNT_CURRENCIES = frozenset(ACCOUNT_CURRENCY_ORDER)

#: The largest amount Stripe takes, in minor units: eight digits (docs: $999,999.99), for a unit amount, a line
#: item's total and the session's total alike.
MAXIMUM_AMOUNT = 99_999_999

#: Currencies each payment method accepts (docs). ``None``: any currency. alipay and wechat_pay depend on the
#: account's country; the union is given. customer_balance follows its bank transfer type (below).
PAYMENT_METHOD_CURRENCIES: Mapping[str, frozenset[str] | None] = {
    "card": None,
    "acss_debit": frozenset({"cad", "usd"}),
    "affirm": frozenset({"usd"}),
    "afterpay_clearpay": frozenset({"aud", "cad", "gbp", "nzd", "usd", "eur"}),
    "alipay": frozenset({"cny", "aud", "cad", "eur", "gbp", "hkd", "jpy", "myr", "nzd", "sgd", "usd"}),
    "au_becs_debit": frozenset({"aud"}),
    "bacs_debit": frozenset({"gbp"}),
    "bancontact": frozenset({"eur"}),
    "blik": frozenset({"pln"}),
    "boleto": frozenset({"brl"}),
    "customer_balance": frozenset({"eur", "gbp", "jpy", "mxn"}),
    "eps": frozenset({"eur"}),
    "fpx": frozenset({"myr"}),
    "giropay": frozenset({"eur"}),
    "grabpay": frozenset({"sgd", "myr"}),
    "ideal": frozenset({"eur"}),
    "klarna": frozenset({"aud", "cad", "chf", "czk", "dkk", "eur", "gbp", "nok", "nzd", "pln", "sek", "usd"}),
    "konbini": frozenset({"jpy"}),
    "oxxo": frozenset({"mxn"}),
    "p24": frozenset({"eur", "pln"}),
    "paynow": frozenset({"sgd"}),
    "pix": frozenset({"brl"}),
    "promptpay": frozenset({"thb"}),
    "sepa_debit": frozenset({"eur"}),
    "sofort": frozenset({"eur"}),
    "us_bank_account": frozenset({"usd"}),
    "wechat_pay": frozenset(
        {"aud", "cad", "chf", "cny", "dkk", "eur", "gbp", "hkd", "jpy", "nok", "sek", "sgd", "usd"}
    ),
}

#: customer_balance's currency by ``payment_method_options[customer_balance][bank_transfer][type]`` (docs).
BANK_TRANSFER_CURRENCIES: Mapping[str, str] = {
    "eu_bank_transfer": "eur",
    "gb_bank_transfer": "gbp",
    "jp_bank_transfer": "jpy",
    "mx_bank_transfer": "mxn",
    "us_bank_transfer": "usd",
}

#: Values Stripe's enum errors list first, by schema path; the rest follow in the schema's (alphabetical)
#: order. Seen: ``must be one of card, acss_debit, affirm, ...``.
ENUM_LEADING: Mapping[str, tuple[str, ...]] = {"payment_method_types[]": ("card",)}

#: Arrays with a documented maximum length, by schema path.
ARRAY_LIMITS: Mapping[str, int] = {
    "line_items": 100,
    "shipping_options": 5,
    "discounts": 1,
    # Today's API (the SDK's docs): at most 10 optional items, counted with the line items in the limits below;
    # up to 3 custom fields.
    "optional_items": 10,
    "custom_fields": 3,
}
#: In subscription mode: at most this many recurring and this many one-time line items.
SUBSCRIPTION_ITEM_LIMIT = 20

METADATA_LIMITS = {"keys": 50, "key_length": 40, "value_length": 500}

ADJUSTABLE_QUANTITY_DEFAULT_MAXIMUM = 99
ADJUSTABLE_QUANTITY_LIMIT = 999_999

#: ``expires_at`` must lie this many seconds after creation, at least and at most; the default is the maximum.
EXPIRY_WINDOW = (30 * 60, 24 * 60 * 60)
DEFAULT_EXPIRY_SECONDS = EXPIRY_WINDOW[1]

KONBINI_EXPIRES_AFTER_DAYS = (1, 60)
PIX_EXPIRES_AFTER_SECONDS = (10, 1_209_600)
UNIT_AMOUNT_DECIMAL_PLACES = 12

#: Parameters whose string must be a URL or an email address, by schema path.
FIELD_FORMATS: Mapping[str, str] = {
    "success_url": "url",
    "cancel_url": "url",
    "return_url": "url",  # today's API
    "line_items[][price_data][product_data][images][]": "url",
    "payment_method_options[acss_debit][mandate_options][custom_mandate_url]": "url",
    "customer_email": "email",
    "payment_intent_data[receipt_email]": "email",
}

#: Stripe's answer to the line item fields removed in 2022-08-01 (seen).
LEGACY_LINE_ITEM_MESSAGE = (
    "You cannot use `line_items.amount`, `line_items.currency`, `line_items.name`, `line_items.description`, "
    "or `line_items.images` in this API version. Please use `line_items.price` or `line_items.price_data`."
)

#: The placeholder Stripe fills in on redirect; it is allowed in success_url as it stands.
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
