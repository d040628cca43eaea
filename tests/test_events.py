"""Webhook events: the event object, a signature the official SDK accepts, and delivery to applications.

Every signature check goes through ``stripe.Webhook.construct_event`` itself, so a pass here means an
application verifying webhooks the documented way accepts what the fake sends. Secrets are made at run time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import random
import re
import secrets
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.validate import validator

import django
import flask
import pytest
import stripe
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client as DjangoClient
from django.test.utils import override_settings
from django.urls import path as django_path
from django.views.decorators.csrf import csrf_exempt
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_checkout.fake.events import EVENT_TYPES, Event, new_event_id, sign
from pytest_checkout.fake.webhooks import WebhookRequest, WebhookResponse, webhook_request
from pytest_checkout.schema.v2022_08_01 import API_VERSION

EVENT_KEYS = ["id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type"]
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")
SESSION_ID = "cs_test_a1" + "B2c3D4e5" * 7
CREATED = 1_660_000_000


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


@pytest.fixture
def secret() -> str:
    return new_secret()


def make_session(**changes: Any) -> dict[str, Any]:
    session: dict[str, Any] = {
        "id": SESSION_ID,
        "object": "checkout.session",
        "amount_total": 2000,
        "currency": "usd",
        "livemode": False,
        "metadata": {"order": "42"},
        "mode": "payment",
        "payment_status": "paid",
        "status": "complete",
    }
    session.update(changes)
    return session


def make_event(type: str = "checkout.session.completed", **changes: Any) -> Event:
    values: dict[str, Any] = {
        "id": new_event_id(random.Random(7)),
        "type": type,
        "created": CREATED,
        "data_object": make_session(),
        "livemode": False,
    }
    values.update(changes)
    return Event(**values)


def verify(request: WebhookRequest, secret: str) -> stripe.Event:
    event: stripe.Event = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], secret)
    return event


# ----------------------------------------------------------------------------------------------- the event


def test_event_types_are_the_four_checkout_events() -> None:
    assert set(EVENT_TYPES) == {
        "checkout.session.completed",
        "checkout.session.expired",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    }
    assert len(EVENT_TYPES) == 4


def test_to_dict_has_exactly_the_event_keys() -> None:
    event = make_event()
    data = event.to_dict()
    assert list(data) == EVENT_KEYS
    assert data["object"] == "event"
    assert data["id"] == event.id
    assert data["api_version"] == API_VERSION == "2022-08-01"
    assert data["created"] == CREATED
    assert data["data"] == {"object": make_session()}
    assert data["livemode"] is False
    assert data["pending_webhooks"] == 1
    assert data["type"] == "checkout.session.completed"


def test_request_is_null_when_not_given() -> None:
    assert make_event().to_dict()["request"] == {"id": None, "idempotency_key": None}


def test_request_when_given() -> None:
    event = make_event("checkout.session.expired", request_id="req_abc123", idempotency_key="key-1")
    assert event.to_dict()["request"] == {"id": "req_abc123", "idempotency_key": "key-1"}


def test_data_object_is_a_snapshot() -> None:
    session = make_session()
    event = make_event(data_object=session)
    session["status"] = "expired"
    session["metadata"]["order"] = "changed"
    assert event.data_object == make_session()
    assert event.to_dict()["data"]["object"] == make_session()


def test_to_dict_is_a_fresh_copy() -> None:
    event = make_event()
    data = event.to_dict()
    data["data"]["object"]["metadata"]["order"] = "changed"
    assert event.to_dict()["data"]["object"]["metadata"] == {"order": "42"}


def test_payload_is_compact_stable_json_of_to_dict() -> None:
    event = make_event(data_object=make_session(customer_details={"name": "Zoë"}))
    payload = event.payload()
    assert payload == event.payload()
    assert payload == json.dumps(event.to_dict(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert list(json.loads(payload)) == EVENT_KEYS
    assert json.loads(payload) == event.to_dict()
    assert "Zoë".encode() in payload


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown Checkout event type 'checkout\.session\.created'.*completed"):
        make_event("checkout.session.created")


@pytest.mark.parametrize("bad_id", ["", "cs_test_123", "evt_", "evt_abc-def", 42])
def test_malformed_event_id_is_refused(bad_id: object) -> None:
    with pytest.raises(ValueError, match="event id"):
        make_event(id=bad_id)


def test_data_object_must_be_json() -> None:
    with pytest.raises(ValueError, match="must be JSON"):
        make_event(data_object=make_session(amount_total=float("nan")))
    with pytest.raises(TypeError, match="must be JSON"):
        make_event(data_object=make_session(metadata={1, 2}))
    with pytest.raises(TypeError, match="JSON object"):
        make_event(data_object=["not", "a", "dict"])


def test_events_are_frozen_and_hashable() -> None:
    event = make_event()
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.type = "checkout.session.expired"  # type: ignore[misc]
    assert hash(event) == hash(make_event())
    assert event == make_event()


def test_new_event_id_is_deterministic_given_the_rng() -> None:
    first, second = random.Random(3), random.Random(3)
    ids = [new_event_id(first) for _ in range(5)]
    assert ids == [new_event_id(second) for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(EVENT_ID.fullmatch(i) for i in ids)


def test_from_dict_reads_to_dict() -> None:
    event = make_event(request_id="req_1", idempotency_key="k", pending_webhooks=3)
    assert Event.from_dict(event.to_dict()) == event


def test_from_dict_refuses_other_keys() -> None:
    data = make_event().to_dict()
    with pytest.raises(ValueError, match="unexpected 'extra'"):
        Event.from_dict({**data, "extra": "x"})
    del data["request"]
    with pytest.raises(ValueError, match="missing 'request'"):
        Event.from_dict(data)


# ------------------------------------------------------------------------------------------- the signature


def test_sign_is_hmac_sha256_over_timestamp_dot_payload(secret: str) -> None:
    payload = b'{"id":"evt_1","object":"event"}'
    expected = hmac.new(secret.encode("utf-8"), b"1660000000." + payload, hashlib.sha256).hexdigest()
    assert sign(payload, secret, 1_660_000_000) == f"t=1660000000,v1={expected}"
    assert sign(payload.decode(), secret, 1_660_000_000) == f"t=1660000000,v1={expected}"


def test_sign_matches_the_sdk_test_helper(secret: str) -> None:
    payload = make_event().payload().decode("utf-8")
    sdk = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=1_660_000_000)
    assert sign(payload, secret, 1_660_000_000) == sdk


@pytest.mark.parametrize("empty", ["", "   ", "\t\n"])
def test_sign_refuses_an_empty_secret(empty: str) -> None:
    with pytest.raises(ValueError, match="secret is empty"):
        sign(b"{}", empty, 1)
    with pytest.raises(ValueError, match="secret is empty"):
        webhook_request(make_event(), empty)


def test_a_secret_without_whsec_prefix_is_used_silently() -> None:
    secret = "my-endpoint-" + secrets.token_hex(8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        request = webhook_request(make_event(), secret)
    assert verify(request, secret).id == request.event.id


def test_the_sdk_accepts_the_request(secret: str) -> None:
    request = webhook_request(make_event("checkout.session.async_payment_failed"), secret)
    event = verify(request, secret)
    assert isinstance(event, stripe.Event)
    assert event.id == request.event.id
    assert event.type == "checkout.session.async_payment_failed"
    assert event.data.object.id == SESSION_ID
    assert event.data.object.metadata["order"] == "42"


def test_the_sdk_refuses_a_wrong_secret(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    with pytest.raises(stripe.SignatureVerificationError, match="No signatures found matching"):
        verify(request, new_secret())


def test_the_sdk_refuses_a_tampered_body(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    tampered = request.body.replace(b'"amount_total":2000', b'"amount_total":1')
    assert tampered != request.body
    with pytest.raises(stripe.SignatureVerificationError, match="No signatures found matching"):
        stripe.Webhook.construct_event(tampered, request.headers["Stripe-Signature"], secret)


def test_the_sdk_refuses_a_timestamp_301_seconds_old(secret: str) -> None:
    old = webhook_request(make_event(), secret, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        verify(old, secret)
    recent = webhook_request(make_event(), secret, timestamp=int(time.time()) - 250)
    assert verify(recent, secret).type == "checkout.session.completed"


def test_the_timestamp_defaults_to_the_real_clock(secret: str) -> None:
    # An event created long ago (a fake clock) is still signed now, or the SDK would refuse it.
    request = webhook_request(make_event(created=1_000_000_000), secret)
    timestamp = int(request.signature.split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 5
    assert verify(request, secret).created == 1_000_000_000


def test_request_headers(secret: str) -> None:
    request = webhook_request(make_event(), secret, timestamp=1_660_000_000)
    assert request.headers == {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(request.body, secret, 1_660_000_000),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    assert request.signature == request.headers["Stripe-Signature"]
    assert request.body == request.event.payload()


def test_the_request_never_holds_the_secret(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    assert secret not in repr(request)
    assert secret not in repr(request.event)
    assert secret.encode() not in request.body
    assert all(secret not in value for value in request.headers.values())
    assert secret not in repr(dataclasses.asdict(request))
    assert request.event.id in repr(request)


def test_webhook_request_from_an_event_dict(secret: str) -> None:
    data = make_event("checkout.session.expired", request_id="req_9").to_dict()
    request = webhook_request(data, secret)
    assert json.loads(request.body) == data
    assert request.event == Event.from_dict(data)
    event = verify(request, secret)
    assert event.type == "checkout.session.expired"
    assert event.request is not None
    assert event.request.id == "req_9"


def test_webhook_request_refuses_other_things(secret: str) -> None:
    with pytest.raises(TypeError, match="Event or an event dict"):
        webhook_request(b"{}", secret)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- delivery


def make_wsgi_app(secret: str) -> Callable[..., Iterable[bytes]]:
    """A webhook endpoint as a bare WSGI app: verifies with the SDK, answers 200 and the event, else 400."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            event = stripe.Webhook.construct_event(body, environ.get("HTTP_STRIPE_SIGNATURE"), secret)
        except (stripe.SignatureVerificationError, ValueError):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        answer = {
            "type": event.type,
            "session": event.data.object.id,
            "path": environ["PATH_INFO"],
            "query": environ["QUERY_STRING"],
            "content_type": environ["CONTENT_TYPE"],
            "user_agent": environ["HTTP_USER_AGENT"],
        }
        out = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]

    return app


