"""The Session client against a ``responses`` stub: requests sent, answers decoded, errors raised, retries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
import responses

from pytest_checkout import codec, errors
from pytest_checkout.client import Client, LineItem, Session, TodayLineItem, TodaySession, today_client
from pytest_checkout.objects import ListObject
from pytest_checkout.schema import nodes
from pytest_checkout.schema import v2022_08_01 as schema

API = "https://api.stripe.com"
SESSIONS = f"{API}/v1/checkout/sessions"
API_KEY = "sk_test_51LbTeStKeY0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZabcd"
MASKED_KEY = "sk_test_...abcd"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# ------------------------------------------------------------------------------------------ realistic answers


def _id(prefix: str, n: int, seed: int) -> str:
    alphabet = "aB3cD4eF5gH6iJ7kL8mN9oP0qRsTuVwXyZ12"
    return prefix + "".join(alphabet[(seed * 7 + i * 13) % len(alphabet)] for i in range(n))


def session_id(seed: int = 1) -> str:
    return "cs_test_a1" + _id("", 56, seed)


def _sample(node: nodes.Node) -> Any:
    """A schema-shaped placeholder for a field the realistic values below leave to the schema."""
    if node.nullable:
        return None
    if isinstance(node, nodes.Object):
        return {name: _sample(node.properties[name]) for name in sorted(node.required)}
    if isinstance(node, nodes.String):
        return node.enum[0] if node.enum else "x"
    if isinstance(node, nodes.Integer):
        return 0
    if isinstance(node, nodes.Boolean):
        return False
    if isinstance(node, nodes.Array):
        return []
    if isinstance(node, nodes.Map):
        return {}
    raise AssertionError(f"no placeholder for {node!r}")


def session_json(seed: int = 1, *, line_items: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """An open payment-mode session as Stripe answers it on 2022-08-01: every field of the spec's schema.

    ``line_items`` is only in answers that expanded it, so it is left out unless given.
    """
    ident = session_id(seed)
    realistic: dict[str, Any] = {
        "id": ident,
        "object": "checkout.session",
        "amount_subtotal": 4000,
        "amount_total": 4000,
        "automatic_tax": {"enabled": False, "status": None},
        "cancel_url": "https://example.com/cancel",
        "client_reference_id": "order_1234",
        "created": 1661990400,
        "currency": "usd",
        "customer_creation": "if_required",
        "expires_at": 1661990400 + 86400,
        "livemode": False,
        "metadata": {"order_id": "1234"},
        "mode": "payment",
        "payment_method_collection": "always",
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "shipping_options": [],
        "status": "open",
        "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
        "tax_id_collection": {"enabled": False},
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "url": f"https://checkout.stripe.com/c/pay/{ident}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
    }
    realistic.update(overrides)
    properties = schema.CHECKOUT_SESSION.properties
    assert set(realistic) <= set(properties), set(realistic) - set(properties)
    answer = {name: realistic[name] if name in realistic else _sample(node) for name, node in properties.items()}
    if line_items is None:
        del answer["line_items"]
    else:
        answer["line_items"] = line_items
    return answer


def line_item_json(seed: int = 1) -> dict[str, Any]:
    """A line item as the line items endpoint answers it: every field of the spec's ``item`` schema."""
    price_id = _id("price_1Lb", 14, seed)
    realistic: dict[str, Any] = {
        "id": _id("li_1Lb", 21, seed),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": 4000,
        "amount_tax": 0,
        "amount_total": 4000,
        "currency": "usd",
        "description": "T-shirt",
        "price": {
            "id": price_id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": 1661990000,
            "currency": "usd",
            "livemode": False,
            "product": "prod_MK2fTeStPrOdUc",
            "type": "one_time",
            "unit_amount": 2000,
            "unit_amount_decimal": "2000",
        },
        "product": "prod_MK2fTeStPrOdUc",
        "quantity": 2,
    }
    properties = schema.ITEM.properties
    return {name: realistic[name] if name in realistic else _sample(node) for name, node in properties.items()}


def list_json(data: list[dict[str, Any]], *, has_more: bool, url: str = "/v1/checkout/sessions") -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# ------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def stub() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Client:
    return Client(API_KEY, sleep=sleeps.append)


