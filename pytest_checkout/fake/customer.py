"""What only a customer can do, as test helpers: pay for a session (``complete``) and let a delayed payment
settle (``settle_async_payment``). Part of ``CheckoutFake`` (``backend.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_checkout import rules
from pytest_checkout.fake import today
from pytest_checkout.fake.builders import DEFAULT_ADDRESS, DEFAULT_CUSTOMER
from pytest_checkout.fake.fakeobject import FakeObject, fake_object

if TYPE_CHECKING:
    from pytest_checkout.fake.builders import Builder
    from pytest_checkout.fake.events import Event
    from pytest_checkout.fake.ids import IdFactory
    from pytest_checkout.fake.models import Account, StoredSession

__all__ = ["ASYNC_PAYMENT_METHODS", "UNSET", "CustomerActions", "Unset", "customer_details"]

#: Payment methods whose payment settles later, after the session completes (Stripe's docs list these as
#: delayed-notification methods).
ASYNC_PAYMENT_METHODS = frozenset(
    {
        "acss_debit",
        "au_becs_debit",
        "bacs_debit",
        "boleto",
        "customer_balance",
        "konbini",
        "oxxo",
        "sepa_debit",
        "sofort",
        "us_bank_account",
    }
)


class Unset:
    """The default of a ``complete`` argument left out (``None`` means null)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()

#: The address keys a payment method brings when the session does not require a billing address. Seen for
#: cards (country, often with postal code); for other methods a guess: the country.
ADDRESS_FROM_METHOD: Mapping[str, tuple[str, ...]] = {"card": ("country", "postal_code")}
DEFAULT_PHONE = "+14155550100"


