"""The fake under stress: junk never escapes as an exception or a 500, and threads leave consistent state."""

from __future__ import annotations

import json
import threading
import warnings
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_checkout import Client, Session
from pytest_checkout.fake import CheckoutFake, StripeVersionWarning, handle, mock_checkout
from pytest_checkout.fake.httpstate import MAX_RECORDED_REQUESTS, REJECTED_KEPT_CHARS
from pytest_checkout.fake.routes import MAX_DEPTH

KEY = "sk_test_robustness"
PARAMS = {
    "mode": "payment",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "T"}, "unit_amount": 500}, "quantity": 1}
    ],
}

segments = st.sampled_from(["v1", "checkout", "sessions", "expire", "line_items", "customers", "", "cs_test_x", ".."])
paths = st.one_of(
    st.lists(segments, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.text(max_size=40).map(lambda text: "/v1/checkout/sessions/" + text),
)
keys = st.one_of(
    st.sampled_from(["mode", "line_items[0][quantity]", "expand[]", "expand[0]", "metadata[a]", "limit", "a[", "]"]),
    st.text(max_size=20),
)
form = st.lists(st.tuples(keys, st.text(max_size=20)), max_size=12)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Authorization": st.one_of(
            st.just(f"Bearer {KEY}"), st.just("Bearer sk_live_x1"), st.just("Basic !!"), st.text(max_size=30)
        ),
        "Idempotency-Key": st.text(max_size=10),
        "Stripe-Version": st.text(max_size=10),
    },
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "", "get"]),
    path=paths,
    pairs=form,
    header=headers,
    raw=st.one_of(st.none(), st.binary(max_size=64)),
)
def test_any_request_gets_a_stripe_shaped_answer(method, path, pairs, header, raw):
    fake = CheckoutFake(seed=1, now=1_700_000_000)
    fake.create_session(fake.account(KEY), PARAMS | {"line_items": PARAMS["line_items"]})
    body = raw if raw is not None else urlencode(pairs).encode()
    url = "https://api.stripe.com" + path + ("?" + urlencode(pairs) if method.upper() == "GET" else "")
    with warnings.catch_warnings():
        # A drawn Stripe-Version the fake can not place is warned about, by design; this is about the answer.
        warnings.simplefilter("ignore", StripeVersionWarning)
        answer = handle(fake, method, url, header, body)
    assert 200 <= answer.status < 300 or 400 <= answer.status < 500, answer.body
    decoded = json.loads(answer.body)
    assert isinstance(decoded, dict)
    if answer.status >= 400:
        assert set(decoded) == {"error"}
        assert isinstance(decoded["error"]["message"], str)
        assert decoded["error"]["type"] in {"invalid_request_error", "idempotency_error"}
    assert answer.headers["Request-Id"].startswith("req_")


def test_eight_threads_creating_two_hundred_sessions_each():
    with mock_checkout(seed=3) as fake:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                client = Client(KEY)
                for _ in range(200):
                    Session.create(client, PARAMS)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        sessions = fake.sessions  # a snapshot: take it once
        assert len(sessions) == 1600
        client = Client(KEY)
        listed = [s.id for s in Session.list(client, {"limit": 100}).auto_paging_iter()]
        assert len(listed) == len(set(listed)) == 1600
        assert set(listed) == set(sessions)
        created = [sessions[i]["created"] for i in listed]
        assert created == sorted(created, reverse=True)


@settings(max_examples=1000, deadline=None)
@given(
    st.text(alphabet="ab[]=&%+25BDCFdcf0 \u00e9", max_size=40)
    | st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
)
@example("line_items%5B0%5D%5Bprice%5D=p&a%5Bb%5D%5Bc=1&a%5b%5D%2B=2&x%5B%5D+=3")
def test_the_fast_form_parser_reads_what_parse_qsl_reads(text: str):
    from urllib.parse import parse_qsl

    from pytest_checkout.httputil import parse_form

    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)


# --------------------------------------------------------------------------------------------- limits (issue 7)

SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"
AUTH = {"Authorization": f"Bearer {KEY}"}
CREATE = urlencode(
    {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cart",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "500",
        "line_items[0][quantity]": "1",
    }
)


def fresh_fake() -> CheckoutFake:
    return CheckoutFake(seed=1, now=1_700_000_000)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 492, 1000, 20_000])
