"""The fake's routes as data (moto's ``urls.py``): each endpoint's method and path, and the function it runs.

Methods and paths come from the schema's operations; each operation maps to one handler function that calls
the backend with what the request carried: ``backend`` for the session's operations, ``resources`` for those
on the objects around a session. A test may add answers of its own for endpoints the fake does not
model (``CheckoutFake.stub``); those are matched here too, after the modelled ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_checkout.fake.backend import Account, CheckoutFake, Stub
from pytest_checkout.fake.resources import Resources
from pytest_checkout.schema.operations import Operation, path_pattern
from pytest_checkout.versions import ApiVersion, all_operations

__all__ = ["HANDLERS", "ROUTES", "Route", "match", "match_stub"]

#: What a route runs: the fake, the requesting account, the path's named parts, the decoded params, and the API
#: version the request is answered in.
Handler = Callable[[CheckoutFake, Account, Mapping[str, str], dict[str, Any], ApiVersion], dict[str, Any]]


def _session(name: str) -> Handler:
    """The handler of the session operation ``CheckoutFake.<name>``; with the path's session id when it has one."""

    def run(
        fake: CheckoutFake, account: Account, parts: Mapping[str, str], params: dict[str, Any], version: ApiVersion
    ) -> dict[str, Any]:
        operation = getattr(fake, name)
        on = (parts["session"],) if "session" in parts else ()
        answer: dict[str, Any] = operation(account, *on, params, version=version)
        return answer

    return run


def _create_customer(
    fake: CheckoutFake, account: Account, parts: Mapping[str, str], params: dict[str, Any], version: ApiVersion
) -> dict[str, Any]:
    return Resources(fake, account).create_customer(params)


def _retrieving(kind: str, part: str) -> Handler:
    """The handler of ``GET`` of one object of ``kind`` around a session, its id the path's part ``part``."""

    def retrieve(
        fake: CheckoutFake, account: Account, parts: Mapping[str, str], params: dict[str, Any], version: ApiVersion
    ) -> dict[str, Any]:
        return Resources(fake, account).retrieve(kind, parts[part], params)

    return retrieve


#: Operation name (as the schema calls it) -> the function that answers it.
HANDLERS: Mapping[str, Handler] = {
    "create": _session("create_session"),
    "retrieve": _session("retrieve_session"),
    "list": _session("list_sessions"),
    "list_line_items": _session("list_line_items"),
    "expire": _session("expire_session"),
    "update": _session("update_session"),
    # The objects around a session (fake/resources.py).
    "retrieve_price": _retrieving("price", "price"),
    "retrieve_product": _retrieving("product", "id"),
    "create_customer": _create_customer,
    "retrieve_customer": _retrieving("customer", "customer"),
    "retrieve_payment_intent": _retrieving("payment_intent", "intent"),
    "retrieve_subscription": _retrieving("subscription", "subscription_exposed_id"),
    "retrieve_setup_intent": _retrieving("setup_intent", "intent"),
}


@dataclass(frozen=True)
class Route:
    """One endpoint: the schema's operation (method, path template) and the function that answers it."""

    operation: Operation
    run: Handler


#: The modelled routes, one per operation of any registered version (a request whose version lacks one is
#: answered as Stripe answers an unknown URL).
ROUTES: tuple[Route, ...] = tuple(Route(op, HANDLERS[name]) for name, op in all_operations().items())
assert set(HANDLERS) == set(all_operations()), "every operation of the schema needs a handler"


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route answering ``method path`` and the path's named parts, or ``None``."""
    for route in ROUTES:
        parts = route.operation.match(method, path)
        if parts is not None:
            return route, parts
    return None


def match_stub(stubs: Mapping[tuple[str, str], Stub], method: str, path: str) -> Stub | None:
    """The answer a test registered for ``method path`` (exact path first, then templates), or ``None``."""
    exact = stubs.get((method, path))
    if exact is not None:
        return exact
    for (stub_method, template), stub in stubs.items():
        if stub_method == method and "{" in template and path_pattern(template).match(path):
            return stub
    return None
