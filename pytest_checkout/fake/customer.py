"""What only a customer can do, as test helpers: pay for a session (``complete``) and let a delayed payment
settle (``settle_async_payment``). Part of ``CheckoutFake`` (``backend.py``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_checkout.fake.builders import DEFAULT_ADDRESS, DEFAULT_CUSTOMER

if TYPE_CHECKING:
    from pytest_checkout.fake.builders import Builder
    from pytest_checkout.fake.events import Event
    from pytest_checkout.fake.ids import IdFactory
    from pytest_checkout.fake.models import Account, StoredSession

__all__ = ["ASYNC_PAYMENT_METHODS", "CustomerActions"]

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


class CustomerActions:
    """The customer's half of ``CheckoutFake``."""

    _lock: threading.RLock
    ids: IdFactory
    build: Builder

    def _find(self, session_id: str) -> tuple[Account, StoredSession]:
        raise NotImplementedError

    def _emit(self, account: Account, event_type: str, stored: StoredSession, at: int | None = None) -> Event:
        raise NotImplementedError

    def complete(
        self,
        session_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        address: Mapping[str, Any] | None = None,
        payment_method_type: str | None = None,
        async_payment: bool = False,
        shipping_rate: str | None = None,
    ) -> dict[str, Any]:
        """Play the customer paying: the session becomes ``complete`` and ``checkout.session.completed`` is emitted.

        With ``shipping_options`` the customer picks ``shipping_rate`` (default: the first option): it becomes the
        ``shipping_cost`` and is added to the totals. With ``shipping_address_collection`` the ``address`` and
        ``name`` become the ``shipping_details``.

        Per mode, as live captures show: payment mode sets ``payment_intent`` (and ``customer`` only when one was
        given or ``customer_creation`` is ``always``); subscription mode sets ``customer`` and ``subscription``;
        setup mode sets ``customer`` and keeps its ``setup_intent``. ``async_payment`` (a delayed-notification
        method such as sepa_debit) leaves ``payment_status`` ``unpaid`` until ``settle_async_payment``.
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
            mode = data["mode"]
            email = email or data["customer_email"] or DEFAULT_CUSTOMER["email"]
            customer_id = data["customer"]
            if customer_id is None and (mode != "payment" or data["customer_creation"] == "always"):
                customer = self.build.customer(
                    self.ids.new("cus"), email=email, name=name or DEFAULT_CUSTOMER["name"], livemode=data["livemode"]
                )
                account.customers[customer["id"]] = customer
                customer_id = customer["id"]
            if mode == "setup":
                # "Only the customer's email is present on Sessions in setup mode."
                details = {"address": None, "email": email, "name": None, "phone": None}
            else:
                details = {
                    "address": {**DEFAULT_ADDRESS, **(address or {})},
                    "email": email,
                    "name": name or DEFAULT_CUSTOMER["name"],
                    "phone": phone,
                }
            details.update({"tax_exempt": "none", "tax_ids": []})
            updates: dict[str, Any] = {
                "status": "complete",
                "url": None,
                "customer": customer_id,
                "customer_details": details,
                **self.build.shipping_choice(data, shipping_rate, details),
            }
            # The objects made below (a payment intent's amount) see the totals with shipping in them.
            data = {**data, **updates}
            if mode == "payment":
                intent = self.build.intent("payment_intent", "pi", data, customer_id, method, async_payment)
                account.objects[intent["id"]] = intent
                updates["payment_intent"] = intent["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            elif mode == "subscription":
                subscription = self.build.subscription(data, stored.line_items, customer_id, async_payment)
                account.objects[subscription["id"]] = subscription
                updates["subscription"] = subscription["id"]
                updates["payment_status"] = "unpaid" if async_payment else "paid"
            else:
                setup_intent = account.objects.get(data["setup_intent"])
                if setup_intent is not None:
                    account.objects[setup_intent["id"]] = {
                        **setup_intent,
                        "status": "succeeded",
                        "customer": customer_id,
                    }
            if data.get("consent_collection"):
                collection = data["consent_collection"]
                updates["consent"] = {
                    "promotions": "opt_in" if collection.get("promotions") == "auto" else None,
                    "terms_of_service": "accepted" if collection.get("terms_of_service") == "required" else None,
                }
            account.save(stored, {**data, **updates})
            stored.async_pending = async_payment
            self._emit(account, "checkout.session.completed", stored)
            return copy.deepcopy(stored.data)

    def settle_async_payment(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
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
            return copy.deepcopy(stored.data)

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