@pytest.mark.parametrize(
    "top", ["metadata", "zz", "line_items[0][price_data][product_data][metadata]", "expand", "payment_method_types"]
)
def test_a_name_nested_deeper_than_the_limit_is_a_400(depth: int, top: str) -> None:
    fake = fresh_fake()
    name = top + "[a]" * (depth - top.count("["))
    assert name.count("[") == depth
    posted = handle(
        fake, "POST", SESSIONS_URL, AUTH, f"{CREATE}&line_items[0][price_data][product_data][name]=T&{name}=1"
    )
    listed = handle(fake, "GET", f"{SESSIONS_URL}?{urlencode({name: '1'})}", AUTH, None)
    for answer in (posted, listed):
        assert answer.status == 400, answer.body[:300]
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["message"].endswith(f"is nested more than {MAX_DEPTH} levels deep.")
        assert error["param"] == top.partition("[")[0]
        assert len(answer.body) < 500  # the name is quoted cut short
    assert len(fake.sessions) == 0
    assert [(r.status, r.params) for r in fake.requests] == [(400, None), (400, None)]


def test_names_as_deep_as_the_limit_are_read() -> None:
    fake = fresh_fake()
    name = "metadata" + "[a]" * MAX_DEPTH
    answer = handle(
        fake, "POST", SESSIONS_URL, AUTH, f"{CREATE}&line_items[0][price_data][product_data][name]=T&{name}=1"
    )
    # Decoded, then refused by validation as Stripe would refuse a hash for a metadata value: not the depth limit.
    assert answer.status == 400
    assert "nested more than" not in answer.json()["error"]["message"]
    params = fake.requests[-1].params
    assert params is not None
    assert params["metadata"]["a"]["a"]["a"]


def test_a_too_deep_name_is_refused_through_requests() -> None:
    with mock_checkout() as fake:
        answer = requests.post(SESSIONS_URL, data={"zz" + "[a]" * 600: "1"}, headers=AUTH, timeout=5)
        assert answer.status_code == 400
        assert answer.json()["error"]["param"] == "zz"
        assert "nested more than" in answer.json()["error"]["message"]
        assert [r.status for r in fake.requests] == [400]


BODY_NOT_UTF8 = "Invalid request: the body is not valid UTF-8."


@pytest.mark.parametrize(
    "field",
    [
        b"line_items[0][price_data][product_data][name]=%ff",  # stored as U+FFFD before
        b"line_items[0][price_data][product_data][name]=caf%C3",  # a UTF-8 sequence cut short
        b"line_items[0][price_data][product_data][name]=T&metadata[%ff]=1",  # in a name
        b"line_items[0][price_data][product_data][name]=T&metadata%5B%ff%5D=1",
        b"line_items[0][price_data][product_data][name]=\xff",  # raw: refused before as well
    ],
)
def test_bytes_that_are_not_utf8_are_refused_escaped_or_raw(field: bytes) -> None:
    fake = fresh_fake()
    answer = handle(fake, "POST", SESSIONS_URL, AUTH, CREATE.encode() + b"&" + field)
    assert answer.status == 400
    assert answer.json() == {"error": {"type": "invalid_request_error", "message": BODY_NOT_UTF8}}
    assert len(fake.sessions) == 0
    assert fake.requests[-1].params is None


@pytest.mark.parametrize("query", ["limit=%ff", "starting_after=cs_%C3", "expand[]=%e2%82"])
def test_a_query_that_is_not_utf8_is_refused(query: str) -> None:
    fake = fresh_fake()
    listed = handle(fake, "GET", f"{SESSIONS_URL}?{query}", AUTH, None)
    retrieved = handle(fake, "GET", f"{SESSIONS_URL}/cs_test_x?{query}", AUTH, None)
    for answer in (listed, retrieved):
        assert answer.status == 400
        assert answer.json()["error"] == {
            "type": "invalid_request_error",
            "message": "Invalid request: the query string is not valid UTF-8.",
        }


def test_percent_escaped_utf8_is_still_read() -> None:
    fake = fresh_fake()
    name = b"line_items[0][price_data][product_data][name]=caf%C3%A9+cr%C3%A8me"
    answer = handle(fake, "POST", SESSIONS_URL, AUTH, CREATE.encode() + b"&" + name)
    assert answer.status == 200, answer.body
    params = fake.requests[-1].params
    assert params is not None
    assert params["line_items"][0]["price_data"]["product_data"]["name"] == "caf\u00e9 cr\u00e8me"


def many_fields(count: int) -> str:
    return CREATE + "&" + "&".join(f"metadata[key{i}]=value{i}" for i in range(count))


def test_a_rejected_request_keeps_a_bounded_summary() -> None:
    fake = fresh_fake()
    for _ in range(3):
        answer = handle(fake, "POST", SESSIONS_URL, AUTH, many_fields(9_990))
        assert answer.status == 400  # more metadata keys than Stripe allows (and no product name)
    for recorded in fake.requests:
        assert recorded.params_truncated is True
        params = recorded.params
        assert params is not None
        assert params["mode"] == "payment"  # the first fields are kept, read as the schema has them
        assert params["line_items"][0]["quantity"] == 1
        # At most what fits in the kept text, each field being at least this long: 186 of the 9,990 keys.
        assert 0 < len(params["metadata"]) <= REJECTED_KEPT_CHARS // len("metadata[key0]=value0&")
        assert all(value == "value" + key[3:] for key, value in params["metadata"].items())  # whole fields only
        assert "params_truncated=True" in repr(recorded)


