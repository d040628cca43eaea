"""Invalid params with their predicted error, and objects shaped like the fake's answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from pytest_checkout import codec
from pytest_checkout.rules import MODE_ONLY
from pytest_checkout.schema import nodes
from pytest_checkout.strategies.params import (
    create_params,
)
from pytest_checkout.strategies.walk import (
    _TEXT,
    _WORD,
    OMIT,
    PRICES,
    REFERENCES,
    ROOT,
    Strategy,
    _at,
)

# -- Invalid params --------------------------------------------------------------------------------------------

_DEFECTS = ("unknown", "missing", "enum", "too_long", "empty", "mode_only")


def _top_level_strings(predicate: Callable[[nodes.String], bool]) -> list[str]:
    return [
        key
        for key, node in ROOT.properties.items()
        if isinstance(node, nodes.String) and predicate(node) and key not in MODE_ONLY
    ]


@st.composite
def invalid_create_params(draw: st.DrawFn) -> tuple[dict[str, Any], str | None, str | None]:
    """Params with exactly one defect, with the ``param`` and ``code`` of Stripe's error about it."""
    defect = draw(st.sampled_from(_DEFECTS))
    params = draw(create_params(mode="payment" if defect == "mode_only" else None))
    if defect == "unknown":
        name = draw(_WORD.map(lambda w: f"x_{w}").filter(lambda w: w not in ROOT.properties))
        params[name] = draw(_TEXT)
        return params, name, "parameter_unknown"
    if defect == "missing":
        key = draw(st.sampled_from(sorted(ROOT.required)))
        del params[key]
        return params, key, "parameter_missing"
    if defect == "enum":
        key = draw(st.sampled_from(_top_level_strings(lambda n: n.enum is not None and len(n.enum) > 1)))
        if key == "mode":
            # Another mode's params would also be wrong: keep those the walk reads first.
            params = {k: v for k, v in params.items() if k not in MODE_ONLY}
        params[key] = "not_" + draw(_WORD)
        return params, key, None
    if defect == "too_long":
        key = draw(st.sampled_from(_top_level_strings(lambda n: n.max_length is not None)))
        node = ROOT.properties[key]
        assert isinstance(node, nodes.String)
        assert node.max_length is not None
        params[key] = "a" * (node.max_length + 1)
        return params, key, None
    if defect == "empty":
        key = draw(
            st.sampled_from(
                [
                    k
                    for k, n in ROOT.properties.items()
                    if not n.emptyable and k != "mode" and not isinstance(n, nodes.Removed)
                ]
            )
        )
        params = _without_dependents(params, key)
        params[key] = ""
        return params, key, "parameter_invalid_empty"
    # A parameter of another mode.
    name = draw(st.sampled_from([n for n, allowed in MODE_ONLY.items() if allowed != "payment"]))
    params.pop("submit_type", None)  # submit_type and subscription_data are refused together first
    value = draw(_at(name, {f"{name}[trial_end]": OMIT, f"{name}[transfer_data]": OMIT}))
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "application_fee_percent"}
        value["description"] = "from another mode"  # never empty on the wire (an empty hash is not sent)
    params[name] = value
    return params, name, None


def _without_dependents(params: dict[str, Any], key: str) -> dict[str, Any]:
    """Params without what depends on ``key`` (so blanking it leaves exactly one defect)."""
    out = dict(params)
    if key == "customer":
        out.pop("customer_update", None)
    if key == "line_items":
        out.pop("shipping_options", None)
    return out


# -- Answers of the fake ---------------------------------------------------------------------------------------

_API_KEY = "sk_test_strategies"
_HEADERS = {"Authorization": f"Bearer {_API_KEY}", "Content-Type": "application/x-www-form-urlencoded"}


def register_references(fake: Any) -> None:
    """Add the objects whose ids the strategies draw (:data:`REFERENCES`) to a ``CheckoutFake``."""
    fake.add_customer(id=REFERENCES["customer"], email="jenny@example.com")
    coupon = fake.add_coupon(id=REFERENCES["coupon"], percent_off=10)
    fake.add_promotion_code(id=REFERENCES["promotion_code"], code="STRATEGIES", coupon=coupon["id"])
    for currency, (price, amount) in PRICES.items():
        fake.add_price(id=price, currency=currency, unit_amount=amount, product_name=f"Strategies {currency}")


def _fresh_fake() -> Any:
    from pytest_checkout.fake import CheckoutFake

    fake = CheckoutFake()
    register_references(fake)
    return fake


def _call(fake: Any, method: str, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    from pytest_checkout.fake import handle

    body = codec.encode_body(params) if params else None
    if method == "GET" and body:
        path, body = f"{path}?{body}", None
    response = handle(fake, method, f"{fake.api_base}{path}", _HEADERS, body)
    answer: dict[str, Any] = json.loads(response.body)
    if response.status != 200:
        raise AssertionError(f"the fake answered {response.status}: {answer}")
    return answer


_STATUSES = ("open", "complete", "expired")


@st.composite
def _session_in_fake(draw: st.DrawFn, mode: str | None, status: str | None) -> tuple[Any, dict[str, Any]]:
    fake = _fresh_fake()
    params = draw(create_params(mode=mode))
    params.pop("expand", None)
    session = _call(fake, "POST", "/v1/checkout/sessions", params)
    chosen = status or draw(st.sampled_from(_STATUSES))
    if chosen == "complete":
        fake.complete(session["id"])
    elif chosen == "expired":
        _call(fake, "POST", f"/v1/checkout/sessions/{session['id']}/expire")
    return fake, _call(fake, "GET", f"/v1/checkout/sessions/{session['id']}")


def sessions(*, mode: str | None = None, status: str | None = None) -> Strategy[dict[str, Any]]:
    """Checkout Session objects as the fake answers them (JSON dicts), ``open``, ``complete`` or ``expired``."""
    return _session_in_fake(mode, status).map(lambda found: found[1])


@st.composite
def line_items_lists(draw: st.DrawFn) -> dict[str, Any]:
    """A session's line items list (``GET /v1/checkout/sessions/{id}/line_items``) as the fake answers it."""
    fake, session = draw(_session_in_fake(draw(st.sampled_from(["payment", "subscription"])), "open"))
    return _call(fake, "GET", f"/v1/checkout/sessions/{session['id']}/line_items", {"limit": 100})


@st.composite
def events(draw: st.DrawFn, *, type: str | None = None) -> Any:
    """``pytest_checkout.fake.Event`` objects of ``type`` (any Checkout event type when None), from a fake."""
    from pytest_checkout.fake import EVENT_TYPES

    chosen = type or draw(st.sampled_from(EVENT_TYPES))
    if chosen not in EVENT_TYPES:
        raise ValueError(f"unknown Checkout event type {chosen!r}; one of {', '.join(EVENT_TYPES)}")
    fake = _fresh_fake()
    if chosen == "checkout.session.expired":
        params = draw(create_params())
    else:
        params = draw(create_params(mode="payment", payment_method_types=["sepa_debit"] if "async" in chosen else None))
    params.pop("expand", None)
    session = _call(fake, "POST", "/v1/checkout/sessions", params)
    if chosen == "checkout.session.expired":
        _call(fake, "POST", f"/v1/checkout/sessions/{session['id']}/expire")
    elif chosen == "checkout.session.completed":
        fake.complete(session["id"])
    else:
        fake.complete(session["id"], async_payment=True, payment_method_type="sepa_debit")
        fake.settle_async_payment(session["id"], succeeded=chosen.endswith("succeeded"))
    return next(event for event in fake.events if event.type == chosen)
