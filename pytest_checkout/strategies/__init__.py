"""Hypothesis strategies for Checkout Session create params, sessions, line item lists and events.

Everything here is derived from the schema of the default API version (``versions.DEFAULT``) and from Stripe's
tables in :mod:`pytest_checkout.rules`: one strategy builder per schema node kind (``NODE_STRATEGIES``), walked
at a schema path, with the parameters that the cross-field rules tie together (mode, currency, payment methods,
amounts, mode-only parameters, exclusive pairs) drawn in order inside ``st.composite`` functions.

Parameters that name other objects draw from the ids in :data:`REFERENCES` and :data:`PRICES`;
:func:`register_references` adds those objects to a ``CheckoutFake``, so the fake accepts every example
(``validate_create_params`` takes ids on trust when it knows no objects).
"""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    """Hypothesis's entry point for third-party strategies: ``st.from_type(SessionCreateParams)`` is valid params.

    Defined before anything is imported: Hypothesis may load this module through the entry point while it is
    itself being imported.
    """
    from hypothesis import strategies as st

    from pytest_checkout.strategies.params import create_params
    from pytest_checkout.versions import types

    st.register_type_strategy(types.SessionCreateParams, create_params())


from pytest_checkout.strategies import named  # noqa: E402 - after the hook, see its docstring
from pytest_checkout.strategies.answers import (  # noqa: E402 - after the hook, see its docstring
    events,
    invalid_create_params,
    line_items_lists,
    register_references,
    sessions,
)
from pytest_checkout.strategies.params import (  # noqa: E402 - after the hook, see its docstring
    MODES,
    PAYMENT_METHOD_TYPES,
    create_params,
    customer_update,
    line_items,
    payment_method_options,
    price_data,
    shipping_options,
)
from pytest_checkout.strategies.walk import (  # noqa: E402 - after the hook, see its docstring
    NODE_STRATEGIES,
    OMIT,
    PRICES,
    REFERENCES,
    from_node,
    schema_node,
)


def __getattr__(name: str) -> Any:
    """``acss_debit()``, ``recovery()``...: a strategy per type of the params, named after it (see ``named``)."""
    import functools

    if name in named.names():
        strategy = functools.partial(named.of_type, name)
        functools.update_wrapper(strategy, named.of_type)
        return strategy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODES",
    "NODE_STRATEGIES",
    "OMIT",
    "PAYMENT_METHOD_TYPES",
    "PRICES",
    "REFERENCES",
    "create_params",
    "customer_update",
    "events",
    "from_node",
    "invalid_create_params",
    "line_items",
    "line_items_lists",
    "named",
    "payment_method_options",
    "price_data",
    "register_references",
    "schema_node",
    "sessions",
    "shipping_options",
]