def customer_details(
    data: Mapping[str, Any],
    method: str,
    *,
    email: str | None,
    name: str | Unset | None,
    phone: str | Unset | None,
    address: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The session's ``customer_details`` once the customer paid, from what the session collects (see complete)."""
    setup = data["mode"] == "setup"
    full = data.get("billing_address_collection") == "required"
    collected: dict[str, Any] | None = None
    if not setup or address:
        # Setup mode collects none: "Only the customer's email is present on Sessions in setup mode."
        keys = DEFAULT_ADDRESS if full else ADDRESS_FROM_METHOD.get(method, ("country",))
        collected = {key: DEFAULT_ADDRESS[key] if key in keys else None for key in DEFAULT_ADDRESS}
        collected.update(address or {})
    if isinstance(name, Unset):
        name = DEFAULT_CUSTOMER["name"] if not setup and (method == "card" or full) else None
    if isinstance(phone, Unset):
        phone = DEFAULT_PHONE if (data.get("phone_number_collection") or {}).get("enabled") else None
    return {
        "address": collected,
        "email": email or data.get("customer_email") or DEFAULT_CUSTOMER["email"],
        "name": name,
        "phone": phone,
        # Seen: "none" in payment and subscription mode, null in setup mode.
        "tax_exempt": None if setup else "none",
        "tax_ids": [],
    }


class CustomerActions:
    """The customer's half of ``CheckoutFake``.

    The attributes and the methods declared without a body (``_find``, ``_emit``, ``_shown``, ...) are
    ``CheckoutFake``'s, named here for the type checker; a ``CustomerActions`` alone is never made.
    """

    _lock: threading.RLock
    ids: IdFactory
    build: Builder

    def _find(self, session_id: str) -> tuple[Account, StoredSession]:
        raise NotImplementedError

    def _emit(self, account: Account, event_type: str, stored: StoredSession, at: int | None = None) -> Event:
        raise NotImplementedError

    def _promotion_codes_for(self, account: Account) -> Mapping[str, dict[str, Any]]:
        raise NotImplementedError

    def _shown(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def complete(
        self,
        session_id: str,
        *,
        email: str | None = None,
        name: str | Unset | None = UNSET,
        phone: str | Unset | None = UNSET,
        address: Mapping[str, Any] | None = None,
        payment_method_type: str | None = None,
        async_payment: bool = False,
        shipping_rate: str | None = None,
        shipping_name: str | None = None,
        tax_ids: list[Mapping[str, Any]] | None = None,
        promotion_code: str | None = None,
        custom_fields: Mapping[str, str] | None = None,
    ) -> FakeObject:
        """Play the customer paying: the session becomes ``complete`` and ``checkout.session.completed`` is emitted.

        The customer gives what the session asks for, as live sessions show (every part overridable):

        - ``address``: in full with ``billing_address_collection="required"``; otherwise a card payment brings
          only ``country`` and ``postal_code`` (other methods: ``country``; a guess), the other keys null. Keys
          given in ``address`` are taken as they are. Setup mode collects no address.
        - ``name``: the cardholder's for a card payment or a required billing address (default ``Jenny Rosen``),
          else null; ``name=None`` makes it null. ``phone`` only with ``phone_number_collection`` (or given).
        - ``tax_ids``: with ``tax_id_collection`` on, e.g. ``[{"type": "eu_vat", "value": "DE123456789"}]``.
        - ``promotion_code``: a code the customer typed (needs ``allow_promotion_codes``; the code, as given to
          ``add_promotion_code``): its coupon's discount joins the totals and the line items.
        - ``custom_fields``: what the customer typed or picked, by field ``key`` (today's API). A field left out
          gets its default value, else a value of its type (the first option of a dropdown, ``"12345"`` for a
          numeric field, ``"Example"`` for text); an optional one stays null.
        - With ``shipping_options`` the customer picks ``shipping_rate`` (default: the first option): it becomes
          the ``shipping_cost`` and joins the totals. With ``shipping_address_collection`` a full address and
          ``shipping_name`` (default: the customer's name) become the ``shipping_details``.

        Per mode, as live captures show: payment mode sets ``payment_intent`` (and ``customer`` only when one was
        given or ``customer_creation`` is ``always``); subscription mode sets ``customer`` and ``subscription``;
        setup mode sets ``customer`` and keeps its ``setup_intent``. ``async_payment`` (a delayed-notification
        method such as sepa_debit) leaves ``payment_status`` ``unpaid`` until ``settle_async_payment``.
        Returns a copy of the session (``FakeObject``).
        """
        with self._lock:
            account, stored = self._find(session_id)
            data = stored.data
            if data["status"] != "open":
                raise ValueError(
                    f"Checkout Session {session_id} is {data['status']}; only an open one can be completed"
                )
            method = payment_method_type or data["payment_method_types"][0]
            if method not in data["payment_method_types"]:
                raise ValueError(
                    f"{method!r} is not among this session's payment_method_types {data['payment_method_types']}"
                )
            if async_payment and method not in ASYNC_PAYMENT_METHODS:
                raise ValueError(
                    f"{method} payments are not asynchronous; async_payment=True needs one of "
                    f"{', '.join(sorted(ASYNC_PAYMENT_METHODS))}"
                )
            if tax_ids and not (data.get("tax_id_collection") or {}).get("enabled"):
                raise ValueError("tax_ids are collected only when the session has tax_id_collection[enabled]=true")
            if shipping_name is not None and not data.get("shipping_address_collection"):
                raise ValueError("shipping_name needs a session with shipping_address_collection")
            items = stored.line_items
            discounted = self._typed_promotion_code(account, data, items, promotion_code)
            mode = data["mode"]
            details = customer_details(data, method, email=email, name=name, phone=phone, address=address)
            if tax_ids:
                details["tax_ids"] = [{"type": t.get("type"), "value": t.get("value")} for t in tax_ids]
            customer_id = data["customer"]
            if customer_id is None and (mode != "payment" or data["customer_creation"] == "always"):
                customer = self.build.customer(
                    self.ids.new("cus"), email=details["email"], name=details["name"], livemode=data["livemode"]
                )
                account.customers[customer["id"]] = customer
                customer_id = customer["id"]
            shipping_address = {**DEFAULT_ADDRESS, **(address or {})}
            updates: dict[str, Any] = {
                "status": "complete",
                "url": None,
                "customer": customer_id,
                "customer_details": details,
                **discounted,
            }
            data = {**data, **updates}
            updates.update(
                self.build.shipping_choice(data, shipping_rate, shipping_address, shipping_name or details["name"])
            )
            # The objects made below (a payment intent's amount) see the totals with shipping in them.
            data = {**data, **updates}
            if mode == "payment":
                intent = self.build.intent("payment_intent", "pi", data, customer_id, method, async_payment)
                account.objects[intent["id"]] = intent
                updates["payment_intent"] = intent["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            elif mode == "subscription":
                subscription = self.build.subscription(data, items, customer_id, async_payment)
                account.objects[subscription["id"]] = subscription
                updates["subscription"] = subscription["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
                owner = account.customers.get(customer_id or "")
                if owner is not None and not owner.get("currency"):
                    # A customer's currency is set by their first subscription (docs).
                    account.customers[owner["id"]] = {**owner, "currency": data["currency"]}
            else:
                setup_intent = account.objects.get(data["setup_intent"])
                if setup_intent is not None:
                    account.objects[setup_intent["id"]] = {
                        **setup_intent,
                        "status": "succeeded",
                        "customer": customer_id,
                    }
            if data.get("custom_fields"):
                updates["custom_fields"] = today.filled_custom_fields(data["custom_fields"], custom_fields or {})
            elif custom_fields:
                raise ValueError("custom_fields are filled in only on a session created with custom_fields")
            if mode == "payment" and (data.get("invoice_creation") or {}).get("enabled"):
                # Today's API: a paid session with invoice creation has its invoice (the fake keeps only the id).
                updates["invoice"] = self.ids.new("in")
            if data.get("consent_collection"):
                collection = data["consent_collection"]
                updates["consent"] = {
                    "promotions": "opt_in" if collection.get("promotions") == "auto" else None,
                    "terms_of_service": "accepted" if collection.get("terms_of_service") == "required" else None,
                }
            if (data.get("automatic_tax") or {}).get("enabled"):
                # Seen: "complete" once a session with automatic tax is paid (the fake computes no tax).
                updates["automatic_tax"] = {**data["automatic_tax"], "status": "complete"}
            if discounted:
                stored.line_items = items
            account.save(stored, {**data, **updates})
            stored.async_pending = async_payment
            self._emit(account, "checkout.session.completed", stored)
            return fake_object(self._shown(stored.data))

    def _typed_promotion_code(
        self, account: Account, data: Mapping[str, Any], items: list[dict[str, Any]], code: str | None
    ) -> dict[str, Any]:
        """The totals once the customer typed ``code`` (the line items get their share); {} without a code."""
        if code is None:
            return {}
        if data.get("allow_promotion_codes") is not True:
            raise ValueError("the customer can type a promotion code only when the session has allow_promotion_codes")
        codes = self._promotion_codes_for(account)
        found = next((c for c in codes.values() if c.get("code") == code), None)
        if found is None:
            known = sorted(str(c.get("code")) for c in codes.values())
            raise ValueError(f"no promotion code {code!r} is registered (add_promotion_code); known: {known}")
        subtotal = data.get("amount_subtotal") or 0
        context = rules.RuleContext(coupons={found["coupon"]["id"]: found["coupon"]}, promotion_codes=codes)
        discount = self.build.discount(context, {"discounts": [{"promotion_code": found["id"]}]}, items, subtotal)
        totals = data.get("total_details") or {}
        return {
            "total_details": {**totals, "amount_discount": discount},
            "amount_total": subtotal - discount + totals.get("amount_shipping", 0) + totals.get("amount_tax", 0),
        }

    def settle_async_payment(self, session_id: str, *, succeeded: bool = True) -> FakeObject:
        """Let a completed session's delayed payment succeed (``paid``) or fail, with its event."""
        with self._lock:
            account, stored = self._find(session_id)
            if not stored.async_pending:
                raise ValueError(
                    f"Checkout Session {session_id} has no pending async payment; complete it with async_payment=True"
                )
            stored.async_pending = False
            self._settle_objects(account, stored.data, succeeded)
            if succeeded:
                account.save(stored, {**stored.data, "payment_status": "paid"})
                self._emit(account, "checkout.session.async_payment_succeeded", stored)
            else:
                self._emit(account, "checkout.session.async_payment_failed", stored)
            return fake_object(self._shown(stored.data))

    def _settle_objects(self, account: Account, data: Mapping[str, Any], succeeded: bool) -> None:
        # The objects behind the session follow its payment: a payment intent succeeds or goes back to needing a
        # payment method (Stripe's lifecycle for a failed delayed payment); a subscription becomes active.
        intent = account.objects.get(data.get("payment_intent") or "")
        if intent is not None:
            if succeeded:
                updates = {"status": "succeeded", "amount_received": intent["amount"]}
            else:
                updates = {"status": "requires_payment_method", "amount_received": 0}
            account.objects[intent["id"]] = {**intent, **updates}
        subscription = account.objects.get(data.get("subscription") or "")
        if subscription is not None:
            # Unverified: what a subscription whose first payment failed shows; "incomplete" stays until it expires.
            status = "active" if succeeded else "incomplete"
            account.objects[subscription["id"]] = {**subscription, "status": status}