@pytest.fixture
def retrying(sleeps: list[float]) -> Client:
    return Client(API_KEY, max_network_retries=2, sleep=sleeps.append)


def body_of(call: Any) -> str:
    body = call.request.body
    return body.decode() if isinstance(body, bytes) else (body or "")


def query_of(call: Any) -> list[tuple[str, str]]:
    """The query's pairs, in order: requests escapes the brackets ``encode_body`` leaves bare, as for the SDK."""
    return parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True)


def raw_query(call: Any) -> str:
    return urlsplit(call.request.url).query


def pairs(params: Any) -> list[tuple[str, str]]:
    return parse_qsl(codec.encode_body(params), keep_blank_values=True)


def path_of(call: Any) -> str:
    return urlsplit(call.request.url).path


CREATE_PARAMS: Any = {
    "mode": "payment",
    "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://example.com/cancel",
    "client_reference_id": "order_1234",
    "line_items": [
        {"price": "price_1LbTsHirt", "quantity": 2},
        {
            "price_data": {
                "currency": "usd",
                "product_data": {"name": "Gift wrap & card", "metadata": {"sku": "gw-1"}},
                "unit_amount": 500,
            },
            "quantity": 1,
            "adjustable_quantity": {"enabled": True, "maximum": 5},
        },
    ],
    "payment_method_types": ["card"],
    "metadata": {"order_id": "1234"},
    "allow_promotion_codes": True,
    "expand": ["line_items"],
}


# ------------------------------------------------------------------------------------------- the operations


def test_create_posts_the_encoded_params_with_stripe_headers(client, stub):
    answer = session_json()
    stub.add(responses.POST, SESSIONS, json=answer, headers={"Request-Id": "req_AbCdEfGhIjKlMn"})

    session = Session.create(client, CREATE_PARAMS)

    (call,) = stub.calls
    assert call.request.method == "POST"
    assert path_of(call) == "/v1/checkout/sessions"
    assert body_of(call) == codec.encode_body(CREATE_PARAMS)
    assert "line_items[1][price_data][product_data][name]=Gift+wrap+%26+card" in body_of(call)
    headers = call.request.headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Stripe-Version"] == "2022-08-01"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "pytest-checkout" in headers["User-Agent"]
    assert UUID4.match(headers["Idempotency-Key"])
    assert type(session) is Session
    assert session.to_dict() == answer
    assert session.id == answer["id"]
    assert session.amount_total == 4000
    assert session.metadata == {"order_id": "1234"}
    assert session.line_items is None


def test_every_post_gets_a_fresh_idempotency_key_unless_one_is_given(client, stub):
    stub.add(responses.POST, SESSIONS, json=session_json())
    Session.create(client, CREATE_PARAMS)
    Session.create(client, CREATE_PARAMS)
    Session.create(client, CREATE_PARAMS, idempotency_key="order-1234-attempt-1")

    keys = [call.request.headers["Idempotency-Key"] for call in stub.calls]
    assert keys[0] != keys[1]
    assert keys[2] == "order-1234-attempt-1"


def test_the_api_version_can_be_pinned_otherwise(stub):
    stub.add(responses.POST, SESSIONS, json=session_json())
    Session.create(Client(API_KEY, api_version="2020-08-27"), CREATE_PARAMS)
    assert stub.calls[0].request.headers["Stripe-Version"] == "2020-08-27"