def test_a_small_rejected_request_and_an_accepted_one_keep_every_field() -> None:
    fake = fresh_fake()
    refused = handle(fake, "POST", SESSIONS_URL, AUTH, many_fields(60))  # over Stripe's 50 keys, in 2 KB
    accepted = handle(fake, "POST", SESSIONS_URL, AUTH, CREATE + "&line_items[0][price_data][product_data][name]=T")
    assert (refused.status, accepted.status) == (400, 200)
    first, second = fake.requests
    assert first.params_truncated is second.params_truncated is False
    assert first.params is not None
    assert len(first.params["metadata"]) == 60
    assert second.params is not None
    assert second.params["line_items"][0]["price_data"]["product_data"] == {"name": "T"}


def test_a_rejected_request_keeps_its_long_path_and_headers_cut_short() -> None:
    fake = fresh_fake()
    long = "x" * 100_000
    with pytest.warns(StripeVersionWarning):  # not a version the fake can place
        answer = handle(
            fake, "GET", f"{SESSIONS_URL}/{long}", {**AUTH, "Stripe-Version": long, "Idempotency-Key": long}, None
        )
    assert answer.status == 404
    [recorded] = fake.requests
    assert recorded.path == f"/v1/checkout/sessions/{long}"[:REJECTED_KEPT_CHARS] + "..."
    assert recorded.stripe_version == recorded.idempotency_key == long[:REJECTED_KEPT_CHARS] + "..."


def test_the_request_log_keeps_the_latest_entries_up_to_its_cap() -> None:
    fake = CheckoutFake(seed=1, now=1_700_000_000, max_recorded_requests=3)
    answers = [handle(fake, "GET", f"{SESSIONS_URL}?limit={n}", AUTH, None) for n in range(1, 6)]
    kept = [a.headers["Request-Id"] for a in answers[-3:]]
    log = fake.requests
    assert (log.maxlen, len(log)) == (3, 3)
    assert [r.request_id for r in log] == kept  # the oldest two were dropped
    assert log[0].request_id == kept[0]
    assert log[-1].request_id == kept[-1]
    assert [r.request_id for r in log[1:]] == kept[1:]
    assert [r.request_id for r in reversed(log)] == kept[::-1]
    assert log == list(log)
    assert log[-1] in log
    assert log.index(log[-1]) == 2
    first, _, last = log  # unpacks as a list does
    assert (first.request_id, last.request_id) == (kept[0], kept[-1])
    log.clear()
    assert log == []
    assert not log
    fake.reset()
    assert fake.requests.maxlen == 3  # the cap outlives a reset


def test_the_request_log_cap_defaults_and_bounds() -> None:
    assert CheckoutFake().requests.maxlen == MAX_RECORDED_REQUESTS == 10_000
    unbounded = CheckoutFake(max_recorded_requests=None)
    for _ in range(3):
        handle(unbounded, "GET", SESSIONS_URL, AUTH, None)
    assert (unbounded.requests.maxlen, len(unbounded.requests)) == (None, 3)
    none_kept = CheckoutFake(max_recorded_requests=0)
    handle(none_kept, "GET", SESSIONS_URL, AUTH, None)
    assert none_kept.requests == []
    with pytest.raises(ValueError, match="0 or more, got -1"):
        CheckoutFake(max_recorded_requests=-1)
    with pytest.raises(TypeError, match="an int or None, got str"):
        CheckoutFake(max_recorded_requests="10")  # type: ignore[arg-type]


def test_mock_checkout_takes_the_cap() -> None:
    with mock_checkout(max_recorded_requests=2) as fake:
        statuses = [requests.get(SESSIONS_URL, headers=AUTH, timeout=5).status_code for _ in range(4)]
        assert statuses == [200] * 4
        assert len(fake.requests) == 2
        assert fake.requests.maxlen == 2


def test_the_request_log_can_be_read_while_threads_append() -> None:
    fake = CheckoutFake(seed=1, now=1_700_000_000, max_recorded_requests=50)
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(400):
                handle(fake, "GET", SESSIONS_URL, AUTH, None)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    while not done.is_set() or reads == 0:
        assert all(r.status == 200 for r in fake.requests)  # never "deque mutated during iteration"
        assert len(fake.requests) <= 50
        reads += 1
    writer.join(timeout=60)
    assert not errors
    assert len(fake.requests) == 50
