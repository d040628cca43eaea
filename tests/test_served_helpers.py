"""The test helpers of the served fake (``/_pytest_checkout/...``), driven over real HTTP as a test in another
language would drive them.

The application's side is the official ``stripe`` SDK (not pinned: stripe 16 sends its own API version, and the
fake's one StripeVersionWarning per fake is filtered); the test's side is plain ``requests`` and ``http.client``
with JSON and form bodies. Every request goes to 127.0.0.1 on a port the operating system picked, with a timeout;
each test has its own server and fake.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from pytest_checkout.fake import testhelpers
from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.routes import MAX_BODY, FakeResponse
from pytest_checkout.fake.server import Server, banner

pytestmark = pytest.mark.filterwarnings("ignore::pytest_checkout.fake.StripeVersionWarning")

API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
NOW = 1_660_000_000
DAY = 24 * 60 * 60
TIMEOUT = 10  # seconds: any single request or process step of these tests
SECRET = "whsec_served_helpers_test_secret"
PARAMS: dict[str, Any] = {
    "mode": "payment",
    "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000}, "quantity": 2}
    ],
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "served.md"


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(port=0, now=NOW) as running:
        yield running


def http_session() -> requests.Session:
    """Straight to 127.0.0.1 even where a proxy is configured in the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.fixture
def helpers() -> Iterator[requests.Session]:
    with http_session() as session:
        yield session


def sdk(server: Server) -> stripe.StripeClient:
    http = stripe.RequestsClient(timeout=TIMEOUT, session=http_session())
    # Pinned: these tests are about the served helpers, on the seed's version (payment_method_types and all).
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": server.url},
        max_network_retries=0,
        http_client=http,
        stripe_version="2022-08-01",
    )