def test_today_s_session_sends_today_s_version_on_every_operation_and_decodes_today_s_shapes(stub):
    ident = session_id()
    secret = f"{ident}_secret_fidwbEhqYWAnPydmcHZxamh"
    answer = {"id": ident, "object": "checkout.session", "ui_mode": "embedded_page", "client_secret": secret}
    item = {"id": "li_1", "object": "item", "description": "T-shirt", "quantity": 1}
    stub.add(responses.POST, SESSIONS, json=answer)
    stub.add(responses.GET, f"{SESSIONS}/{ident}", json=answer)
    stub.add(responses.GET, SESSIONS, json=list_json([answer], has_more=False))
    stub.add(responses.GET, f"{SESSIONS}/{ident}/line_items", json=list_json([item], has_more=False))
    stub.add(responses.POST, f"{SESSIONS}/{ident}/expire", json=answer)
    stub.add(responses.POST, f"{SESSIONS}/{ident}", json=answer)
    client = today_client(API_KEY)

    created = TodaySession.create(client, {"mode": "payment", "ui_mode": "embedded_page", "return_url": "https://x"})
    TodaySession.retrieve(client, ident)
    (listed,) = TodaySession.list(client, {"status": "open"})
    (line_item,) = TodaySession.list_line_items(client, ident)
    TodaySession.expire(client, ident)
    TodaySession.update(client, ident, {"metadata": {"order": "1"}})

    assert [call.request.headers["Stripe-Version"] for call in stub.calls] == ["2026-10-28.endive"] * 6
    assert body_of(stub.calls[0]) == "mode=payment&ui_mode=embedded_page&return_url=https%3A%2F%2Fx"
    assert query_of(stub.calls[2]) == [("status", "open")]
    assert (type(created), type(listed), type(line_item)) == (TodaySession, TodaySession, TodayLineItem)
    assert (created.client_secret, created.ui_mode, created.url) == (secret, "embedded_page", None)
    assert line_item.description == "T-shirt"
    with pytest.raises(ValueError, match=r"pinned to '2022-08-01'"):
        TodaySession.retrieve(Client(API_KEY), ident)
    assert len(stub.calls) == 6  # refused before any request


def test_retrieve_gets_the_session_with_expanded_line_items(client, stub):
    ident = session_id()
    items = [line_item_json(1), line_item_json(2)]
    answer = session_json(line_items=list_json(items, has_more=False, url=f"/v1/checkout/sessions/{ident}/line_items"))
    assert len(answer) == len(schema.CHECKOUT_SESSION.properties) == 44
    stub.add(responses.GET, f"{SESSIONS}/{ident}", json=answer)

    session = Session.retrieve(client, ident, expand=["line_items"])

    (call,) = stub.calls
    assert call.request.method == "GET"
    assert path_of(call) == f"/v1/checkout/sessions/{ident}"
    assert query_of(call) == pairs({"expand": ["line_items"]}) == [("expand[0]", "line_items")]
    assert call.request.body is None
    assert "Idempotency-Key" not in call.request.headers
    assert call.request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.request.headers["Stripe-Version"] == "2022-08-01"
    assert type(session) is Session
    assert session.to_dict() == answer
    for name in schema.CHECKOUT_SESSION.properties:
        if name != "line_items":
            assert getattr(session, name) == answer[name], name
    assert isinstance(session.line_items, ListObject)
    assert [type(item) for item in session.line_items] == [LineItem, LineItem]
    assert [item.to_dict() for item in session.line_items] == items
    assert session.line_items.data[0].quantity == 2
    assert session.line_items.data[0].price is not None
    assert session.line_items.data[0].price["unit_amount"] == 2000


def test_retrieve_without_expand_sends_no_query(client, stub):
    ident = session_id()
    stub.add(responses.GET, f"{SESSIONS}/{ident}", json=session_json())
    Session.retrieve(client, ident)
    assert urlsplit(stub.calls[0].request.url).query == ""


def test_expanded_line_items_page_on_through_the_line_items_endpoint(client, stub):
    ident = session_id()
    first = [line_item_json(1), line_item_json(2)]
    rest = [line_item_json(3)]
    url = f"/v1/checkout/sessions/{ident}/line_items"
    stub.add(
        responses.GET, f"{SESSIONS}/{ident}", json=session_json(line_items=list_json(first, has_more=True, url=url))
    )
    stub.add(responses.GET, f"{API}{url}", json=list_json(rest, has_more=False, url=url))

    session = Session.retrieve(client, ident, expand=["line_items"])
    assert session.line_items is not None
    ids = [item.id for item in session.line_items.auto_paging_iter()]

    assert ids == [i["id"] for i in first + rest]
    assert path_of(stub.calls[1]) == url
    assert parse_qs(raw_query(stub.calls[1])) == {"starting_after": [first[-1]["id"]]}


