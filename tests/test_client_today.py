"""``TodaySession``: the seed's client for today's API version (2026-10-28.endive), driven against the fake.

The default ``Session`` keeps 2022-08-01's types and answers; ``TodaySession`` has the same operations typed by
today's (tests/typing/ checks the static side) and needs a ``Client`` pinned to today's version.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import pytest_checkout
from pytest_checkout import versions
from pytest_checkout.client import (
    Client,
    ClientOptions,
    LineItem,
    Session,
    TodayLineItem,
    TodaySession,
    today_client,
)
from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.objects import ListObject

NOW = 1_700_000_000
KEY = "sk_test_51TodayClient0000000000000001"
ENDIVE = "2026-10-28.endive"
RETURN_URL = "https://shop.example/return?session_id={CHECKOUT_SESSION_ID}"


def item(name: str = "Tee", amount: int = 2000, quantity: int = 1) -> Any:
    return {
        "price_data": {"currency": "usd", "product_data": {"name": name}, "unit_amount": amount},
        "quantity": quantity,
    }


def hosted(**extra: Any) -> Any:
    return {"mode": "payment", "success_url": "https://shop.example/ok", "line_items": [item()], **extra}


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


@pytest.fixture
def client(fake: CheckoutFake) -> Iterator[Client]:
    with today_client(KEY) as today:
        yield today


# -- the client it needs ------------------------------------------------------------------------------------------


def test_today_client_is_pinned_to_today_s_version_and_passes_the_options_on():
    assert versions.TODAY.name == ENDIVE
    assert TodaySession.API_VERSION == ENDIVE
    today = today_client(KEY, api_base="http://localhost:12111/", timeout=5, max_network_retries=3)
    assert (today.api_version, today.api_base, today.timeout, today.max_network_retries) == (
        ENDIVE,
        "http://localhost:12111",
        5.0,
        3,
    )
    assert Client(KEY).api_version == versions.API_VERSION == "2022-08-01"  # the default is untouched


def test_today_client_takes_every_option_of_client_but_the_version():
    parameters = inspect.signature(Client).parameters
    assert set(ClientOptions.__annotations__) == set(parameters) - {"api_key", "api_version"}
    with pytest.raises(TypeError, match="api_version"):
        today_client(KEY, api_version="2022-08-01")  # type: ignore[misc]


OPERATIONS: list[Any] = [
    pytest.param(lambda c: TodaySession.create(c, hosted()), id="create"),
    pytest.param(lambda c: TodaySession.retrieve(c, "cs_test_a1"), id="retrieve"),
    pytest.param(lambda c: TodaySession.list(c), id="list"),
    pytest.param(lambda c: TodaySession.list_line_items(c, "cs_test_a1"), id="list_line_items"),
    pytest.param(lambda c: TodaySession.expire(c, "cs_test_a1"), id="expire"),
    pytest.param(lambda c: TodaySession.update(c, "cs_test_a1", {"metadata": {"a": "b"}}), id="update"),
]


@pytest.mark.parametrize("call", OPERATIONS)
@pytest.mark.parametrize("pinned", ["2022-08-01", "2025-09-30.clover", "2026-11-01"])
def test_a_client_pinned_to_another_version_is_refused_before_any_request(fake: CheckoutFake, call, pinned):
    with pytest.raises(ValueError, match=r"TodaySession is typed by API version 2026-10-28\.endive") as caught:
        call(Client(KEY, api_version=pinned))
    assert repr(pinned) in str(caught.value)
    assert "api_version='2026-10-28.endive'" in str(caught.value)
    assert fake.requests == []


def test_a_client_built_by_hand_with_today_s_version_is_accepted(fake: CheckoutFake):
    session = TodaySession.create(Client(KEY, api_version=ENDIVE), hosted())
    assert isinstance(session, TodaySession)
    assert session.ui_mode == "hosted_page"


# -- today's operations -------------------------------------------------------------------------------------------


def test_create_embedded_page_answers_a_client_secret_and_no_url(fake: CheckoutFake, client: Client):
    params: Any = {"mode": "payment", "ui_mode": "embedded_page", "return_url": RETURN_URL, "line_items": [item()]}
    session = TodaySession.create(client, params, idempotency_key="order-1")
    assert isinstance(session, TodaySession)
    assert not isinstance(session, Session)
    assert session.ui_mode == "embedded_page"
    assert session.url is None
    assert session.client_secret is not None
    assert session.client_secret.startswith(f"{session.id}_secret_")
    assert (session.return_url, session.redirect_on_completion) == (RETURN_URL, "always")
    assert session.collected_information is None
    assert "shipping_details" not in session.to_dict()  # under collected_information since basil
    recorded = fake.requests[-1]
    assert (recorded.method, recorded.path, recorded.status) == ("POST", "/v1/checkout/sessions", 200)
    assert (recorded.stripe_version, recorded.api_version) == (ENDIVE, ENDIVE)
    assert recorded.idempotency_key == "order-1"


def test_allowed_payment_method_types_are_accepted(fake: CheckoutFake, client: Client):
    session = TodaySession.create(client, hosted(allowed_payment_method_types=["card", "ideal", "us_bank_account"]))
    assert session.allowed_payment_method_types == ["card", "ideal", "us_bank_account"]
    assert session.payment_method_types == ["card", "us_bank_account"]  # ideal takes eur only
    assert fake.requests[-1].params is not None
    assert fake.requests[-1].params["allowed_payment_method_types"] == ["card", "ideal", "us_bank_account"]


def test_payment_method_types_is_2022_s_and_refused_by_today_s_api(fake: CheckoutFake, client: Client):
    with pytest.raises(InvalidRequestError) as caught:
        TodaySession.create(client, hosted(payment_method_types=["card"]))
    assert caught.value.param == "payment_method_types"
    assert caught.value.http_status == 400


def test_custom_fields_come_back_in_today_s_session(fake: CheckoutFake, client: Client):
    fields: Any = [{"key": "engraving", "label": {"type": "custom", "custom": "Engraving"}, "type": "text"}]
    session = TodaySession.create(client, hosted(custom_fields=fields))
    assert [(f["key"], f["type"], f["text"]["value"]) for f in session.custom_fields] == [("engraving", "text", None)]
    fake.complete(session.id, custom_fields={"engraving": "J.R."})
    done = TodaySession.retrieve(client, session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.custom_fields[0]["text"]["value"] == "J.R."


def test_list_filters_by_status_and_created_and_pages_on(fake: CheckoutFake, client: Client):
    first = TodaySession.create(client, hosted())
    fake.clock.advance(60)
    second = TodaySession.create(client, hosted())
    third = TodaySession.create(client, hosted())
    TodaySession.expire(client, first.id)

    open_page = TodaySession.list(client, {"status": "open"})
    assert [s.id for s in open_page] == [third.id, second.id]
    assert all(isinstance(s, TodaySession) for s in open_page)
    assert [s.id for s in TodaySession.list(client, {"status": "expired"})] == [first.id]
    assert [s.id for s in TodaySession.list(client, {"created": {"gt": NOW}})] == [third.id, second.id]
    assert [s.id for s in TodaySession.list(client, {"created": NOW})] == [first.id]

    page = TodaySession.list(client, {"limit": 1})
    assert (len(page), page.has_more) == (1, True)
    walked = list(page.auto_paging_iter())
    assert [s.id for s in walked] == [third.id, second.id, first.id]
    assert all(isinstance(s, TodaySession) for s in walked)
    lists = [r for r in fake.requests if r.method == "GET" and r.path == "/v1/checkout/sessions"]
    assert {r.stripe_version for r in lists} == {ENDIVE}


def test_update_changes_the_metadata(fake: CheckoutFake, client: Client):
    session = TodaySession.create(client, hosted(metadata={"order": "1", "note": "x"}))
    updated = TodaySession.update(client, session.id, {"metadata": {"order": "2", "note": ""}})
    assert isinstance(updated, TodaySession)
    assert (updated.id, updated.metadata) == (session.id, {"order": "2"})
    assert TodaySession.retrieve(client, session.id).metadata == {"order": "2"}
    recorded = [r for r in fake.requests if r.path == f"/v1/checkout/sessions/{session.id}" and r.method == "POST"]
    assert [r.stripe_version for r in recorded] == [ENDIVE]


def test_retrieve_expands_line_items_that_page_on_as_today_s_line_items(fake: CheckoutFake, client: Client):
    session = TodaySession.create(client, hosted(line_items=[item(f"Item {n}", 100 + n) for n in range(12)]))
    got = TodaySession.retrieve(client, session.id, expand=["line_items"])
    assert isinstance(got, TodaySession)
    assert got.id == session.id
    assert isinstance(got.line_items, ListObject)
    assert (len(got.line_items), got.line_items.has_more) == (10, True)
    walked = list(got.line_items.auto_paging_iter())
    assert [i.description for i in walked] == [f"Item {n}" for n in range(12)]
    assert all(type(i) is TodayLineItem for i in walked)
    assert TodayLineItem is not LineItem
    assert fake.requests[-1].path == f"/v1/checkout/sessions/{session.id}/line_items"
    assert fake.requests[-1].stripe_version == ENDIVE


def test_list_line_items_pages_through_today_s_line_items(fake: CheckoutFake, client: Client):
    session = TodaySession.create(client, hosted(line_items=[item("Tee", 2000, 2), item("Socks", 450, 3)]))
    page = TodaySession.list_line_items(client, session.id, {"limit": 1})
    assert (len(page), page.has_more) == (1, True)
    walked = list(page.auto_paging_iter())
    assert [(i.description, i.quantity, i.amount_total) for i in walked] == [("Tee", 2, 4000), ("Socks", 3, 1350)]
    assert all(type(i) is TodayLineItem for i in walked)


def test_expire_closes_the_session(fake: CheckoutFake, client: Client):
    session = TodaySession.create(client, hosted())
    expired = TodaySession.expire(client, session.id, idempotency_key="expire-1")
    assert isinstance(expired, TodaySession)
    assert (expired.id, expired.status, expired.url) == (session.id, "expired", None)
    recorded = fake.requests[-1]
    assert (recorded.path, recorded.idempotency_key, recorded.stripe_version) == (
        f"/v1/checkout/sessions/{session.id}/expire",
        "expire-1",
        ENDIVE,
    )
    with pytest.raises(InvalidRequestError):
        TodaySession.expire(client, session.id)  # only an open session can expire


# -- the default Session is unchanged -----------------------------------------------------------------------------


def test_the_default_session_keeps_2022_08_01(fake: CheckoutFake):
    with Client(KEY) as client:
        session = Session.create(client, {**hosted(), "cancel_url": "https://shop.example/cart"})
    assert type(session) is Session
    assert not isinstance(session, TodaySession)
    assert fake.requests[-1].stripe_version == "2022-08-01"
    assert "ui_mode" not in session.to_dict()
    assert not hasattr(session, "client_secret")


def test_the_package_exports_the_today_client():
    assert pytest_checkout.TodaySession is TodaySession
    assert pytest_checkout.TodayLineItem is TodayLineItem
    assert pytest_checkout.today_client is today_client
