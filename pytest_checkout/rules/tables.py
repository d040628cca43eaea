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
}

#: Arrays with a documented maximum length, by schema path.
ARRAY_LIMITS: Mapping[str, int] = {
    "line_items": 100,
    "shipping_options": 5,
    "discounts": 1,
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