def test_list_sends_the_filters_and_decodes_a_page_of_sessions(client, stub):
    params: Any = {"limit": 3, "customer_details": {"email": "jenny.rosen@example.com"}, "expand": ["data.customer"]}
    answers = [session_json(1), session_json(2)]
    stub.add(responses.GET, SESSIONS, json=list_json(answers, has_more=False))

    page = Session.list(client, params)

    (call,) = stub.calls
    assert call.request.method == "GET"
    assert path_of(call) == "/v1/checkout/sessions"
    assert query_of(call) == pairs(params)
    assert ("customer_details[email]", "jenny.rosen@example.com") in query_of(call)
    assert isinstance(page, ListObject)
    assert [type(s) for s in page] == [Session, Session]
    assert [s.to_dict() for s in page] == answers
    assert page.has_more is False
    assert page.url == "/v1/checkout/sessions"


def test_list_without_params_sends_no_query(client, stub):
    stub.add(responses.GET, SESSIONS, json=list_json([], has_more=False))
    page = Session.list(client)
    assert urlsplit(stub.calls[0].request.url).query == ""
    assert list(page.auto_paging_iter()) == []


def test_auto_paging_iter_fetches_three_pages_with_starting_after_and_the_same_filters(client, stub):
    pages = [[session_json(1), session_json(2)], [session_json(3), session_json(4)], [session_json(5)]]
    for n, data in enumerate(pages):
        stub.add(responses.GET, SESSIONS, json=list_json(data, has_more=n < 2))
    params: Any = {"limit": 2, "customer": "cus_MK2fTeStCuStOm"}

    ids = [s.id for s in Session.list(client, params).auto_paging_iter()]

    assert ids == [s["id"] for page in pages for s in page]
    assert len(stub.calls) == 3
    queries = [parse_qs(raw_query(call)) for call in stub.calls]
    assert queries[0] == {"limit": ["2"], "customer": ["cus_MK2fTeStCuStOm"]}
    assert queries[1] == {**queries[0], "starting_after": [pages[0][-1]["id"]]}
    assert queries[2] == {**queries[0], "starting_after": [pages[1][-1]["id"]]}


def test_a_list_opened_with_ending_before_keeps_walking_towards_newer_objects(client, stub):
    stub.add(responses.GET, SESSIONS, json=list_json([session_json(3), session_json(4)], has_more=True))
    stub.add(responses.GET, SESSIONS, json=list_json([session_json(1), session_json(2)], has_more=False))

    items = list(Session.list(client, {"ending_before": session_id(5)}).auto_paging_iter())

    assert len(items) == 4
    assert parse_qs(raw_query(stub.calls[1])) == {"ending_before": [session_id(3)]}


def test_list_line_items_decodes_line_items_and_pages_on(client, stub):
    ident = session_id()
    url = f"/v1/checkout/sessions/{ident}/line_items"
    first = [line_item_json(1), line_item_json(2)]
    stub.add(responses.GET, f"{API}{url}", json=list_json(first, has_more=True, url=url))
    stub.add(responses.GET, f"{API}{url}", json=list_json([line_item_json(3)], has_more=False, url=url))

    page = Session.list_line_items(client, ident, {"limit": 2})

    call = stub.calls[0]
    assert call.request.method == "GET"
    assert path_of(call) == url
    assert query_of(call) == pairs({"limit": 2}) == [("limit", "2")]
    assert [type(item) for item in page] == [LineItem, LineItem]
    assert [item.to_dict() for item in page] == first
    assert page.data[0].amount_total == 4000
    assert page.url == url
    assert len(list(page.auto_paging_iter())) == 3
    assert parse_qs(raw_query(stub.calls[1])) == {"limit": ["2"], "starting_after": [first[-1]["id"]]}


def test_expire_posts_to_the_expire_path(client, stub):
    ident = session_id()
    answer = session_json(status="expired", url=None)
    stub.add(responses.POST, f"{SESSIONS}/{ident}/expire", json=answer)

    session = Session.expire(client, ident)

    (call,) = stub.calls
    assert call.request.method == "POST"
    assert path_of(call) == f"/v1/checkout/sessions/{ident}/expire"
    assert body_of(call) == ""
    assert UUID4.match(call.request.headers["Idempotency-Key"])
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert type(session) is Session
    assert session.status == "expired"
    assert session.url is None


