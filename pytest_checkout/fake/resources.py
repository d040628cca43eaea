"""The objects around a session, as the API shows them: ``GET`` of a price, a product, a customer, a payment
intent, a subscription or a setup intent, and ``POST /v1/customers``.

Applications read these next to their sessions (a price to show, the payment intent or the subscription a
completed session points to) and create a customer before a session. The fake holds them already: prices and
customers a test registered (``add_price``, ``add_customer``), the price and product a session made inline
from ``price_data``/``product_data``, and the customer, payment intent, subscription and setup intent that
``complete`` (or a setup-mode create) made. ``Resources(fake, account)`` answers as that account sees them,
as the session operations of ``backend`` do. Nothing else of these APIs is modelled: no update, delete or list.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pytest_checkout.fake import exceptions, render
from pytest_checkout.schema import nodes
from pytest_checkout.validation import validate_params
from pytest_checkout.versions import DEFAULT

if TYPE_CHECKING:
    from pytest_checkout.fake.backend import CheckoutFake
    from pytest_checkout.fake.models import Account

__all__ = ["KINDS", "Resources"]


def _object_schema(name: str) -> nodes.Object:
    node = DEFAULT.components[name]
    assert isinstance(node, nodes.Object), name
    return node


#: The objects the fake holds, by the name the schema's expandable fields give them, with their schemas: what
#: ``expand[]`` can turn an id into.
KINDS: Mapping[str, nodes.Object] = {
    kind: _object_schema(kind)
    for kind in ("customer", "payment_intent", "price", "product", "setup_intent", "subscription")
}
#: What error messages call each kind's objects.
_PLURALS = {
    "customer": "customers",
    "payment_intent": "payment intents",
    "price": "prices",
    "product": "products",
    "setup_intent": "setup intents",
    "subscription": "subscriptions",
}
#: Parameters of ``POST /v1/customers`` that the customer shows as given (objects are fitted to its schema).
_CUSTOMER_FIELDS = (
    "address",
    "balance",
    "description",
    "email",
    "invoice_prefix",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "shipping",
    "tax_exempt",
)
# Accepted and not shown: ``cash_balance``, ``tax`` and ``tax_id_data`` set what only fields Stripe includes on
# request show (``cash_balance``, ``tax``, ``tax_ids``), which the fake does not include.
#: Parameters that name objects the fake does not hold, or set what it does not model: refused, said plainly.
_NOT_MODELLED = {
    ("coupon",): "it does not model a customer's discount",
    ("invoice_settings", "default_payment_method"): "it holds no payment methods",
    ("payment_method",): "it holds no payment methods",
    ("promotion_code",): "it does not model a customer's discount",
    ("source",): "it holds no payment sources",
    ("test_clock",): "it holds no test clocks",
}


class Resources:
    """The operations on the objects around a session, for one account of a fake."""

    def __init__(self, fake: CheckoutFake, account: Account) -> None:
        self.fake = fake
        self.account = account
        # Prices met while answering, looked at first when a product is wanted (it is named by a price).
        self._seen: list[Mapping[str, Any]] = []

    # -- the API's operations -------------------------------------------------------------------------------------

    def retrieve(self, kind: str, object_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/{kind}s/{id}``: the object, with the ``expand[]`` it asked for, or Stripe's 404."""
        with self.fake._lock:
            validate_params(f"retrieve_{kind}", params, normalized=True)
            found = self._find(kind, object_id)
            if found is None:
                raise exceptions.no_such_resource(kind, object_id)
            return self._expanded(kind, found, params)

    def create_customer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/customers``: a new customer of the account, which ``customer=`` of a session then names.

        Stored as ``add_customer`` stores one (in the account, where a session's ``customer`` is looked up).
        Unverified: that ``metadata`` values given empty are kept as ``""``, as a session keeps them at create.
        """
        with self.fake._lock:
            validate_params("create_customer", params, normalized=True)
            for keys, reason in _NOT_MODELLED.items():
                value = _dig(params, keys)
                if value is not None and value != "":
                    param = keys[0] + "".join(f"[{key}]" for key in keys[1:])
                    raise exceptions.fake_cannot_use(param, "customers", reason)
            fields = {key: params[key] for key in _CUSTOMER_FIELDS if params.get(key) not in (None, "")}
            settings = params.get("invoice_settings")
            if isinstance(settings, Mapping):
                fields["invoice_settings"] = {
                    "custom_fields": settings.get("custom_fields") or None,
                    "default_payment_method": None,
                    "footer": settings.get("footer") or None,
                    "rendering_options": settings.get("rendering_options") or None,
                }
            email, name = fields.pop("email", None), fields.pop("name", None)
            customer = self.fake.build.customer(
                self.fake.ids.new("cus"), email=email, name=name, livemode=self.account.livemode, **fields
            )
            answer = self._expanded("customer", customer, params)  # refused expansions store nothing
            self.account.customers[customer["id"]] = customer
            return answer

    def expand_line_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A page of line items with each price's ``product`` as the object (``expand[]=data.price.product``).

        A product the fake does not know (``price_data[product]`` naming one it never saw) stays an id.
        """
        with self.fake._lock:
            for item in items:
                price = item.get("price")
                if isinstance(price, Mapping) and isinstance(price.get("product"), str):
                    product = self._product_of(price)
                    if product is not None:
                        # A new price dict: the stored one may be shared with other items.
                        item["price"] = {**price, "product": product}
            return items

    # -- finding objects ------------------------------------------------------------------------------------------

    def _expanded(self, kind: str, found: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        answer = copy.deepcopy(dict(found))
        if kind == "price":
            self._seen.append(found)
        paths = render.expand_paths(params)
        return render.expand_object(KINDS[kind], answer, paths, what=_PLURALS[kind], kinds=KINDS, resolve=self._resolve)

    def _resolve(self, kind: str, object_id: str) -> dict[str, Any] | None:
        found = self._find(kind, object_id)
        return copy.deepcopy(dict(found)) if found is not None else None

    def _find(self, kind: str, object_id: str) -> Mapping[str, Any] | None:
        if kind == "customer":
            return self.fake._customers_for(self.account).get(object_id)
        if kind == "price":
            return self._price(object_id)
        if kind == "product":
            return self._product(object_id)
        found = self.account.objects.get(object_id)
        return found if found is not None and found.get("object") == kind else None

    def _price(self, price_id: str) -> Mapping[str, Any] | None:
        registered = self.fake._prices_for(self.account).get(price_id)
        if registered is not None:
            return registered
        return next((price for price in self._inline_prices() if price["id"] == price_id), None)

    def _product(self, product_id: str) -> dict[str, Any] | None:
        # A product is known through a price that names it: those met already, the registered ones, the inline ones.
        for prices in (self._seen, self.fake._prices_for(self.account).values(), self._inline_prices()):
            for price in prices:
                if price.get("product") == product_id:
                    return self._product_of(price)
        return None

    def _inline_prices(self) -> Iterator[Mapping[str, Any]]:
        """The prices the account's sessions made from ``price_data``, newest session first.

        Read off the stored line items, so an id that is not a registered price costs a walk over the account's
        sessions; applications mostly retrieve registered prices, found at once.
        """
        account = self.account
        for session_id in reversed(account.order):
            for item in account.sessions[session_id].line_items:
                price = item.get("price")
                if isinstance(price, Mapping):
                    yield price

    def _product_of(self, price: Mapping[str, Any]) -> dict[str, Any] | None:
        """The product ``price`` names, or None when the fake never learnt its name.

        Unverified: that a product made inline from ``product_data`` is inactive, as the price made with it is.
        The fake keeps only a product's name, so ``description``, ``images`` and ``metadata`` given in
        ``product_data`` are not shown.
        """
        product_id = price.get("product")
        name = self.fake._product_names.get(product_id) if isinstance(product_id, str) else None
        if not isinstance(product_id, str) or name is None:
            return None
        return self.fake.build.product(
            product_id,
            name=name,
            active=bool(price.get("active")),
            livemode=bool(price.get("livemode")),
            created=int(price.get("created") or 0),
        )


def _dig(params: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = params
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
