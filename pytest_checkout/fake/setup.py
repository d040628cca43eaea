"""What a test sets up on the fake before the application runs: prices, coupons, promotion codes, customers,
and answers for endpoints the fake does not model. Part of ``CheckoutFake`` (``backend.py``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_checkout.fake.fakeobject import FakeObject, fake_object
from pytest_checkout.fake.shapes import shape
from pytest_checkout.httputil import is_live_key
from pytest_checkout.versions import DEFAULT

if TYPE_CHECKING:
    from pytest_checkout.fake.builders import Builder
    from pytest_checkout.fake.clock import Clock
    from pytest_checkout.fake.ids import IdFactory
    from pytest_checkout.fake.models import Account

__all__ = ["Stub", "TestSetup"]

COMPONENTS = DEFAULT.components


@dataclass(frozen=True)
class Stub:
    """A test's own answer for an endpoint the fake does not model: status and JSON body, or a callable.

    ``answer`` is a JSON-ready dict, or a function of the decoded params returning one; the fake adds Stripe's
    headers. Registered with ``CheckoutFake.stub``.
    """

    status: int
    answer: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


class TestSetup:
    """The set-up half of ``CheckoutFake``: objects a test registers, and stubbed endpoints.

    The attributes and the method declared without a body (``account``) are ``CheckoutFake``'s, named here for
    the type checker; a ``TestSetup`` alone is never made.
    """

    __test__ = False  # not a pytest test class, whatever its name

    _lock: threading.RLock
    ids: IdFactory
    clock: Clock
    build: Builder
    stubs: dict[tuple[str, str], Stub]
    _product_names: dict[str, str]
    _shared_prices: dict[str, dict[str, Any]]
    _shared_customers: dict[str, dict[str, Any]]
    _shared_coupons: dict[str, dict[str, Any]]
    _shared_promotion_codes: dict[str, dict[str, Any]]

    def account(self, api_key: str, stripe_account: str | None = None) -> Account:
        raise NotImplementedError

    def add_price(
        self,
        *,
        unit_amount: int | None = None,
        currency: str = "usd",
        recurring: Mapping[str, Any] | None = None,
        product_name: str = "Product",
        unit_amount_decimal: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **fields: Any,
    ) -> FakeObject:
        """Register a price that line items can name by id; returns (a copy of) the price object.

        Without ``api_key`` every key sees it (as if each test account had made it); with ``stripe_account`` too,
        only that key acting on that connected account does. ``recurring`` as in
        Stripe: ``{"interval": "month"}``.
        """
        if (unit_amount is None) == (unit_amount_decimal is None):
            raise ValueError("add_price needs exactly one of unit_amount and unit_amount_decimal")
        with self._lock:
            price_id = id or self.ids.new("price")
            product = fields.pop("product", None) or self.ids.new("prod")
            self._product_names[product] = product_name
            price = self.build.price(
                price_id,
                product=product,
                currency=currency.lower(),
                unit_amount=unit_amount,
                unit_amount_decimal=unit_amount_decimal,
                recurring=recurring,
                active=True,
                livemode=is_live_key(api_key),
                **fields,
            )
            (self.account(api_key, stripe_account).prices if api_key else self._shared_prices)[price_id] = price
            return fake_object(price)

    def add_coupon(
        self,
        *,
        percent_off: float | None = None,
        amount_off: int | None = None,
        currency: str | None = None,
        duration: str = "once",
        name: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
        stripe_account: str | None = None,
    ) -> FakeObject:
        """Register a coupon that ``discounts=[{"coupon": id}]`` may name; returns the coupon object.

        Exactly one of ``percent_off`` and ``amount_off`` (which needs ``currency``), as in Stripe.
        """
        if (percent_off is None) == (amount_off is None):
            raise ValueError("add_coupon needs exactly one of percent_off and amount_off")
        if amount_off is not None and not currency:
            raise ValueError("a coupon with amount_off needs a currency")
        if percent_off is not None and not 0 < percent_off <= 100:
            raise ValueError(f"percent_off must be more than 0 and at most 100, got {percent_off}")
        with self._lock:
            coupon = dict(
                shape(
                    COMPONENTS["coupon"],
                    {
                        "id": id or self.ids.opaque(8),
                        "object": "coupon",
                        "amount_off": amount_off,
                        "created": self.clock.now(),
                        "currency": currency.lower() if currency else None,
                        "duration": duration,
                        "livemode": is_live_key(api_key),
                        "metadata": {},
                        "name": name,
                        "percent_off": percent_off,
                        "times_redeemed": 0,
                        "valid": True,
                    },
                )
            )
            (self.account(api_key, stripe_account).coupons if api_key else self._shared_coupons)[coupon["id"]] = coupon
            return fake_object(coupon)

    def add_promotion_code(
        self,
        code: str,
        *,
        coupon: str,
        id: str | None = None,
        api_key: str | None = None,
        stripe_account: str | None = None,
    ) -> FakeObject:
        """Register a promotion code (the customer-facing ``code``) for a registered coupon; returns it."""
        with self._lock:
            found = (self.account(api_key, stripe_account).coupons if api_key else {}).get(
                coupon
            ) or self._shared_coupons.get(coupon)
            if found is None:
                raise ValueError(f"no coupon {coupon!r} is registered; add it with add_coupon first")
            # The fake keeps only what a session needs of a promotion code (its schema is not generated).
            promotion_id = id or self.ids.new("promo")
            promotion = {"id": promotion_id, "object": "promotion_code", "code": code, "coupon": found}
            target = self.account(api_key, stripe_account).promotion_codes if api_key else self._shared_promotion_codes
            target[promotion_id] = promotion
            return fake_object(promotion)

    def add_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        id: str | None = None,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **fields: Any,
    ) -> FakeObject:
        """Register a customer that ``customer=`` may name; returns the customer object."""
        with self._lock:
            livemode = is_live_key(api_key)
            customer = self.build.customer(
                id or self.ids.new("cus"), email=email, name=name, livemode=livemode, **fields
            )
            (self.account(api_key, stripe_account).customers if api_key else self._shared_customers)[customer["id"]] = (
                customer
            )
            return fake_object(customer)

    def stub(
        self,
        method: str,
        path: str,
        answer: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]],
        *,
        status: int = 200,
    ) -> None:
        """Answer ``method path`` with ``answer``: for Stripe endpoints the fake does not model.

        Without a stub such a path gets Stripe's 404, as any path Stripe does not have. ``path`` is exact
        (``/v1/billing_portal/sessions``) or a template (``/v1/billing_portal/configurations/{configuration}``);
        ``answer`` is a JSON-ready dict, or a function of the request's decoded params returning one. The request
        is still authenticated and logged like any other. A path the fake models can not be stubbed: its answer
        is the fake's.
        """
        method = method.upper()
        if not path.startswith("/v"):
            raise ValueError(f"a stubbed path is an API path such as '/v1/billing_portal/sessions', got {path!r}")
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), got {status}")
        example = re.sub(r"\{\w+\}", "x", path)
        for name, operation in DEFAULT.operations.items():
            if operation.match(method, example) is not None:
                raise ValueError(f"{method} {path} is the fake's own {name!r} endpoint; it can not be stubbed")
        with self._lock:
            self.stubs[(method, path)] = Stub(status, answer)