def test_expire_with_expand_and_an_idempotency_key(client, stub):
    ident = session_id()
    stub.add(responses.POST, f"{SESSIONS}/{ident}/expire", json=session_json(status="expired", url=None))

    Session.expire(client, ident, expand=["line_items"], idempotency_key="expire-order-1234")

    (call,) = stub.calls
    assert body_of(call) == codec.encode_body({"expand": ["line_items"]})
    assert call.request.headers["Idempotency-Key"] == "expire-order-1234"


@pytest.mark.parametrize("bad_id", ["", "   ", "\n"])
@pytest.mark.parametrize("operation", ["retrieve", "list_line_items", "expire"])
def test_a_blank_id_is_refused_before_any_request(client, stub, operation, bad_id):
    with pytest.raises(ValueError, match="session id must be a non-empty string"):
        getattr(Session, operation)(client, bad_id)
    assert len(stub.calls) == 0


def test_ids_are_quoted_into_the_path(client, stub):
    stub.add(responses.GET, re.compile(r".*"), json=session_json())
    Session.retrieve(client, "cs_test_../../v1/customers?x=1")
    assert stub.calls[0].request.url == f"{SESSIONS}/cs_test_..%2F..%2Fv1%2Fcustomers%3Fx%3D1"


def test_a_bare_string_for_expand_is_refused(client, stub):
    with pytest.raises(TypeError, match="expand must be a list of strings"):
        Session.retrieve(client, session_id(), expand="line_items")  # type: ignore[arg-type]
    assert len(stub.calls) == 0


def test_api_base_may_point_elsewhere(stub):
    stub.add(responses.GET, "http://localhost:12111/v1/checkout/sessions", json=list_json([], has_more=False))
    Session.list(Client(API_KEY, api_base="http://localhost:12111/"))
    assert stub.calls[0].request.url == "http://localhost:12111/v1/checkout/sessions"


def test_a_shared_http_session_is_used_and_left_open(stub):
    class Shared(requests.Session):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    http = Shared()
    http.headers["X-Test"] = "shared"
    stub.add(responses.GET, SESSIONS, json=list_json([], has_more=False))
    with Client(API_KEY, http=http) as client:
        Session.list(client)
    assert stub.calls[0].request.headers["X-Test"] == "shared"
    assert http.closed is False


# -------------------------------------------------------------------------------------------------- errors