@pytest.mark.filterwarnings("error")  # wsgiref's validator warns about environ and protocol mistakes
def test_to_wsgi_passes_the_wsgi_validator(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    response = request.to_wsgi(validator(make_wsgi_app(secret)), path="/hooks/stripe?account=1")
    assert isinstance(response, WebhookResponse)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "checkout.session.completed",
        "session": SESSION_ID,
        "path": "/hooks/stripe",
        "query": "account=1",
        "content_type": "application/json; charset=utf-8",
        "user_agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


def test_to_wsgi_answers_what_the_app_answers_to_a_bad_signature(secret: str) -> None:
    response = webhook_request(make_event(), new_secret()).to_wsgi(make_wsgi_app(secret))
    assert response.status == 400
    assert response.text == "bad signature"


def test_to_wsgi_closes_the_iterable_and_takes_write(secret: str) -> None:
    closed: list[bool] = []

    class Answer:
        def __iter__(self) -> Iterator[bytes]:
            yield b"b"
            yield b"c"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        write = start_response("202 Accepted", [("X-A", "1"), ("X-A", "2")])
        write(b"a")
        return Answer()

    response = webhook_request(make_event(), secret).to_wsgi(app)
    assert (response.status, response.body, response.headers) == (202, b"abc", {"X-A": "1, 2"})
    assert closed == [True]


def test_to_wsgi_needs_start_response(secret: str) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return [b"nothing"]

    with pytest.raises(RuntimeError, match="without calling start_response"):
        webhook_request(make_event(), secret).to_wsgi(app)


def test_post_to_a_wsgi_function(secret: str) -> None:
    response = webhook_request(make_event("checkout.session.expired"), secret).post_to(make_wsgi_app(secret))
    assert isinstance(response, WebhookResponse)
    assert response.status == 200
    assert response.json()["type"] == "checkout.session.expired"


def test_to_callable_and_post_to_a_handler(secret: str) -> None:
    seen: list[tuple[bytes, dict[str, str]]] = []

    def handle(body: bytes, headers: dict[str, str]) -> str:
        seen.append((body, dict(headers)))
        event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret)
        headers["Stripe-Signature"] = "changed"  # the handler's own copy: the request keeps its headers
        return str(event.type)

    request = webhook_request(make_event("checkout.session.async_payment_succeeded"), secret)
    assert request.to_callable(handle) == "checkout.session.async_payment_succeeded"
    assert request.post_to(handle) == "checkout.session.async_payment_succeeded"
    assert [body for body, _ in seen] == [request.body, request.body]
    assert request.headers["Stripe-Signature"] != "changed"
    assert request.post_to(lambda b, h: (len(b), sorted(h))) == (
        len(request.body),
        ["Content-Type", "Stripe-Signature", "User-Agent"],
    )


