"""Today's API beside the seed's: each request answered in the shape of the Stripe-Version it pins.

Through the official SDK (stripe 16.1.0), as an application calls it: unpinned it sends 2026-10-28.endive;
``stripe_version=`` pins another. What a version between the two registered ones answers follows Stripe's
stated policy (today's fields, each later breaking change undone): that part is unverified against live
Stripe, and the tests say which.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from pytest_checkout import versions
from pytest_checkout.fake import CheckoutFake, StripeVersionWarning, mock_checkout
from pytest_checkout.fake.shapes import present_keys

from .test_fake_conformance import misfits

NOW = 1_700_000_000
KEY = "sk_test_51TodayKey000000000000000001"
ENDIVE = "2026-10-28.endive"
CLOVER = "2025-09-30.clover"
OLD = "2022-08-01"
ITEM = {"price_data": {"currency": "usd", "product_data": {"name": "Tee"}, "unit_amount": 2000}, "quantity": 1}
PAYMENT: Any = {
    "mode": "payment",
    "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
    "line_items": [ITEM],
}


@pytest.fixture
def fake() -> Iterator[CheckoutFake]:
    with mock_checkout(now=NOW) as checkout_fake:
        yield checkout_fake


def client(version: str | None = None) -> stripe.StripeClient:
    options: Any = {} if version is None else {"stripe_version": version}
    return stripe.StripeClient(KEY, max_network_retries=0, **options)


def create(version: str | None, params: Any) -> dict[str, Any]:
    return client(version).v1.checkout.sessions.create(params=params).to_dict()


def refused(version: str | None, params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client(version).v1.checkout.sessions.create(params=params)
    return caught.value


# -- the shape of each version ----------------------------------------------------------------------------------


def test_stripe_16_unpinned_gets_today_s_session_and_no_warning(fake: CheckoutFake) -> None:
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        session = client().v1.checkout.sessions.create(params=PAYMENT)
    assert not [w for w in recorded if issubclass(w.category, StripeVersionWarning)]
    answer = session.to_dict()
    schema = versions.TODAY.checkout_session
    assert misfits(schema, answer) == []
    # Left out: line_items (there when expanded) and tax_id_collection (seen: absent unless the request gave it);
    # the SDK's types can not say "absent", so the generator takes both from 2022-08-01.
    assert set(present_keys(schema)) <= set(answer) <= set(schema.properties)
    assert "line_items" not in answer
    assert "tax_id_collection" not in answer
    assert len(answer) == 66  # with phone_number_collection, which Stripe always shows (seen)
    assert "shipping_details" not in answer  # under collected_information since basil
    assert (answer["ui_mode"], answer["client_secret"], answer["return_url"]) == ("hosted_page", None, None)
    assert answer["url"].startswith("https://checkout.stripe.com/c/pay/")
    assert session.last_response is not None
    assert session.last_response.headers["Stripe-Version"] == ENDIVE


def test_the_seed_s_version_still_gets_its_own_shape(fake: CheckoutFake) -> None:
    answer = create(OLD, {**PAYMENT, "payment_method_types": ["card"], "cancel_url": "https://shop.example/c"})
    schema = versions.DEFAULT.checkout_session
    assert misfits(schema, answer) == []
    assert "ui_mode" not in answer
    assert "shipping_details" in answer
    assert "collected_information" not in answer


def test_one_session_is_answered_in_the_shape_of_each_request(fake: CheckoutFake) -> None:
    created = create(ENDIVE, {**PAYMENT, "cancel_url": "https://shop.example/c"})
    old = client(OLD).v1.checkout.sessions.retrieve(created["id"]).to_dict()
    assert old["id"] == created["id"]
    assert "ui_mode" not in old
    assert misfits(versions.DEFAULT.checkout_session, old) == []
    listed = client(ENDIVE).v1.checkout.sessions.list().data[0].to_dict()
    assert listed["ui_mode"] == "hosted_page"


# -- breaking changes, by the version a request pins --------------------------------------------------------------


def test_payment_method_types_is_refused_by_endive_and_taken_before_it(fake: CheckoutFake) -> None:
    error = refused(ENDIVE, {**PAYMENT, "payment_method_types": ["card"]})
    assert error.param == "payment_method_types"
    assert "Received unknown parameter: payment_method_types" in str(error.user_message)
    # Unverified (Stripe's stated policy): a clover pin takes today's params and the one endive removed.
    assert create(CLOVER, {**PAYMENT, "payment_method_types": ["card"]})["payment_method_types"] == ["card"]


def test_allowed_payment_method_types_keeps_the_methods_that_fit(fake: CheckoutFake) -> None:
    answer = create(ENDIVE, {**PAYMENT, "allowed_payment_method_types": ["card", "ideal", "us_bank_account"]})
    assert answer["payment_method_types"] == ["card", "us_bank_account"]  # ideal takes eur only
    assert answer["allowed_payment_method_types"] == ["card", "ideal", "us_bank_account"]
    error = refused(ENDIVE, {**PAYMENT, "allowed_payment_method_types": ["ideal"]})
    assert "No valid payment method types" in str(error.user_message)


@pytest.mark.parametrize(
    ("version", "accepted", "refused_value"),
    [
        (CLOVER, ("hosted", "embedded", "custom"), "embedded_page"),
        (ENDIVE, ("hosted_page", "embedded_page", "elements", "form"), "embedded"),
    ],
)
def test_ui_mode_values_are_those_of_the_version(
    fake: CheckoutFake, version: str, accepted: tuple[str, ...], refused_value: str
) -> None:
    for ui_mode in accepted:
        params: Any = {**PAYMENT, "ui_mode": ui_mode}
        if ui_mode not in ("hosted", "hosted_page"):
            params = {k: v for k, v in params.items() if k != "success_url"}
            params["return_url"] = "https://shop.example/return?session_id={CHECKOUT_SESSION_ID}"
        assert create(version, params)["ui_mode"] == ui_mode
    error = refused(version, {**PAYMENT, "ui_mode": refused_value})
    assert error.param == "ui_mode"


def test_a_session_made_in_today_s_names_shows_the_old_ones_to_an_old_pin(fake: CheckoutFake) -> None:
    params = {k: v for k, v in PAYMENT.items() if k != "success_url"}
    created = create(ENDIVE, {**params, "ui_mode": "embedded_page", "return_url": "https://shop.example/r"})
    again = client(CLOVER).v1.checkout.sessions.retrieve(created["id"]).to_dict()
    assert (created["ui_mode"], again["ui_mode"]) == ("embedded_page", "embedded")


@pytest.mark.parametrize(
    ("version", "top_level", "collected"),
    [
        (OLD, True, False),
        ("2024-06-20", True, True),  # before basil: both (collected_information is an addition of acacia)
        (CLOVER, False, True),
        (ENDIVE, False, True),
    ],
)
def test_shipping_details_sit_where_each_version_puts_them(
    fake: CheckoutFake, version: str, top_level: bool, collected: bool
) -> None:
    params: Any = {**PAYMENT, "shipping_address_collection": {"allowed_countries": ["US"]}}
    created = create(ENDIVE, params)
    fake.complete(created["id"])
    answer = client(version).v1.checkout.sessions.retrieve(created["id"]).to_dict()
    assert ("shipping_details" in answer) is top_level
    assert ("collected_information" in answer) is collected
    if top_level:
        assert answer["shipping_details"]["name"] == "Jenny Rosen"
    if collected:
        assert answer["collected_information"]["shipping_details"]["address"]["country"] == "US"


def test_currency_conversion_is_null_before_clover_and_gone_after(fake: CheckoutFake) -> None:
    created = create(ENDIVE, PAYMENT)
    assert "currency_conversion" not in created
    basil = client("2025-03-31.basil").v1.checkout.sessions.retrieve(created["id"]).to_dict()
    assert basil["currency_conversion"] is None


# -- embedded and elements sessions ---------------------------------------------------------------------------


def test_an_embedded_page_session_has_a_client_secret_and_no_url(fake: CheckoutFake) -> None:
    params = {k: v for k, v in PAYMENT.items() if k != "success_url"}
    params["ui_mode"] = "embedded_page"
    params["return_url"] = "https://shop.example/return?session_id={CHECKOUT_SESSION_ID}"
    answer = create(None, params)
    assert answer["url"] is None
    assert answer["client_secret"].startswith(f"{answer['id']}_secret_")
    assert answer["redirect_on_completion"] == "always"
    assert answer["return_url"] == params["return_url"]
    completed = fake.complete(answer["id"])
    assert completed["status"] == "complete"


# -- the update endpoint ----------------------------------------------------------------------------------------


def test_today_s_update_changes_metadata(fake: CheckoutFake) -> None:
    created = client().v1.checkout.sessions.create(params={**PAYMENT, "metadata": {"order": "1", "note": "x"}})
    updated = client().v1.checkout.sessions.update(created.id, params={"metadata": {"order": "2", "note": ""}})
    assert updated.metadata.to_dict() == {"order": "2"}
    module_style = stripe.checkout.Session.modify(created.id, api_key=KEY, metadata={"gift": "yes"})
    assert module_style.metadata.to_dict() == {"order": "2", "gift": "yes"}


def test_the_update_endpoint_is_unknown_to_2022_08_01(fake: CheckoutFake) -> None:
    created = create(OLD, {**PAYMENT, "payment_method_types": ["card"]})
    answer = requests.post(
        f"https://api.stripe.com/v1/checkout/sessions/{created['id']}",
        data={"metadata[a]": "b"},
        headers={"Authorization": f"Bearer {KEY}", "Stripe-Version": OLD},
        timeout=5,
    )
    assert answer.status_code == 404
    assert "Unrecognized request URL" in answer.json()["error"]["message"]


# -- options of the fake ------------------------------------------------------------------------------------------


def test_the_account_default_version_answers_requests_without_a_header() -> None:
    with mock_checkout(now=NOW, api_version=ENDIVE):
        answer = requests.post(
            "https://api.stripe.com/v1/checkout/sessions",
            data={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "ui_mode": "hosted_page",
                "line_items[0][price]": "price_x",
                "line_items[0][quantity]": "1",
            },
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
    # The price is unknown, but ui_mode was read as a parameter of today's API, not refused as unknown.
    assert answer.json()["error"]["param"] != "ui_mode"
    assert answer.headers["Stripe-Version"] == ENDIVE


def test_an_unknown_default_version_is_refused_with_the_registered_ones() -> None:
    with pytest.raises(KeyError, match=r"registered: 2022-08-01, 2026-10-28\.endive"):
        CheckoutFake(api_version="2019-01-01")


def test_strict_versions_answer_a_version_between_as_the_snapshot_before_it() -> None:
    with mock_checkout(now=NOW, strict_versions=True):
        error = refused(CLOVER, {**PAYMENT, "ui_mode": "embedded"})
        assert error.param == "ui_mode"
        assert "Received unknown parameter: ui_mode" in str(error.user_message)
        # Today's version is registered: strict answers it as itself.
        assert create(ENDIVE, PAYMENT)["ui_mode"] == "hosted_page"


# -- today's list filters -----------------------------------------------------------------------------------------


def test_lists_filter_by_status_and_created_in_today_s_api(fake: CheckoutFake) -> None:
    first = create(ENDIVE, PAYMENT)
    fake.clock.advance(60)
    second = create(ENDIVE, PAYMENT)
    client(ENDIVE).v1.checkout.sessions.expire(first["id"])
    sessions = client(ENDIVE).v1.checkout.sessions
    assert [s.id for s in sessions.list(params={"status": "expired"}).data] == [first["id"]]
    assert [s.id for s in sessions.list(params={"status": "open"}).data] == [second["id"]]
    assert [s.id for s in sessions.list(params={"created": {"gt": NOW}}).data] == [second["id"]]
    assert [s.id for s in sessions.list(params={"created": NOW}).data] == [first["id"]]
    assert [s.id for s in sessions.list(params={"created": {"lte": NOW + 60}, "limit": 1}).data] == [second["id"]]


def test_the_status_filter_is_unknown_to_2022_08_01(fake: CheckoutFake) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client(OLD).v1.checkout.sessions.list(params={"status": "open"})  # type: ignore[typeddict-unknown-key]
    assert caught.value.param == "status"


# -- what completion fills in -------------------------------------------------------------------------------------

FIELDS: Any = [
    {"key": "engraving", "label": {"type": "custom", "custom": "Engraving"}, "type": "text"},
    {
        "key": "size",
        "label": {"type": "custom", "custom": "Size"},
        "type": "dropdown",
        "dropdown": {"options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]},
    },
    {"key": "note", "label": {"type": "custom", "custom": "Note"}, "type": "text", "optional": True},
]


def test_custom_fields_are_null_until_the_customer_fills_them_in(fake: CheckoutFake) -> None:
    created = create(ENDIVE, {**PAYMENT, "custom_fields": FIELDS})
    assert all((f["text"] or f["dropdown"])["value"] is None for f in created["custom_fields"])
    fake.complete(created["id"], custom_fields={"engraving": "J.R."})
    done = client(ENDIVE).v1.checkout.sessions.retrieve(created["id"]).to_dict()
    values = {f["key"]: (f["text"] or f["dropdown"])["value"] for f in done["custom_fields"]}
    assert values == {"engraving": "J.R.", "size": "s", "note": None}


def test_a_custom_field_value_must_fit_the_field(fake: CheckoutFake) -> None:
    created = create(ENDIVE, {**PAYMENT, "custom_fields": FIELDS})
    with pytest.raises(ValueError, match="'xl' is not an option of the custom field 'size'"):
        fake.complete(created["id"], custom_fields={"size": "xl"})
    with pytest.raises(ValueError, match="no custom field colour"):
        fake.complete(created["id"], custom_fields={"colour": "red"})
    assert fake.sessions[created["id"]]["status"] == "open"  # a refused completion changes nothing


def test_invoice_creation_gives_a_paid_session_its_invoice(fake: CheckoutFake) -> None:
    created = create(ENDIVE, {**PAYMENT, "invoice_creation": {"enabled": True}})
    assert created["invoice"] is None
    assert created["invoice_creation"]["enabled"] is True
    fake.complete(created["id"])
    done = client(ENDIVE).v1.checkout.sessions.retrieve(created["id"]).to_dict()
    assert done["invoice"].startswith("in_")
    plain = create(ENDIVE, PAYMENT)
    fake.complete(plain["id"])
    assert client(ENDIVE).v1.checkout.sessions.retrieve(plain["id"]).to_dict()["invoice"] is None


# -- events, in the version of the endpoint they go to -------------------------------------------------------------


def test_events_come_in_the_version_of_their_endpoint(fake: CheckoutFake) -> None:
    secret = "whsec_" + "0" * 8 + "test"  # made up here; never a real secret
    created = create(ENDIVE, {**PAYMENT, "ui_mode": "hosted_page"})
    fake.complete(created["id"])
    got: list[Any] = []

    def endpoint(body: bytes, headers: Any) -> tuple[int, str]:
        got.append(stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret))
        return 200, ""

    fake.deliver(endpoint, secret=secret, api_version=ENDIVE)
    (event,) = got
    assert event.api_version == ENDIVE
    assert event.data.object.ui_mode == "hosted_page"
    assert "shipping_details" not in event.data.object
    old = fake.webhook_request(fake.events[0], secret)  # the account's default: 2022-08-01
    assert b'"api_version":"2022-08-01"' in old.body
    assert b'"ui_mode"' not in old.body
    clover = fake.event_in(fake.events[0], CLOVER)
    assert (clover.api_version, clover.data_object["ui_mode"]) == (CLOVER, "hosted")


def test_an_endpoint_version_the_fake_can_not_place_is_refused(fake: CheckoutFake) -> None:
    session = create(ENDIVE, PAYMENT)
    fake.complete(session["id"])
    with pytest.raises(ValueError, match="can not answer API version '2019-01-01'"):
        fake.deliver(lambda body, headers: (200, ""), secret="whsec_" + "x" * 8, api_version="2019-01-01")
    assert len(fake.deliver(lambda body, headers: (200, ""), secret="whsec_" + "x" * 8)) == 1  # nothing was used up


def test_line_items_are_answered_in_the_shape_of_each_version(fake: CheckoutFake) -> None:
    created = client(ENDIVE).v1.checkout.sessions.create(params=PAYMENT)
    today = client(ENDIVE).v1.checkout.sessions.line_items.list(created.id)
    assert today.last_response is not None
    body: Any = json.loads(today.last_response.body)["data"][0]
    assert misfits(versions.TODAY.item, body) == []
    # Not given at create: no adjustable quantity, and empty metadata as Stripe's objects have (unverified for line
    # items: the SDK types it as nullable). tests/test_fake_items_today.py has the fields given.
    assert (body["adjustable_quantity"], body["metadata"]) == (None, {})
    old = client(OLD).v1.checkout.sessions.line_items.list(created.id)
    assert old.last_response is not None
    old_body: Any = json.loads(old.last_response.body)["data"][0]
    assert misfits(versions.DEFAULT.item, old_body) == []
    assert "adjustable_quantity" not in old_body
    expanded = client(ENDIVE).v1.checkout.sessions.retrieve(created.id, params={"expand": ["line_items"]})
    assert expanded.last_response is not None
    assert misfits(versions.TODAY.checkout_session, json.loads(expanded.last_response.body)) == []


# -- what the SDK documents of today's parameters ------------------------------------------------------------------


def test_at_most_three_custom_fields(fake: CheckoutFake) -> None:
    field = {"label": {"type": "custom", "custom": "Note"}, "type": "text"}
    three = [{**field, "key": f"note{i}"} for i in range(3)]
    assert len(create(ENDIVE, {**PAYMENT, "custom_fields": three})["custom_fields"]) == 3
    error = refused(ENDIVE, {**PAYMENT, "custom_fields": [*three, {**field, "key": "note3"}]})
    assert error.param == "custom_fields"
    assert "exceeded maximum 3" in str(error.user_message)


def test_return_url_must_be_a_url(fake: CheckoutFake) -> None:
    page = {"mode": "payment", "ui_mode": "embedded_page", "line_items": [ITEM]}
    error = refused(ENDIVE, {**page, "return_url": "not a url"})
    assert (error.param, error.code) == ("return_url", "url_invalid")
    assert create(ENDIVE, {**page, "return_url": "https://shop.example/r?id={CHECKOUT_SESSION_ID}"})["client_secret"]


def test_a_us_bank_transfer_takes_dollars(fake: CheckoutFake) -> None:
    session = create(
        ENDIVE,
        {
            **PAYMENT,
            "allowed_payment_method_types": ["customer_balance"],
            "customer": fake.add_customer(email="a@example.com")["id"],
            "payment_method_options": {
                "customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "us_bank_transfer"}}
            },
        },
    )
    assert session["payment_method_types"] == ["customer_balance"]


def test_allowed_methods_are_filtered_in_a_version_before_endive_too(fake: CheckoutFake) -> None:
    # Unverified: the param is endive's; Stripe's policy says additions reach older pinned versions.
    error = refused(CLOVER, {**PAYMENT, "allowed_payment_method_types": ["ideal"]})  # ideal takes euros only
    assert "payment method" in str(error.user_message)
    assert create(CLOVER, {**PAYMENT, "allowed_payment_method_types": ["card", "ideal"]})["payment_method_types"] == [
        "card"
    ]


def test_today_s_setup_mode_needs_a_currency_or_methods(fake: CheckoutFake) -> None:
    setup = {"mode": "setup", "success_url": "https://shop.example/ok"}
    error = refused(ENDIVE, setup)
    assert (error.param, error.code) == ("currency", "parameter_missing")
    assert create(ENDIVE, {**setup, "currency": "usd"})["mode"] == "setup"
    assert create(ENDIVE, {**setup, "allowed_payment_method_types": ["card"]})["mode"] == "setup"


# -- the async SDK, as a FastAPI app calls it ----------------------------------------------------------------------


# stripe 16's HTTPXClient hands httpx its body as data=, which httpx deprecates: the SDK's warning, not the fake's.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")
@pytest.mark.parametrize("road", ["httpx", "in-process"])
def test_today_s_flow_through_the_async_sdk(fake: CheckoutFake, road: str) -> None:
    import asyncio

    from pytest_checkout.fake.transports import CheckoutHTTPClient

    http_client: stripe.HTTPClient = stripe.HTTPXClient() if road == "httpx" else CheckoutHTTPClient(fake)
    sdk = stripe.StripeClient(KEY, max_network_retries=0, http_client=http_client)  # unpinned: endive

    async def flow() -> tuple[Any, Any, Any, Any]:
        try:
            sessions = sdk.v1.checkout.sessions
            page = await sessions.create_async(
                params={
                    "mode": "payment",
                    "ui_mode": "embedded_page",
                    "return_url": "https://shop.example/r?session_id={CHECKOUT_SESSION_ID}",
                    "line_items": [ITEM],
                    "allowed_payment_method_types": ["card", "ideal"],
                }
            )
            with pytest.raises(stripe.InvalidRequestError) as caught:
                await sessions.create_async(params={**PAYMENT, "payment_method_types": ["card"]})
            updated = await sessions.update_async(page.id, params={"metadata": {"order": "7"}})
            listed = await sessions.list_async(params={"status": "open"})
            return page, caught.value, updated, listed
        finally:
            await http_client.close_async()

    page, error, updated, listed = asyncio.run(flow())
    assert (page.ui_mode, page.url) == ("embedded_page", None)
    assert page.client_secret.startswith(page.id)
    assert page.payment_method_types == ["card"]  # ideal takes euros only: filtered out
    assert (error.param, error.code) == ("payment_method_types", "parameter_unknown")  # gone since endive
    assert updated.metadata.to_dict() == {"order": "7"}
    assert [s.id for s in listed.data] == [page.id]