def _envelope(type_: str, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": type_}
    if code is not None:
        error["code"] = code
        error["doc_url"] = errors.doc_url_for(code)
    error["message"] = message
    if param is not None:
        error["param"] = param
    return {"error": error}


ERROR_CASES = [
    pytest.param(
        400,
        _envelope("invalid_request_error", "Missing required param: success_url.", "parameter_missing", "success_url"),
        errors.InvalidRequestError,
        id="400",
    ),
    pytest.param(
        401,
        _envelope("invalid_request_error", "Invalid API Key provided: sk_test_********************abcd"),
        errors.AuthenticationError,
        id="401",
    ),
    pytest.param(
        402,
        _envelope("card_error", "Your card was declined.", "card_declined"),
        errors.CardError,
        id="402",
    ),
    pytest.param(
        403,
        _envelope("invalid_request_error", "The provided key does not have the required permissions."),
        errors.PermissionDeniedError,
        id="403",
    ),
    pytest.param(
        404,
        _envelope("invalid_request_error", "No such checkout.session: 'cs_test_nope'", "resource_missing", "session"),
        errors.InvalidRequestError,
        id="404",
    ),
    pytest.param(
        409,
        _envelope(
            "invalid_request_error",
            "There is currently another in-progress request using this idempotency key.",
            "idempotency_key_in_use",
        ),
        errors.APIError,
        id="409",
    ),
    pytest.param(
        429,
        _envelope("invalid_request_error", "Too many requests hit the API too quickly.", "rate_limit"),
        errors.RateLimitError,
        id="429",
    ),
    pytest.param(500, _envelope("api_error", "An unknown error occurred"), errors.APIError, id="500"),
    pytest.param(503, _envelope("api_error", "Service unavailable"), errors.APIError, id="503"),
    pytest.param(
        400,
        _envelope(
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same parameters they were first used with. "
            "Try using a key other than 'order-1' if you meant to execute a different request.",
        ),
        errors.IdempotencyError,
        id="idempotency_error",
    ),
]


@pytest.mark.parametrize(("status", "envelope", "error_class"), ERROR_CASES)
def test_error_answers_raise_the_class_stripe_documents(client, stub, status, envelope, error_class):
    stub.add(responses.POST, SESSIONS, status=status, json=envelope, headers={"Request-Id": "req_Zy9XwVuTsRqPoN"})

    with pytest.raises(errors.StripeError) as raised:
        Session.create(client, CREATE_PARAMS)

    exc = raised.value
    expected = envelope["error"]
    assert type(exc) is error_class
    assert exc.http_status == status
    assert exc.code == expected.get("code")
    assert exc.param == expected.get("param")
    assert exc.message == expected["message"]
    assert exc.type == expected["type"]
    assert exc.request_id == "req_Zy9XwVuTsRqPoN"
    assert exc.json_body == envelope
    assert len(stub.calls) == 1


def test_a_2xx_answer_that_is_not_json_names_the_url(client, stub):
    stub.add(responses.GET, SESSIONS, body="<html>502 Bad Gateway</html>", headers={"Request-Id": "req_1"})
    with pytest.raises(errors.APIConnectionError, match=r"GET https://api\.stripe\.com/v1/checkout/sessions") as raised:
        Session.list(client)
    assert "not JSON" in raised.value.message
    assert raised.value.request_id == "req_1"


def test_a_2xx_answer_that_is_not_a_json_object_names_the_url(client, stub):
    ident = session_id()
    stub.add(responses.GET, f"{SESSIONS}/{ident}", json=[1, 2, 3])
    with pytest.raises(errors.APIConnectionError, match=re.escape(f"{SESSIONS}/{ident}")) as raised:
        Session.retrieve(client, ident)
    assert "expected a JSON object" in raised.value.message


def test_a_list_answer_without_data_is_a_connection_error(client, stub):
    stub.add(responses.GET, SESSIONS, json={"object": "list"})
    with pytest.raises(errors.APIConnectionError, match=re.escape(SESSIONS)):
        Session.list(client)


def test_an_error_answer_that_is_not_json_names_the_url(client, stub):
    stub.add(responses.POST, SESSIONS, status=502, body="Bad Gateway")
    with pytest.raises(errors.APIConnectionError, match=re.escape(SESSIONS)):
        Session.create(client, CREATE_PARAMS)


def test_a_connection_failure_names_method_and_url(client, stub):
    stub.add(responses.POST, SESSIONS, body=requests.ConnectionError("Connection refused"))
    with pytest.raises(errors.APIConnectionError) as raised:
        Session.create(client, CREATE_PARAMS)
    assert str(raised.value).startswith(f"Could not connect to Stripe (POST {SESSIONS}): ")
    assert "Connection refused" in str(raised.value)
    assert isinstance(raised.value.__cause__, requests.ConnectionError)


def test_a_connection_failure_does_not_leak_a_query_string(client, stub):
    stub.add(responses.GET, SESSIONS, body=requests.ConnectTimeout("timed out"))
    with pytest.raises(errors.APIConnectionError) as raised:
        Session.list(client, {"customer_details": {"email": "jenny.rosen@example.com"}})
    assert f"(GET {SESSIONS})" in raised.value.message
    assert "jenny" not in raised.value.message


# ------------------------------------------------------------------------------------------------- retries


def test_no_retries_by_default(client, stub, sleeps):
    stub.add(responses.POST, SESSIONS, status=500, json=_envelope("api_error", "An unknown error occurred"))
    with pytest.raises(errors.APIError):
        Session.create(client, CREATE_PARAMS)
    assert len(stub.calls) == 1
    assert sleeps == []


def test_no_retries_by_default_on_a_connection_error(client, stub):
    stub.add(responses.POST, SESSIONS, body=requests.ConnectionError("reset"))
    with pytest.raises(errors.APIConnectionError):
        Session.create(client, CREATE_PARAMS)
    assert len(stub.calls) == 1


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(requests.ConnectionError("Connection reset by peer"), id="ConnectionError"),
        pytest.param(requests.ReadTimeout("Read timed out"), id="Timeout"),
        pytest.param(409, id="409"),
        pytest.param(429, id="429"),
        pytest.param(500, id="500"),
        pytest.param(503, id="503"),
    ],
)
def test_retried_failures_then_success(retrying, stub, sleeps, first):
    if isinstance(first, Exception):
        stub.add(responses.POST, SESSIONS, body=first)
    else:
        stub.add(responses.POST, SESSIONS, status=first, json=_envelope("api_error", "try again"))
    stub.add(responses.POST, SESSIONS, json=session_json())

    session = Session.create(retrying, CREATE_PARAMS)

    assert session.id == session_id()
    assert len(stub.calls) == 2
    assert len(sleeps) == 1
    keys = {call.request.headers["Idempotency-Key"] for call in stub.calls}
    assert len(keys) == 1
    assert body_of(stub.calls[0]) == body_of(stub.calls[1])


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
def test_client_errors_are_never_retried(retrying, stub, sleeps, status):
    stub.add(responses.POST, SESSIONS, status=status, json=_envelope("invalid_request_error", "no"))
    with pytest.raises(errors.StripeError) as raised:
        Session.create(retrying, CREATE_PARAMS)
    assert raised.value.http_status == status
    assert len(stub.calls) == 1
    assert sleeps == []