def call(http: requests.Session, server: Server, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """A helper call: the status and the decoded JSON answer (every answer, errors included, is JSON)."""
    answer = http.request(method, server.url + "/_pytest_checkout" + path, timeout=TIMEOUT, **kwargs)
    assert answer.headers["Content-Type"] == "application/json"
    decoded: dict[str, Any] = answer.json()
    return answer.status_code, decoded


def error_of(status_and_body: tuple[int, dict[str, Any]], status: int) -> str:
    """The message of an error answer, after checking its status and Stripe's envelope."""
    got, body = status_and_body
    assert got == status, body
    assert set(body) == {"error"}
    assert body["error"]["type"] == "invalid_request_error"
    message: str = body["error"]["message"]
    assert "Traceback" not in message
    return message


# --------------------------------------------------------------------------------------------- the flows


def test_create_complete_retrieve_and_the_completed_event(server: Server, helpers: requests.Session) -> None:
    client = sdk(server)
    created = client.v1.checkout.sessions.create(PARAMS)
    assert (created.status, created.payment_status) == ("open", "unpaid")

    status, session = call(
        helpers, server, "POST", f"/sessions/{created.id}/complete", json={"email": "ada@example.com", "name": "Ada"}
    )
    assert status == 200
    assert (session["id"], session["status"], session["payment_status"]) == (created.id, "complete", "paid")

    retrieved = client.v1.checkout.sessions.retrieve(created.id)
    assert (retrieved.status, retrieved.payment_status) == ("complete", "paid")
    assert retrieved.customer_details is not None
    assert (retrieved.customer_details.email, retrieved.customer_details.name) == ("ada@example.com", "Ada")

    status, events = call(helpers, server, "GET", "/events")
    assert status == 200
    assert (events["object"], events["has_more"]) == ("list", False)
    [event] = events["data"]
    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["id"] == created.id
    assert event == server.fake.events[0].to_dict()  # exactly the event object Stripe would send


def test_complete_takes_a_form_body_with_an_address(server: Server, helpers: requests.Session) -> None:
    created = sdk(server).v1.checkout.sessions.create(PARAMS)
    form = {"email": "form@example.com", "address[city]": "Berlin", "address[country]": "DE", "async_payment": "false"}
    status, session = call(helpers, server, "POST", f"/sessions/{created.id}/complete", data=form)
    assert status == 200
    details = session["customer_details"]
    assert details["email"] == "form@example.com"
    assert (details["address"]["city"], details["address"]["country"]) == ("Berlin", "DE")


@pytest.mark.parametrize(
    ("succeeded", "payment_status", "event_type"),
    [
        (True, "paid", "checkout.session.async_payment_succeeded"),
        (False, "unpaid", "checkout.session.async_payment_failed"),
    ],
)
def test_an_async_payment_settles(
    server: Server, helpers: requests.Session, succeeded: bool, payment_status: str, event_type: str
) -> None:
    euro = {"currency": "eur", "product_data": {"name": "Mug"}, "unit_amount": 900}
    params = {
        **PARAMS,
        "payment_method_types": ["card", "sepa_debit"],
        "line_items": [{"price_data": euro, "quantity": 1}],
    }
    created = sdk(server).v1.checkout.sessions.create(params)

    completion = {"payment_method_type": "sepa_debit", "async_payment": True}
    status, session = call(helpers, server, "POST", f"/sessions/{created.id}/complete", json=completion)
    assert (status, session["payment_status"]) == (200, "unpaid")

    status, session = call(helpers, server, "POST", f"/sessions/{created.id}/settle", json={"succeeded": succeeded})
    assert (status, session["payment_status"]) == (200, payment_status)
    assert sdk(server).v1.checkout.sessions.retrieve(created.id).payment_status == payment_status
    status, events = call(helpers, server, "GET", "/events")
    assert [e["type"] for e in events["data"]] == ["checkout.session.completed", event_type]

    # Settled once: a second settle is refused, naming the reason.
    message = error_of(call(helpers, server, "POST", f"/sessions/{created.id}/settle", data={}), 400)
    assert "has no pending async payment" in message


def test_advancing_the_clock_expires_a_session_with_its_event(server: Server, helpers: requests.Session) -> None:
    client = sdk(server)
    created = client.v1.checkout.sessions.create(PARAMS)
    assert created.expires_at == NOW + DAY
    assert call(helpers, server, "GET", "/clock") == (200, {"object": "clock", "now": NOW})

    assert call(helpers, server, "POST", "/clock/advance", json={"seconds": DAY - 1}) == (
        200,
        {"object": "clock", "now": NOW + DAY - 1},
    )
    assert client.v1.checkout.sessions.retrieve(created.id).status == "open"
    assert call(helpers, server, "POST", "/clock/advance", data={"seconds": "1"})[1]["now"] == NOW + DAY

    assert client.v1.checkout.sessions.retrieve(created.id).status == "expired"
    _, events = call(helpers, server, "GET", "/events")
    [event] = events["data"]
    assert (event["type"], event["created"]) == ("checkout.session.expired", NOW + DAY)
    assert event["data"]["object"]["id"] == created.id


def test_a_price_added_over_http_can_be_bought(server: Server, helpers: requests.Session) -> None:
    status, price = call(
        helpers, server, "POST", "/prices", json={"unit_amount": 1500, "currency": "USD", "product_name": "Mug"}
    )
    assert status == 200
    assert (price["object"], price["unit_amount"], price["currency"], price["type"]) == (
        "price",
        1500,
        "usd",
        "one_time",
    )
    client = sdk(server)
    session = client.v1.checkout.sessions.create({**PARAMS, "line_items": [{"price": price["id"], "quantity": 2}]})
    assert session.amount_total == 3000
    [item] = client.v1.checkout.sessions.line_items.list(session.id).data
    assert item.description == "Mug"

    # A recurring price, as a form, with an id of the test's choosing: a subscription can name it.
    form = {"id": "price_monthly", "unit_amount_decimal": "999", "recurring[interval]": "month"}
    status, monthly = call(helpers, server, "POST", "/prices", data=form)
    assert (status, monthly["id"], monthly["recurring"]["interval"]) == (200, "price_monthly", "month")
    subscription = {**PARAMS, "mode": "subscription", "line_items": [{"price": "price_monthly", "quantity": 1}]}
    assert client.v1.checkout.sessions.create(subscription).amount_total == 999


def test_a_customer_added_over_http_can_be_named(server: Server, helpers: requests.Session) -> None:
    status, customer = call(helpers, server, "POST", "/customers", json={"email": "c@example.com", "name": "C"})
    assert (status, customer["object"], customer["email"]) == (200, "customer", "c@example.com")
    session = sdk(server).v1.checkout.sessions.create({**PARAMS, "customer": customer["id"]})
    assert session.customer == customer["id"]


def test_reset_forgets_everything_and_can_put_the_clock_back(server: Server, helpers: requests.Session) -> None:
    client = sdk(server)
    created = client.v1.checkout.sessions.create(PARAMS)
    call(helpers, server, "POST", f"/sessions/{created.id}/complete", json={})
    call(helpers, server, "POST", "/clock/advance", json={"seconds": 60})

    assert call(helpers, server, "POST", "/reset") == (200, {"object": "reset", "now": NOW + 60})
    assert call(helpers, server, "GET", "/events")[1]["data"] == []
    with pytest.raises(stripe.InvalidRequestError, match=r"No such checkout\.session"):
        client.v1.checkout.sessions.retrieve(created.id)

    assert call(helpers, server, "POST", "/reset", json={"clock": True}) == (200, {"object": "reset", "now": NOW})
    assert call(helpers, server, "GET", "/clock")[1]["now"] == NOW


def test_events_are_oldest_first_and_filter_by_type(server: Server, helpers: requests.Session) -> None:
    client = sdk(server)
    first = client.v1.checkout.sessions.create(PARAMS)
    second = client.v1.checkout.sessions.create(PARAMS)
    client.v1.checkout.sessions.expire(first.id)
    call(helpers, server, "POST", f"/sessions/{second.id}/complete", json={})

    _, everything = call(helpers, server, "GET", "/events")
    assert [(e["type"], e["data"]["object"]["id"]) for e in everything["data"]] == [
        ("checkout.session.expired", first.id),
        ("checkout.session.completed", second.id),
    ]
    assert everything["data"] == [event.to_dict() for event in server.fake.events]
    _, expired = call(helpers, server, "GET", "/events", params={"type": "checkout.session.expired"})
    assert [e["data"]["object"]["id"] for e in expired["data"]] == [first.id]
    both = [("type", "checkout.session.expired"), ("type[]", "checkout.session.completed")]
    assert len(call(helpers, server, "GET", "/events", params=both)[1]["data"]) == 2
    none = call(helpers, server, "GET", "/events", params={"type": "checkout.session.async_payment_failed"})
    assert none[1]["data"] == []


def test_signed_webhook_gives_a_body_the_sdk_verifies(server: Server, helpers: requests.Session) -> None:
    created = sdk(server).v1.checkout.sessions.create(PARAMS)
    call(helpers, server, "POST", f"/sessions/{created.id}/complete", json={})
    event_id = server.fake.events[0].id

    status, signed = call(helpers, server, "POST", "/signed_webhook", json={"event": event_id, "secret": SECRET})
    assert status == 200
    assert (signed["object"], signed["event"], signed["type"]) == (
        "webhook_request",
        event_id,
        "checkout.session.completed",
    )
    assert signed["body"].encode() == server.fake.events[0].payload()
    verified = stripe.Webhook.construct_event(signed["body"], signed["headers"]["Stripe-Signature"], SECRET)
    assert (verified.id, verified.type) == (event_id, "checkout.session.completed")
    assert SECRET not in json.dumps(signed)

    # A form body and a fixed timestamp sign the same body with that time.
    form = {"event": event_id, "secret": SECRET, "timestamp": "1700000000"}
    _, fixed = call(helpers, server, "POST", "/signed_webhook", data=form)
    assert fixed["headers"]["Stripe-Signature"].startswith("t=1700000000,v1=")
    assert fixed["body"] == signed["body"]


def test_the_secret_is_neither_logged_nor_kept(helpers: requests.Session, capsys: pytest.CaptureFixture[str]) -> None:
    with Server(port=0, now=NOW, verbose=True) as server:
        created = sdk(server).v1.checkout.sessions.create(PARAMS)
        call(helpers, server, "POST", f"/sessions/{created.id}/complete", json={})
        event_id = server.fake.events[0].id
        assert call(helpers, server, "POST", "/signed_webhook", data={"event": event_id, "secret": SECRET})[0] == 200
        # Put into the URL (where it would be logged), it is refused, and masked in the log line all the same.
        refused = call(helpers, server, "POST", f"/signed_webhook?event={event_id}&secret={SECRET}")
        assert "not in the URL" in error_of(refused, 400)
        kept = repr(vars(server.fake)) + repr(server.fake.requests)
    log = capsys.readouterr().err
    assert log.count('"POST /_pytest_checkout/signed_webhook') == 2
    assert SECRET[6:] not in log
    assert "&secret=[redacted]" in log
    assert SECRET not in kept


def test_no_helper_answer_shows_an_api_key(server: Server, helpers: requests.Session) -> None:
    created = sdk(server).v1.checkout.sessions.create(PARAMS)
    headers = {"Authorization": f"Bearer {API_KEY}"}  # sent along, and never echoed
    answers = [
        helpers.post(
            server.url + f"/_pytest_checkout/sessions/{created.id}/complete", headers=headers, timeout=TIMEOUT
        ),
        helpers.get(server.url + "/_pytest_checkout/events", headers=headers, timeout=TIMEOUT),
        helpers.get(server.url + "/_pytest_checkout", headers=headers, timeout=TIMEOUT),
        helpers.get(server.url + "/_pytest_checkout/nope", headers=headers, timeout=TIMEOUT),
        helpers.post(
            server.url + "/_pytest_checkout/prices", headers=headers, json={"unit_amount": 1}, timeout=TIMEOUT
        ),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 200]
    for answer in answers:
        text = answer.text + repr(dict(answer.headers))
        assert API_KEY not in text
        assert API_KEY[8:] not in text
    # The helpers are not Stripe requests: only the SDK's create is in the fake's request log.
    assert [r.path for r in server.fake.requests] == ["/v1/checkout/sessions"]


def test_helpers_over_one_kept_alive_http_client_connection(server: Server) -> None:
    created = sdk(server).v1.checkout.sessions.create(PARAMS)
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=TIMEOUT)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        answers = []
        for method, path, body in [
            ("GET", "/_pytest_checkout/clock", None),
            ("POST", "/_pytest_checkout/clock/advance", "seconds=5"),
            ("POST", f"/_pytest_checkout/sessions/{created.id}/complete", "email=h%40example.com"),
            ("HEAD", "/_pytest_checkout/events", None),
            ("GET", "/_pytest_checkout/events", None),
        ]:
            connection.request(method, path, body=body, headers=form)
            answer = connection.getresponse()
            answers.append((answer.status, answer.read()))
    finally:
        connection.close()
    assert [status for status, _ in answers] == [200, 200, 200, 200, 200]
    assert json.loads(answers[1][1])["now"] == NOW + 5
    assert json.loads(answers[2][1])["customer_details"]["email"] == "h@example.com"
    assert answers[3][1] == b""  # HEAD: headers only
    assert [e["type"] for e in json.loads(answers[4][1])["data"]] == ["checkout.session.completed"]
    assert server.connections_accepted == 2  # the SDK's connection and this one