class FakeTestClient:
    """A werkzeug-style test client: ``post(path, data=..., headers=...)``."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def post(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> str:
        self.calls.append({"path": path, "data": data, "headers": headers})
        return "posted"


class FakeStarletteClient:
    """An httpx-style test client: raw bodies go in ``content=``."""

    __module__ = "starlette.testclient"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def post(self, path: str, content: bytes | None = None, headers: dict[str, str] | None = None) -> str:
        self.calls.append({"path": path, "content": content, "headers": headers})
        return "posted"


def test_post_to_a_test_client(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    client = FakeTestClient()
    assert request.post_to(client, path="/stripe") == "posted"
    assert client.calls == [{"path": "/stripe", "data": request.body, "headers": request.headers}]


def test_post_to_an_httpx_style_test_client(secret: str) -> None:
    request = webhook_request(make_event(), secret)
    client = FakeStarletteClient()
    assert request.post_to(client) == "posted"
    assert client.calls == [{"path": "/webhook", "content": request.body, "headers": request.headers}]


@pytest.mark.parametrize("target", [42, "http://localhost/webhook", lambda: None, lambda a, b, c: None])
def test_post_to_refuses_what_it_cannot_deliver_to(secret: str, target: object) -> None:
    with pytest.raises(TypeError, match="cannot deliver a webhook"):
        webhook_request(make_event(), secret).post_to(target)


def test_to_wsgi_refuses_a_relative_path(secret: str) -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        webhook_request(make_event(), secret).to_wsgi(make_wsgi_app(secret), path="webhook")


# ------------------------------------------------------------------------------------------------- Flask


def make_flask_app(secret: str) -> flask.Flask:
    app = flask.Flask("webhooks")

    @app.post("/webhook")
    def webhook() -> tuple[Any, int]:
        try:
            event = stripe.Webhook.construct_event(
                flask.request.get_data(), flask.request.headers.get("Stripe-Signature"), secret
            )
        except stripe.SignatureVerificationError:
            return {"error": "bad signature"}, 400
        return {"type": event.type, "session": event.data.object.id}, 200

    return app


def test_flask_test_client(secret: str) -> None:
    app = make_flask_app(secret)
    response = webhook_request(make_event(), secret).post_to(app.test_client())
    assert response.status_code == 200
    assert response.get_json() == {"type": "checkout.session.completed", "session": SESSION_ID}
    refused = webhook_request(make_event(), new_secret()).to_test_client(app.test_client())
    assert refused.status_code == 400


def test_flask_app_object_goes_through_wsgi(secret: str) -> None:
    # A Flask app has a ``post`` route decorator; post_to must still call it as a WSGI app.
    app = make_flask_app(secret)
    response = webhook_request(make_event("checkout.session.expired"), secret).post_to(app)
    assert isinstance(response, WebhookResponse)
    assert response.status == 200
    assert response.json() == {"type": "checkout.session.expired", "session": SESSION_ID}


# ------------------------------------------------------------------------------------------------ Django


@pytest.fixture
def django_webhook(secret: str) -> Iterator[None]:
    """A Django project with one view at ``/webhook``, for this test only.

    Settings can be configured once per process; this configures the bare minimum if nothing has yet (no apps,
    no database, no middleware), and puts everything the test needs in ``override_settings``, which it undoes.
    """
    if not django_settings.configured:
        django_settings.configure(
            DEBUG=False,
            SECRET_KEY=secrets.token_hex(32),
            INSTALLED_APPS=[],
            DATABASES={},
            MIDDLEWARE=[],
            USE_TZ=True,
        )
    django.setup()

    @csrf_exempt
    def webhook(request: HttpRequest) -> HttpResponse:
        try:
            event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"), secret)
        except stripe.SignatureVerificationError:
            return HttpResponse("bad signature", status=400)
        return JsonResponse({"type": event.type, "session": event.data.object.id, "content_type": request.content_type})

    # A class (hashable, unlike a module built at run time) serves as the URLconf Django resolves with.
    urlconf = type("WebhookURLConf", (), {"urlpatterns": [django_path("webhook", webhook)]})
    with override_settings(ROOT_URLCONF=urlconf, ALLOWED_HOSTS=["testserver", "localhost"], MIDDLEWARE=[]):
        yield


@pytest.mark.usefixtures("django_webhook")
def test_django_test_client(secret: str) -> None:
    response = webhook_request(make_event(), secret).post_to(DjangoClient())
    assert response.status_code == 200
    assert response.json() == {
        "type": "checkout.session.completed",
        "session": SESSION_ID,
        "content_type": "application/json",
    }
    refused = webhook_request(make_event(), new_secret()).to_test_client(DjangoClient())
    assert refused.status_code == 400


@pytest.mark.usefixtures("django_webhook")
def test_django_wsgi_handler_goes_through_wsgi(secret: str) -> None:
    response = webhook_request(make_event("checkout.session.expired"), secret).post_to(WSGIHandler())
    assert isinstance(response, WebhookResponse)
    assert response.status == 200
    assert response.json()["type"] == "checkout.session.expired"


# -------------------------------------------------------------------------------------------- Hypothesis

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)
SESSIONS = st.builds(
    lambda extra, id: {**extra, "id": id, "object": "checkout.session"},
    st.dictionaries(st.text(), JSON_VALUES, max_size=8),
    st.from_regex(r"cs_(test|live)_[A-Za-z0-9]{1,58}", fullmatch=True),
)
SECRETS = st.one_of(
    st.text(min_size=1).map(lambda s: "whsec_" + s),
    st.text(min_size=1).filter(lambda s: s.strip(" \t\r\n\f\v") != ""),
)


@settings(max_examples=200, deadline=None)
@given(
    session=SESSIONS,
    secret=SECRETS,
    type=st.sampled_from(EVENT_TYPES),
    created=st.integers(min_value=0, max_value=2**40),
    seed=st.integers(),
)
def test_the_sdk_accepts_whatever_webhook_request_signs(
    session: dict[str, Any], secret: str, type: str, created: int, seed: int
) -> None:
    event = Event(
        id=new_event_id(random.Random(seed)),
        type=type,
        created=created,
        data_object=session,
        livemode=session["id"].startswith("cs_live_"),
    )
    request = webhook_request(event, secret)
    verified = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], secret)
    assert verified.type == type
    assert verified.id == event.id
    assert verified.data.object.id == session["id"]
    assert json.loads(request.body)["data"]["object"] == session