def test_retries_give_up_after_the_limit_with_the_same_idempotency_key(retrying, stub, sleeps):
    stub.add(responses.POST, SESSIONS, status=500, json=_envelope("api_error", "An unknown error occurred"))
    with pytest.raises(errors.APIError):
        Session.create(retrying, CREATE_PARAMS, idempotency_key="order-1234")
    assert len(stub.calls) == 3
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["order-1234"] * 3
    assert len(sleeps) == 2


def test_connection_retries_give_up_and_say_how_often_they_tried(retrying, stub):
    stub.add(responses.POST, SESSIONS, body=requests.ConnectionError("Connection refused"))
    with pytest.raises(errors.APIConnectionError, match=r"after 3 attempts") as raised:
        Session.create(retrying, CREATE_PARAMS)
    assert raised.value.message.startswith(f"Could not connect to Stripe (POST {SESSIONS})")
    keys = {call.request.headers["Idempotency-Key"] for call in stub.calls}
    assert len(stub.calls) == 3
    assert len(keys) == 1


def test_gets_are_retried_too(retrying, stub):
    ident = session_id()
    stub.add(responses.GET, f"{SESSIONS}/{ident}", status=503, json=_envelope("api_error", "unavailable"))
    stub.add(responses.GET, f"{SESSIONS}/{ident}", json=session_json())
    assert Session.retrieve(retrying, ident).id == ident
    assert len(stub.calls) == 2


def test_stripe_should_retry_false_stops_a_retry(retrying, stub, sleeps):
    stub.add(
        responses.POST,
        SESSIONS,
        status=500,
        json=_envelope("api_error", "An unknown error occurred"),
        headers={"Stripe-Should-Retry": "false"},
    )
    with pytest.raises(errors.APIError):
        Session.create(retrying, CREATE_PARAMS)
    assert len(stub.calls) == 1
    assert sleeps == []


def test_stripe_should_retry_true_asks_for_a_retry_as_the_official_sdk_reads_it(retrying, stub):
    # Stripe says "true" for a lock timeout it answers with a 4xx; the official SDK retries then too.
    stub.add(
        responses.POST,
        SESSIONS,
        status=400,
        json=_envelope("invalid_request_error", "lock timeout", "lock_timeout"),
        headers={"Stripe-Should-Retry": "true"},
    )
    stub.add(responses.POST, SESSIONS, json=session_json())
    Session.create(retrying, CREATE_PARAMS)
    assert len(stub.calls) == 2


def test_backoff_starts_at_half_a_second_grows_and_is_capped(stub, sleeps):
    stub.add(responses.POST, SESSIONS, status=500, json=_envelope("api_error", "An unknown error occurred"))
    with pytest.raises(errors.APIError):
        Session.create(Client(API_KEY, max_network_retries=8, sleep=sleeps.append), CREATE_PARAMS)
    assert len(sleeps) == 8
    assert sleeps[0] == 0.5
    assert 0.5 <= sleeps[1] <= 1.0
    assert 1.0 <= sleeps[2] <= 2.0
    assert all(2.5 <= s <= 5.0 for s in sleeps[4:])