def test_the_index_lists_every_helper_and_the_docs_name_them_all(server: Server, helpers: requests.Session) -> None:
    status, index = call(helpers, server, "GET", "")
    assert status == 200
    listed = [(e["method"], e["path"]) for e in index["data"]]
    assert listed == [(e.method, e.path) for e in testhelpers.ENDPOINTS]
    assert ("POST", "/_pytest_checkout/sessions/{id}/complete") in listed
    docs = DOCS.read_text()
    for method, path in listed:
        assert f"{method} {path}" in docs, f"docs/served.md does not list {method} {path}"


def test_the_cli_serves_the_helpers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_checkout", "serve", "--port", "0", "--now", str(NOW)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().rstrip("\n")  # the banner, printed once listening
        url = line.split(" at ")[1].split()[0]
        assert line == banner(url)
        with http_session() as http:
            advanced = http.post(url + "/_pytest_checkout/clock/advance", json={"seconds": 30}, timeout=TIMEOUT)
        assert (advanced.status_code, advanced.json()) == (200, {"object": "clock", "now": NOW + 30})
    finally:
        process.terminate()
        process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0


# --------------------------------------------------------------------------------------------- bad input


def test_an_unknown_or_closed_session_is_refused(server: Server, helpers: requests.Session) -> None:
    message = error_of(call(helpers, server, "POST", "/sessions/cs_test_nope/complete", json={}), 404)
    assert message == "No such checkout.session: 'cs_test_nope'"
    assert "cs_test_nope" in error_of(call(helpers, server, "POST", "/sessions/cs_test_nope/settle", json={}), 404)

    client = sdk(server)
    completed = client.v1.checkout.sessions.create(PARAMS)
    call(helpers, server, "POST", f"/sessions/{completed.id}/complete", json={})
    message = error_of(call(helpers, server, "POST", f"/sessions/{completed.id}/complete", json={}), 400)
    assert f"Checkout Session {completed.id} is complete; only an open one can be completed" in message

    expired = client.v1.checkout.sessions.create(PARAMS)
    client.v1.checkout.sessions.expire(expired.id)
    assert "is expired" in error_of(call(helpers, server, "POST", f"/sessions/{expired.id}/complete", json={}), 400)
    assert [e.type for e in server.fake.events] == ["checkout.session.completed", "checkout.session.expired"]


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "expected"),
    [
        ("/sessions/{id}/complete", {"json": {"colour": "red"}}, 400, "Received unknown parameter: colour"),
        ("/sessions/{id}/complete", {"json": {"async_payment": "maybe"}}, 400, "Invalid async_payment"),
        ("/sessions/{id}/complete", {"json": {"email": 7}}, 400, "Invalid email: expected a string"),
        ("/sessions/{id}/complete", {"data": {"address[planet]": "Mars"}}, 400, "unknown parameter: address[planet]"),
        ("/sessions/{id}/complete", {"json": {"address": "Berlin"}}, 400, "Invalid address: expected an object"),
        ("/sessions/{id}/complete", {"json": {"payment_method_type": "sepa_debit"}}, 400, "'sepa_debit' is not among"),
        ("/sessions/{id}/complete", {"json": {"async_payment": True}}, 400, "card payments are not asynchronous"),
        ("/sessions/{id}/complete", {"json": {"shipping_rate": "shr_x"}}, 400, "'shr_x' is not among"),
        ("/sessions/{id}/settle", {"json": {}}, 400, "has no pending async payment"),
        ("/clock/advance", {"json": {}}, 400, "Missing required param: seconds."),
        ("/clock/advance", {"json": {"seconds": -5}}, 400, "the clock only moves forward"),
        ("/clock/advance", {"data": {"seconds": "soon"}}, 400, "Invalid seconds: expected an integer, got 'soon'"),
        ("/clock/advance", {"json": {"seconds": True}}, 400, "Invalid seconds: expected an integer, got true"),
        ("/clock/advance", {"json": {"seconds": "9" * 40}}, 400, "Invalid seconds: expected an integer"),
        ("/prices", {"json": {}}, 400, "exactly one of unit_amount and unit_amount_decimal"),
        ("/prices", {"json": {"unit_amount": 1, "unit_amount_decimal": "1"}}, 400, "exactly one of unit_amount"),
        ("/prices", {"json": {"unit_amount_decimal": "abc"}}, 400, "Invalid unit_amount_decimal"),
        ("/prices", {"json": {"unit_amount": -1}}, 400, "Invalid unit_amount: must be 0 or more"),
        ("/prices", {"json": {"unit_amount": 1, "currency": "dollars"}}, 400, "is not a 3-letter ISO code"),
        ("/prices", {"data": {"unit_amount": "1", "recurring[interval]": "fortnight"}}, 400, "recurring[interval]"),
        ("/prices", {"json": {"unit_amount": 1, "recurring": {}}}, 400, "Missing required param: recurring[interval]"),
        ("/customers", {"json": {"balance": 5}}, 400, "Received unknown parameter: balance"),
        ("/reset", {"json": {"clock": "yes"}}, 400, "Invalid clock: expected true or false"),
        ("/signed_webhook", {"json": {"event": "evt_123"}}, 400, "Missing required param: secret."),
        ("/signed_webhook", {"json": {"event": "evt_missing", "secret": SECRET}}, 404, "No such event: 'evt_missing'"),
        ("/clock/advance", {"data": b"seconds=1&a[=2"}, 400, "Invalid parameter name: a["),
        ("/clock/advance", {"data": b'{"seconds": ', "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
        ("/clock/advance", {"json": [60]}, 400, "expected an object of parameters"),
        ("/clock/advance", {"data": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}}, 400, "not valid UTF-8"),
        ("/clock/advance", {"data": b"<seconds/>", "headers": {"Content-Type": "text/xml"}}, 415, "Unsupported"),
        ("/clock/advance", {"data": b"a=" + b"x" * (MAX_BODY + 1)}, 413, "Request body too large"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_problem(
    server: Server, helpers: requests.Session, path: str, kwargs: dict[str, Any], status: int, expected: str
) -> None:
    session = sdk(server).v1.checkout.sessions.create(PARAMS)
    before = server.fake.clock.now(), len(server.fake.events)
    message = error_of(call(helpers, server, "POST", path.replace("{id}", session.id), **kwargs), status)
    assert expected in message
    assert (server.fake.clock.now(), len(server.fake.events)) == before  # refused means nothing happened
    assert server.fake.sessions[session.id]["status"] == "open"


def test_a_bad_event_type_is_refused(server: Server, helpers: requests.Session) -> None:
    message = error_of(call(helpers, server, "GET", "/events", params={"type": "charge.succeeded"}), 400)
    assert message.startswith("Invalid type: must be one of checkout.session.completed,")
    assert "Received unknown parameter: limit" in error_of(call(helpers, server, "GET", "/events?limit=3"), 400)
    assert "Received unknown parameter: x" in error_of(call(helpers, server, "GET", "/clock?x=1"), 400)


def test_an_unknown_helper_is_a_404_listing_the_helpers(server: Server, helpers: requests.Session) -> None:
    status, body = call(helpers, server, "GET", "/sessions")
    message = error_of((status, {"error": {k: v for k, v in body["error"].items() if k != "endpoints"}}), 404)
    assert message.startswith("Unrecognized helper URL (GET: /_pytest_checkout/sessions). The helper endpoints are:")
    for endpoint in testhelpers.ENDPOINTS:
        assert f"{endpoint.method} {endpoint.path}" in message
    assert body["error"]["endpoints"] == [f"{e.method} {e.path}" for e in testhelpers.ENDPOINTS]


def test_the_wrong_method_is_a_405_with_allow(server: Server, helpers: requests.Session) -> None:
    answer = helpers.get(server.url + "/_pytest_checkout/clock/advance", timeout=TIMEOUT)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert answer.json()["error"]["message"] == "GET is not allowed on /_pytest_checkout/clock/advance; use POST."
    assert helpers.delete(server.url + "/_pytest_checkout/events", timeout=TIMEOUT).headers["Allow"] == "GET"


# --------------------------------------------------------------------------------------------- answer() itself


def test_answer_leaves_other_paths_to_the_stripe_handler() -> None:
    fake = CheckoutFake(now=NOW)
    for path in ("/v1/checkout/sessions", "/v2/core/events", "/_pytest_checkoutx", "/", "/_PYTEST_CHECKOUT/clock"):
        assert testhelpers.answer(fake, "GET", path, "", b"", {}) is None
    answer = testhelpers.answer(fake, "GET", "/_pytest_checkout/clock", "", b"", {})
    assert isinstance(answer, FakeResponse)
    assert (answer.status, answer.json()) == (200, {"object": "clock", "now": NOW})


def test_a_percent_encoded_session_id_is_decoded_once() -> None:
    fake = CheckoutFake(now=NOW)
    answer = testhelpers.answer(fake, "POST", "/_pytest_checkout/sessions/cs_%C3%A9%25/complete", "", b"", {})
    assert answer is not None
    assert answer.status == 404
    assert answer.json()["error"]["message"] == "No such checkout.session: 'cs_\u00e9%'"


def test_a_failure_of_the_fake_is_a_500_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = CheckoutFake(now=NOW)

    def broken(seconds: int) -> int:
        raise RuntimeError("the clock fell over")

    monkeypatch.setattr(fake.clock, "advance", broken)
    answer = testhelpers.answer(fake, "POST", "/_pytest_checkout/clock/advance", "", b"seconds=1", {})
    assert answer is not None
    assert answer.status == 500
    assert answer.json() == {
        "error": {
            "type": "api_error",
            "message": "pytest-checkout's fake failed on this helper: RuntimeError: the clock fell over",
        }
    }
