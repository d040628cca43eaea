"""The fake under stress: junk never escapes as an exception or a 500, and threads leave consistent state."""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_checkout import Client, Session
from pytest_checkout.fake import CheckoutFake, handle, mock_checkout

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