# ------------------------------------------------------------------------------------ the client and its key


def test_repr_masks_the_key():
    client = Client(API_KEY)
    assert API_KEY not in repr(client)
    assert MASKED_KEY in repr(client)
    assert "api.stripe.com" in repr(client)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"api_key": ""}, "api_key must be a non-empty string", id="empty key"),
        pytest.param({"api_key": "   "}, "api_key must be a non-empty string", id="blank key"),
        pytest.param({"max_network_retries": -1}, "max_network_retries must be 0 or more", id="negative retries"),
        pytest.param({"max_network_retries": 1.5}, "max_network_retries must be an integer", id="float retries"),
        pytest.param({"api_base": "api.stripe.com"}, "api_base must be an absolute http", id="no scheme"),
        pytest.param({"api_base": "ftp://api.stripe.com"}, "api_base must be an absolute http", id="ftp"),
        pytest.param({"api_base": "https://"}, "api_base must be an absolute http", id="no host"),
        pytest.param({"api_version": ""}, "api_version must be a non-empty string", id="empty version"),
        pytest.param({"timeout": 0}, "timeout must be a positive number", id="zero timeout"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, message):
    arguments: dict[str, Any] = {"api_key": API_KEY, **kwargs}
    with pytest.raises(ValueError, match=message) as raised:
        Client(**arguments)
    assert API_KEY not in str(raised.value)


def test_a_key_with_a_trailing_newline_is_refused_without_echoing_it():
    with pytest.raises(ValueError, match="whitespace") as raised:
        Client(API_KEY + "\n")
    assert API_KEY not in str(raised.value)
    assert MASKED_KEY in str(raised.value)


def test_the_key_never_appears_in_error_messages(client, stub):
    # A proxy that echoes the request back in its error page.
    stub.add(responses.POST, SESSIONS, status=502, body=f"upstream failed; Authorization: Bearer {API_KEY}")
    stub.add(
        responses.GET,
        SESSIONS,
        status=401,
        json=_envelope("invalid_request_error", f"Invalid API Key provided: {API_KEY}"),
    )
    stub.add(responses.GET, f"{SESSIONS}/{session_id()}", body=requests.ConnectionError("refused"))

    messages = []
    for call in (
        lambda: Session.create(client, CREATE_PARAMS),
        lambda: Session.list(client),
        lambda: Session.retrieve(client, session_id()),
    ):
        with pytest.raises(errors.StripeError) as raised:
            call()
        messages += [str(raised.value), repr(raised.value), raised.value.message]
    assert all(API_KEY not in m for m in messages)
    assert any(MASKED_KEY in m for m in messages)


def test_livemode_follows_the_key():
    assert Client(API_KEY).livemode is False
    assert Client("sk_live_" + "x" * 24).livemode is True


def test_session_json_covers_every_field_of_the_schema():
    answer = session_json(line_items=list_json([], has_more=False))
    assert set(answer) == set(schema.CHECKOUT_SESSION.properties)
    decoded = Session.from_dict(answer)
    assert decoded.to_dict() == answer
    assert json.loads(json.dumps(answer)) == answer


def test_requests_match_the_official_sdk_on_the_wire(client, stub):
    import stripe  # a test dependency: missing, this fails rather than skips

    list_params: Any = {"customer_details": {"email": "jenny rosen@example.com"}, "expand": ["data.customer"]}
    stub.add(responses.POST, SESSIONS, json=session_json())
    stub.add(responses.GET, SESSIONS, json=list_json([], has_more=False))
    sdk = stripe.StripeClient(API_KEY, stripe_version="2022-08-01", http_client=stripe.RequestsClient())
    sdk.v1.checkout.sessions.create(CREATE_PARAMS)
    sdk.v1.checkout.sessions.list(list_params)
    Session.create(client, CREATE_PARAMS)
    Session.list(client, list_params)

    sdk_post, sdk_get, our_post, our_get = stub.calls
    assert body_of(our_post) == body_of(sdk_post)
    assert our_get.request.url == sdk_get.request.url
    for name in ("Authorization", "Stripe-Version", "Content-Type"):
        assert our_post.request.headers[name] == sdk_post.request.headers[name]
