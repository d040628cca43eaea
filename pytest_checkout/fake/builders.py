"""Object builders: a session from create params, its line items, prices and products, customers, intents and
subscriptions.

Each builder makes one object as Stripe would show it, fitted to the response schema (``shapes.shape``); none
stores anything. ``backend.CheckoutFake`` decides when to build and where the result goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pytest_checkout import rules
from pytest_checkout.codec import MAPPINGS
from pytest_checkout.fake import today
from pytest_checkout.fake.clock import Clock
from pytest_checkout.fake.ids import IdFactory
from pytest_checkout.fake.models import PRICE_BLANK, SESSION_BLANK, Account
from pytest_checkout.fake.render import list_object
from pytest_checkout.fake.shapes import shape, shared
from pytest_checkout.versions import CANONICAL_SESSION, DEFAULT

__all__ = ["CHECKOUT_BASE_URL", "DEFAULT_ADDRESS", "DEFAULT_CUSTOMER", "Builder"]

CHECKOUT_SESSION, PRICE, RESOURCES = CANONICAL_SESSION, DEFAULT.price, DEFAULT.resources
PRODUCT = DEFAULT.components["product"]

CHECKOUT_BASE_URL = "https://checkout.stripe.com/c/pay/"

# The values most sessions have, made once and stored shared (shapes.shared knows them without a key).
# Unverified: the status Stripe shows for automatic tax before the customer gives an address.
_AUTOMATIC_TAX = {
    False: shared({"enabled": False, "status": None}),
    True: shared({"enabled": True, "status": "requires_location_inputs"}),
}
_PHONE_NUMBER_COLLECTION = {enabled: shared({"enabled": enabled}) for enabled in (False, True)}
_CARDS_ONLY: list[str] = shared(["card"])
_NO_TOTAL_DETAILS = shared({"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0})

DEFAULT_CUSTOMER = {"email": "jenny.rosen@example.com", "name": "Jenny Rosen", "phone": None}
DEFAULT_ADDRESS = {
    "city": "South San Francisco",
    "country": "US",
    "line1": "354 Oyster Point Blvd",
    "line2": None,
    "postal_code": "94080",
    "state": "CA",
}


class Builder:
    """Builds the fake's objects with its ids and clock; ``product_names`` remembers each product's name."""

    def __init__(self, ids: IdFactory, clock: Clock, product_names: dict[str, str]) -> None:
        self.ids = ids
        self.clock = clock
        self.product_names = product_names

    @staticmethod
    def shipping_choice(
        data: Mapping[str, Any], shipping_rate: str | None, address: Mapping[str, Any], name: str | None
    ) -> dict[str, Any]:
        """The fields the customer's shipping choices set: shipping cost and totals, shipping details.

        Unverified: that the shipping amount joins the totals only once the customer has chosen (at completion).
        A shipping address is collected whole; its name may differ from the customer's (seen).
        """
        updates: dict[str, Any] = {}
        options = data.get("shipping_options") or []
        if shipping_rate is not None and shipping_rate not in [o["shipping_rate"] for o in options]:
            raise ValueError(
                f"{shipping_rate!r} is not among this session's shipping options "
                f"{[o['shipping_rate'] for o in options]}"
            )
        if options:
            chosen = next(o for o in options if shipping_rate in (None, o["shipping_rate"]))
            amount = chosen["shipping_amount"]
            updates["shipping_cost"] = {
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "shipping_rate": chosen["shipping_rate"],
            }
            if data.get("total_details") is not None:
                updates["total_details"] = {**data["total_details"], "amount_shipping": amount}
                updates["amount_total"] = (data.get("amount_total") or 0) + amount
        if data.get("shipping_address_collection"):
            shipped_to = name or DEFAULT_CUSTOMER["name"]
            # Where each version shows it: shipping_details before basil, collected_information since (the
            # store keeps both; render.session_for answers each version its own).
            updates["shipping_details"] = {
                "address": dict(address),
                "carrier": None,
                "name": shipped_to,
                "phone": None,
                "tracking_number": None,
            }
            updates["collected_information"] = {
                "business_name": None,
                "individual_name": None,
                "shipping_details": {"address": dict(address), "name": shipped_to},
            }
        return updates

    def session(
        self, account: Account, params: Mapping[str, Any], context: rules.RuleContext
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A new open session's fields and line items, from create params that passed validation."""
        now = context.now if context.now is not None else self.clock.now()
        prices = context.prices if context.prices is not None else {}
        mode = params["mode"]
        livemode = account.livemode
        session_id = self.ids.session(livemode)
        line_items = [self.line_item(item, now, prices, livemode) for item in params.get("line_items") or []]
        if mode == "setup":
            currency = params.get("currency")
            subtotal: int | None = None
            discount = 0
            total_details = None
        else:
            currency = line_items[0]["currency"] if line_items else params.get("currency")
            subtotal = sum(item["amount_subtotal"] for item in line_items)
            discount = self.discount(context, params, line_items, subtotal)
            total_details = (
                {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0} if discount else _NO_TOTAL_DETAILS
            )
        shipping_options = [self.shipping_option(o) for o in params.get("shipping_options") or []]
        # Setup mode's setup intent exists from creation: the backend makes and stores it.
        setup_intent = None
        automatic_tax = bool((params.get("automatic_tax") or {}).get("enabled"))
        # Seen: an empty value given at create is kept as "" (only an update unsets a key).
        metadata = dict(params.get("metadata") or {})
        data = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": self.after_expiration(params.get("after_expiration")),
            "allow_promotion_codes": params.get("allow_promotion_codes"),
            "amount_subtotal": subtotal,
            "amount_total": None if subtotal is None else subtotal - discount,
            "automatic_tax": _AUTOMATIC_TAX[automatic_tax],
            "billing_address_collection": params.get("billing_address_collection"),
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "consent": None,
            "consent_collection": params.get("consent_collection"),
            "created": now,
            "currency": currency,
            "customer": params.get("customer"),
            # Seen: "always" in subscription and setup mode.
            "customer_creation": params.get("customer_creation") or ("if_required" if mode == "payment" else "always"),
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "discounts": self.discounts(context, params),
            "expires_at": params.get("expires_at") or now + rules.DEFAULT_EXPIRY_SECONDS,
            "livemode": livemode,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_link": None,
            # Unverified: Stripe's default for payment_method_collection outside subscription mode.
            "payment_method_collection": params.get("payment_method_collection") or "always",
            "payment_method_options": params.get("payment_method_options") or {},
            "payment_method_types": self.payment_method_types(params, currency),
            "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
            "phone_number_collection": _PHONE_NUMBER_COLLECTION[
                bool((params.get("phone_number_collection") or {}).get("enabled"))
            ],
            "recovered_from": None,
            "setup_intent": setup_intent,
            "shipping_address_collection": params.get("shipping_address_collection"),
            "shipping_cost": None,
            "shipping_details": None,
            "shipping_options": shipping_options,
            "status": "open",
            "submit_type": params.get("submit_type"),
            "subscription": None,
            "success_url": params.get("success_url"),
            # Seen: absent from the session unless the request gave it (models.ABSENT_WHEN_NULL).
            "tax_id_collection": (
                {"enabled": bool(params["tax_id_collection"].get("enabled"))}
                if params.get("tax_id_collection") is not None and isinstance(params["tax_id_collection"], MAPPINGS)
                else None
            ),
            "total_details": total_details,
            "url": f"{CHECKOUT_BASE_URL}{session_id}#{self.ids.opaque(64)}",
            **today.todays_fields(params, session_id, self.ids),
        }
        if data["ui_mode"] != "hosted_page":
            # Embedded and elements sessions are shown on the merchant's page: no Stripe-hosted URL (docs).
            data["url"] = None
        # Objects taken from the params are fitted to the answer's schema (the params have keys the answer
        # does not, and the answer has nullable keys the params left out); the rest is built to fit already.
        for key in ("consent_collection", "payment_method_options", "shipping_address_collection"):
            if data[key] is not None:
                data[key] = shape(CHECKOUT_SESSION.properties[key], data[key])
        return {**SESSION_BLANK, **data}, line_items

    @staticmethod
    def payment_method_types(params: Mapping[str, Any], currency: str | None) -> list[str]:
        """The methods the customer may pay with: those the request named (``payment_method_types``, before
        endive), or those of ``allowed_payment_method_types`` that fit the session, less the excluded ones.

        Without either, Stripe offers the methods the Dashboard turned on; the fake's account has cards only
        (excluding them too is not modelled: the session still offers cards).
        """
        if params.get("payment_method_types"):
            return list(params["payment_method_types"])
        allowed = params.get("allowed_payment_method_types")
        if allowed:
            excluded = params.get("excluded_payment_method_types") or []
            return [m for m in rules.compatible_methods(list(allowed), currency, params) if m not in excluded]
        return _CARDS_ONLY

    def discount(
        self, context: rules.RuleContext, params: Mapping[str, Any], line_items: list[dict[str, Any]], subtotal: int
    ) -> int:
        """The session's discount from its coupon or promotion code, spread over the line items.

        Percentages are rounded half to even; an amount off is capped at the subtotal. Each item carries its
        share (by its subtotal; the last takes what rounding leaves), as Stripe's line items show theirs.
        """
        applied = self.discounts(context, params)
        if not applied or subtotal <= 0:
            return 0
        coupon = (context.coupons or {})[applied[0]["coupon"]]
        if coupon["percent_off"] is not None:
            share = Decimal(str(coupon["percent_off"])) / 100 * subtotal
            discount = int(share.to_integral_value(rounding=ROUND_HALF_EVEN))
        else:
            discount = min(int(coupon["amount_off"]), subtotal)
        left = discount
        for index, item in enumerate(line_items):
            part = left if index == len(line_items) - 1 else discount * item["amount_subtotal"] // subtotal
            left -= part
            item["amount_discount"] = part
            item["amount_total"] = item["amount_subtotal"] - part
        return discount

    @staticmethod
    def discounts(context: rules.RuleContext, params: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The session's ``discounts`` (today's field): the coupon of each, and the promotion code it came from."""
        given = params.get("discounts") or []
        if not given:
            return None
        out = []
        for discount in given:
            code = discount.get("promotion_code")
            coupon = discount.get("coupon") or (context.promotion_codes or {})[code]["coupon"]["id"]
            out.append({"coupon": coupon, "promotion_code": code or None})
        return out

    def totals(
        self, data: Mapping[str, Any], line_items: list[dict[str, Any]], context: rules.RuleContext
    ) -> dict[str, Any]:
        """A session's amounts after its line items changed (the update endpoint): the discount spread again."""
        subtotal = sum(item["amount_subtotal"] for item in line_items)
        for item in line_items:
            item["amount_discount"], item["amount_total"] = 0, item["amount_subtotal"]
        discount = self.discount(context, {"discounts": data.get("discounts")}, line_items, subtotal)
        totals = data.get("total_details") or {}
        return {
            "amount_subtotal": subtotal,
            "amount_total": subtotal - discount + totals.get("amount_shipping", 0) + totals.get("amount_tax", 0),
            "total_details": {**totals, "amount_discount": discount},
        }

    def after_expiration(self, given: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not given or not isinstance(given.get("recovery"), Mapping):
            return None
        recovery = given["recovery"]
        return {
            "recovery": {
                "allow_promotion_codes": bool(recovery.get("allow_promotion_codes")),
                "enabled": bool(recovery.get("enabled")),
                "expires_at": None,
                "url": None,
            }
        }

    def shipping_option(self, option: Mapping[str, Any]) -> dict[str, Any]:
        rate = option.get("shipping_rate")
        data = option.get("shipping_rate_data") or {}
        amount = (data.get("fixed_amount") or {}).get("amount") or 0
        return {"shipping_amount": amount, "shipping_rate": rate or self.ids.new("shr")}

    def line_item(
        self, item: Mapping[str, Any], now: int, prices: Mapping[str, Mapping[str, Any]], livemode: bool
    ) -> dict[str, Any]:
        quantity = item["quantity"]
        if item.get("price"):
            price = prices[item["price"]]
        else:
            data = item["price_data"]
            product = data.get("product") or self.ids.new("prod")
            if data.get("product_data"):
                self.product_names[product] = data["product_data"]["name"]
            price = self.price(
                self.ids.new("price"),
                product=product,
                currency=data["currency"].lower(),
                unit_amount=data.get("unit_amount"),
                unit_amount_decimal=data.get("unit_amount_decimal"),
                recurring=data.get("recurring"),
                tax_behavior=data.get("tax_behavior") or "unspecified",
                # Prices made from price_data are not reusable: Stripe marks them inactive.
                active=False,
                livemode=livemode,
                created=now,
            )
        return {
            "id": self.ids.new("li"),
            "object": "item",
            "amount_discount": 0,
            **_amounts(price, quantity),
            "amount_tax": 0,
            "currency": price["currency"],
            "description": self.product_names.get(price["product"], ""),
            "price": price,
            "quantity": quantity,
            # Today's fields (2022-08-01 answers without them: render.items_for).
            "adjustable_quantity": today.adjustable_quantity(item.get("adjustable_quantity")),
            "metadata": dict(item.get("metadata") or {}),
        }

    def changed_line_item(self, stored: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        """A line item the update endpoint names by ``id``, with the fields it gives changed (today's API).

        Metadata merges as on every Stripe object (a key set to "" is removed; an empty ``metadata``, all).
        """
        changed = dict(stored)
        if given.get("quantity") is not None:
            changed.update(quantity=given["quantity"], **_amounts(stored["price"], given["quantity"]))
            changed["amount_discount"] = 0
        if "adjustable_quantity" in given:
            changed["adjustable_quantity"] = today.adjustable_quantity(given["adjustable_quantity"] or None)
        if "metadata" in given:
            changed["metadata"] = today.merged_metadata(stored.get("metadata") or {}, given["metadata"])
        return changed

    def price(
        self,
        price_id: str,
        *,
        product: str,
        currency: str,
        unit_amount: int | None,
        unit_amount_decimal: str | None,
        recurring: Mapping[str, Any] | None,
        active: bool,
        livemode: bool,
        created: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        decimal = str(unit_amount) if unit_amount is not None else str(Decimal(str(unit_amount_decimal)))
        if unit_amount is None and Decimal(decimal) == Decimal(decimal).to_integral_value():
            unit_amount = int(Decimal(decimal))
        recurring_object = None
        if recurring:
            recurring_object = {
                "aggregate_usage": None,
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count") or 1,
                "usage_type": "licensed",
            }
        if recurring_object is not None:
            recurring_object = shape(PRICE.properties["recurring"], recurring_object)
        return {
            **PRICE_BLANK,
            "id": price_id,
            "object": "price",
            "active": active,
            "billing_scheme": "per_unit",
            "created": created if created is not None else self.clock.now(),
            "currency": currency,
            "livemode": livemode,
            "metadata": {},
            "product": product,
            "recurring": recurring_object,
            "tax_behavior": fields.pop("tax_behavior", "unspecified"),
            "type": "recurring" if recurring_object else "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": decimal,
            **fields,
        }

    def product(self, product_id: str, *, name: str, active: bool, livemode: bool, created: int) -> dict[str, Any]:
        """A product as a price names it: the fake knows a product's name, and takes the rest from its price."""
        return dict(
            shape(
                PRODUCT,
                {
                    "id": product_id,
                    "object": "product",
                    "active": active,
                    "created": created,
                    "images": [],
                    "livemode": livemode,
                    "metadata": {},
                    "name": name,
                    "updated": created,
                },
            )
        )

    def customer(
        self, customer_id: str, *, email: str | None, name: str | None, livemode: bool, **fields: Any
    ) -> dict[str, Any]:
        """A customer; ``fields`` are others of the customer object (``address``, ``metadata``, ...).

        The defaults are what a new customer shows in Stripe's docs: not delinquent, not tax exempt, no
        preferred locales, its first invoice numbered 1.
        """
        return dict(
            shape(
                RESOURCES["customer"],
                {
                    "id": customer_id,
                    "object": "customer",
                    "balance": 0,
                    "created": self.clock.now(),
                    "delinquent": False,
                    "email": email,
                    "name": name,
                    "livemode": livemode,
                    "metadata": {},
                    "invoice_settings": {
                        "custom_fields": None,
                        "default_payment_method": None,
                        "footer": None,
                        "rendering_options": None,
                    },
                    "next_invoice_sequence": 1,
                    "preferred_locales": [],
                    "tax_exempt": "none",
                    **fields,
                },
            )
        )

    def intent(
        self,
        kind: str,
        prefix: str,
        session: Mapping[str, Any],
        customer: str | None,
        method: str | None = None,
        processing: bool = False,
    ) -> dict[str, Any]:
        intent_id = self.ids.new(prefix)
        values: dict[str, Any] = {
            "id": intent_id,
            "object": kind,
            "created": self.clock.now(),
            "livemode": bool(session.get("livemode")),
            "customer": customer,
            "metadata": {},
            "payment_method_types": list(session.get("payment_method_types") or ["card"]),
            "client_secret": None,
        }
        if kind == "payment_intent":
            amount = session.get("amount_total") or 0
            values.update(
                {
                    "amount": amount,
                    "amount_received": 0 if processing else amount,
                    "capture_method": "automatic",
                    "confirmation_method": "automatic",
                    "currency": session.get("currency") or "usd",
                    "status": "processing" if processing else "succeeded",
                }
            )
        else:
            values.update({"status": "requires_payment_method", "usage": "off_session"})
        return dict(shape(RESOURCES[kind], values))

    def subscription(
        self, session: Mapping[str, Any], line_items: list[dict[str, Any]], customer: str | None, processing: bool
    ) -> dict[str, Any]:
        now = self.clock.now()
        subscription_id = self.ids.new("sub")
        items = [
            {
                "id": self.ids.new("si"),
                "object": "subscription_item",
                "billing_thresholds": None,
                "created": now,
                "metadata": {},
                "price": i["price"],
                "quantity": i["quantity"],
                "subscription": subscription_id,
                "tax_rates": [],
            }
            for i in line_items
            if i["price"].get("recurring")
        ]
        return dict(
            shape(
                RESOURCES["subscription"],
                {
                    "id": subscription_id,
                    "object": "subscription",
                    "automatic_tax": {"enabled": False},
                    "billing_cycle_anchor": now,
                    "cancel_at_period_end": False,
                    "collection_method": "charge_automatically",
                    "created": now,
                    "currency": session.get("currency") or "usd",
                    "current_period_start": now,
                    # Unverified: one month as 30 days; the fake does not model calendar months.
                    "current_period_end": now + 30 * 24 * 3600,
                    "customer": customer,
                    "items": list_object(items, False, f"/v1/subscription_items?subscription={subscription_id}"),
                    "livemode": bool(session.get("livemode")),
                    "metadata": {},
                    "start_date": now,
                    "status": "incomplete" if processing else "active",
                },
            )
        )


def _amounts(price: Mapping[str, Any], quantity: int) -> dict[str, int]:
    """A line item's subtotal and total before discounts: the unit amount times the quantity, half to even."""
    whole = price["unit_amount"]
    if isinstance(whole, int) and price["unit_amount_decimal"] == str(whole):  # most prices: exact in ints
        subtotal = whole * quantity
    else:
        unit = Decimal(price["unit_amount_decimal"])
        subtotal = int((unit * quantity).to_integral_value(rounding=ROUND_HALF_EVEN))
    return {"amount_subtotal": subtotal, "amount_total": subtotal}
