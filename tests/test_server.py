"""The fake over real HTTP: ``Server`` (a threaded HTTP/1.1 server around ``make_wsgi_app``) and the CLI.

Every request goes to 127.0.0.1 on a port the operating system picked, with a timeout, so a broken server
fails a test instead of hanging it. The clients are the official ``stripe`` SDK, this package's ``Client`` and
plain ``requests``; each test has its own server and fake.
"""

from __future__ import annotations

import errno
import http.client
import io
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.validate import validator

import pytest
import requests
import stripe

import pytest_checkout
from pytest_checkout.__main__ import build_parser, main
from pytest_checkout.fake import CheckoutFake, http11, mock_checkout
from pytest_checkout.fake import server as server_module
from pytest_checkout.fake.routes import MAX_BODY, handle
from pytest_checkout.fake.server import DEFAULT_PORT, Server, banner, make_wsgi_app
from pytest_checkout.schema.v2022_08_01 import API_VERSION

API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
NOW = 1_660_000_000
TIMEOUT = 10  # seconds: any single request or process step of these tests
PARAMS: dict[str, Any] = {
    "mode": "payment",
    "success_url": "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example/cart",
    "line_items": [
        {"price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000}, "quantity": 2}
    ],
}
# Headers the HTTP layer adds (or that differ between a socket and ``responses``), not the handler's.
TRANSPORT_HEADERS = {"date", "server", "content-length", "connection", "transfer-encoding"}


def http_session() -> requests.Session:
    """A requests session that goes straight to 127.0.0.1 even where a proxy is configured in the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def sdk(server: Server, api_key: str = API_KEY) -> stripe.StripeClient:
    """The official SDK, pinned to the fake's version (no StripeVersionWarning), no retries, bounded waits."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": server.url},
        stripe_version=API_VERSION,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=TIMEOUT, session=http_session()),
    )


def own_client(server: Server) -> pytest_checkout.Client:
    return pytest_checkout.Client(API_KEY, api_base=server.url, http=http_session(), timeout=TIMEOUT)


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(port=0, now=NOW) as running:
        yield running


# --------------------------------------------------------------------------------------------- the official SDK


def test_the_official_sdk_runs_the_seed_operations_against_the_server(server: Server) -> None:
    client = sdk(server)
    created = client.v1.checkout.sessions.create(PARAMS)
    assert created.id.startswith("cs_test_a1")
    assert (created.status, created.amount_total, created.created) == ("open", 4000, NOW)

    retrieved = client.v1.checkout.sessions.retrieve(created.id, {"expand": ["line_items"]})
    assert retrieved.id == created.id
    assert retrieved.line_items is not None
    [item] = retrieved.line_items.data
    assert (item.description, item.quantity, item.amount_total) == ("T-shirt", 2, 4000)

    second = client.v1.checkout.sessions.create(PARAMS)
    listed = client.v1.checkout.sessions.list({"limit": 10})
    assert [s.id for s in listed.data] == [second.id, created.id]
    assert listed.has_more is False

    items = client.v1.checkout.sessions.line_items.list(created.id)
    assert [i.id for i in items.data] == [item.id]

    expired = client.v1.checkout.sessions.expire(created.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert server.fake.sessions[created.id]["status"] == "expired"
    assert [e.type for e in server.fake.events] == ["checkout.session.expired"]


def test_the_official_sdk_surfaces_a_400_with_code_and_param(server: Server) -> None:
    bad = {**PARAMS, "line_items": [{"price_data": {"product_data": {"name": "x"}, "unit_amount": 1}, "quantity": 1}]}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk(server).v1.checkout.sessions.create(bad)
    error = caught.value
    assert error.http_status == 400
    assert error.code == "parameter_missing"
    assert error.param == "line_items[0][price_data][currency]"
    assert error.user_message == "Missing required param: line_items[0][price_data][currency]."
    assert str(error.request_id).startswith("req_")


def test_the_official_sdk_gets_404s(server: Server) -> None:
    client = sdk(server)
    with pytest.raises(stripe.InvalidRequestError, match=r"Unrecognized request URL \(GET: /v1/unknown\)") as caught:
        client.raw_request("get", "/v1/unknown")
    assert caught.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError, match=r"No such checkout\.session: 'cs_test_nope'") as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (404, "resource_missing", "session")


def test_401_without_a_usable_key(server: Server) -> None:
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key provided") as caught:
        sdk(server, api_key="sk_test_not-a-key!").v1.checkout.sessions.list()
    assert caught.value.http_status == 401

    # No Authorization header at all: something the SDK will not send, so plain requests.
    answer = http_session().get(server.url + "/v1/checkout/sessions", timeout=TIMEOUT)
    assert (answer.status_code, answer.reason) == (401, "Unauthorized")
    assert answer.json()["error"]["message"].startswith("You did not provide an API key.")
    assert answer.headers["Stripe-Should-Retry"] == "false"


# --------------------------------------------------------------------------------------------- this package's client


def test_this_packages_client_against_the_server(server: Server) -> None:
    with own_client(server) as client:
        created = pytest_checkout.Session.create(client, PARAMS, idempotency_key="order-1")
        again = pytest_checkout.Session.create(client, PARAMS, idempotency_key="order-1")
        assert again.id == created.id  # replayed by the handler, across two HTTP connections

        retrieved = pytest_checkout.Session.retrieve(client, created.id, expand=["line_items"])
        assert retrieved.line_items is not None
        assert [i.quantity for i in retrieved.line_items.data] == [2]

        assert [s.id for s in pytest_checkout.Session.list(client).auto_paging_iter()] == [created.id]
        [item] = pytest_checkout.Session.list_line_items(client, created.id).data
        assert item.amount_total == 4000

        assert pytest_checkout.Session.expire(client, created.id).status == "expired"
        with pytest.raises(pytest_checkout.InvalidRequestError, match="can be expired") as caught:
            pytest_checkout.Session.expire(client, created.id)
        assert caught.value.http_status == 400
        with pytest.raises(pytest_checkout.InvalidRequestError, match=r"No such checkout\.session") as missing:
            pytest_checkout.Session.retrieve(client, "cs_test_missing")
        assert missing.value.http_status == 404


# --------------------------------------------------------------------------------------------- one handler


def exchange(
    http: requests.Session, base: str, method: str, path: str, *, key: str | None = API_KEY, **kwargs: Any
) -> tuple[int, str, dict[str, str], Any]:
    headers = {"Stripe-Version": API_VERSION, **kwargs.pop("headers", {})}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    answer = http.request(method, base + path, headers=headers, timeout=TIMEOUT, **kwargs)
    kept = {k.lower(): v for k, v in answer.headers.items() if k.lower() not in TRANSPORT_HEADERS}
    return answer.status_code, answer.reason, kept, answer.json()


def conversation(http: requests.Session, base: str) -> list[tuple[int, str, dict[str, str], Any]]:
    """The same requests, in the same order, for any base URL: every route, errors and odd paths."""
    body = pytest_checkout.encode_body(PARAMS)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answers = [
        exchange(http, base, "POST", "/v1/checkout/sessions", data=body, headers={**form, "Idempotency-Key": "k1"})
    ]
    session_id = answers[0][3]["id"]
    answers += [
        exchange(http, base, "POST", "/v1/checkout/sessions", data=body, headers={**form, "Idempotency-Key": "k1"}),
        exchange(http, base, "POST", "/v1/checkout/sessions", data=body, headers=form),
        exchange(http, base, "GET", f"/v1/checkout/sessions/{session_id}?expand[]=line_items"),
        exchange(http, base, "GET", "/v1/checkout/sessions?limit=1"),
        exchange(http, base, "GET", "/v1/checkout/sessions?customer_details%5Bemail%5D=jenny%2Brosen%40example.com"),
        exchange(http, base, "GET", f"/v1/checkout/sessions/{session_id}/line_items?limit=5"),
        exchange(http, base, "POST", f"/v1/checkout/sessions/{session_id}/expire", headers=form),
        exchange(http, base, "POST", f"/v1/checkout/sessions/{session_id}/expire", headers=form),
        exchange(http, base, "POST", "/v1/checkout/sessions", data="mode=payment", headers=form),
        exchange(http, base, "GET", "/v1/unknown"),
        exchange(http, base, "GET", "/v1/checkout/sessions/"),
        exchange(http, base, "GET", "/v1/checkout/sessions", key=None),
        exchange(http, base, "GET", "/v1/checkout/sessions", key="pk_test_123"),
        # A UTF-8 id (percent-encoded by requests) and an encoded "%": WSGI hands both over decoded.
        exchange(http, base, "GET", "/v1/checkout/sessions/cs_test_\u00e9\u20ac"),
        exchange(http, base, "GET", "/v1/checkout/sessions/cs_test_100%25"),
        exchange(http, base, "DELETE", f"/v1/checkout/sessions/{session_id}"),
        exchange(http, base, "POST", "/v1/checkout/sessions", data=b"a=" + b"x" * (MAX_BODY + 10), headers=form),
    ]
    return answers


def test_server_and_mock_checkout_give_the_same_answers(server: Server) -> None:
    served = conversation(http_session(), server.url)
    with mock_checkout(seed=0, now=NOW) as fake:
        mocked = conversation(http_session(), "https://api.stripe.com")
        mocked_log = list(fake.requests)

    statuses = [200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 404, 404, 401, 401, 404, 404, 404, 413]
    assert [a[0] for a in served] == statuses
    for (status, reason, headers, body), (mocked_status, _, mocked_headers, mocked_body) in zip(
        served, mocked, strict=True
    ):
        assert (status, headers, body) == (mocked_status, mocked_headers, mocked_body)
        assert reason  # a real reason phrase on the status line ("200 OK", "413 Request Entity Too Large", ...)
    # Ids, URLs, request ids and replay headers included: one seeded handler behind both.
    assert served[1][2]["idempotent-replayed"] == "true"
    assert served[1][2]["original-request"] == served[0][2]["request-id"]
    assert served[14][3]["error"]["message"] == "No such checkout.session: 'cs_test_\u00e9\u20ac'"
    assert served[15][3]["error"]["message"] == "No such checkout.session: 'cs_test_100%'"
    assert served[-1][1] in ("Request Entity Too Large", "Content Too Large")
    assert server.fake.requests == mocked_log


def call_wsgi(
    fake: CheckoutFake,
    method: str,
    path_info: str,
    query: str = "",
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[str, dict[str, str], bytes]:
    """Call the WSGI app as a server would (PEP 3333 environ, native strings), under wsgiref's validator."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "application/x-www-form-urlencoded" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Bearer {API_KEY}",
        "HTTP_STRIPE_VERSION": API_VERSION,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        started.append((status, headers))
        return lambda data: None

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the validator reports protocol mistakes as warnings
        result = validator(make_wsgi_app(fake))(environ, start_response)
        payload = b"".join(result)
        result.close()  # type: ignore[attr-defined]
    [(status, response_headers)] = started
    return status, dict(response_headers), payload


def test_the_wsgi_app_passes_wsgirefs_validator() -> None:
    body = pytest_checkout.encode_body(PARAMS).encode()
    status, headers, payload = call_wsgi(CheckoutFake(seed=0, now=NOW), "POST", "/v1/checkout/sessions", body=body)
    assert status == "200 OK"
    assert headers["Content-Length"] == str(len(payload))
    assert headers["Content-Type"] == "application/json"
    assert json.loads(payload)["id"].startswith("cs_test_a1")


def test_the_wsgi_app_undoes_the_latin_1_decoding_of_path_and_query() -> None:
    fake = CheckoutFake(seed=0, now=NOW)
    # What a server puts in PATH_INFO for /v1/checkout/sessions/cs_%C3%A9%25: percent-decoded bytes as latin-1.
    path_info = "/v1/checkout/sessions/cs_\u00e9%".encode().decode("latin-1")
    status, _, payload = call_wsgi(fake, "GET", path_info)
    assert status == "404 Not Found"
    assert json.loads(payload)["error"]["message"] == "No such checkout.session: 'cs_\u00e9%'"
    # A query keeps its escapes; raw UTF-8 bytes in it (latin-1 decoded by the server) are read as UTF-8 too.
    query = "customer_details[email]=j\u00e9+r%2Bosen%40example.com".encode().decode("latin-1")
    status, _, payload = call_wsgi(fake, "GET", "/v1/checkout/sessions", query)
    assert status == "200 OK"
    assert fake.requests[-1].params == {"customer_details": {"email": "j\u00e9 r+osen@example.com"}}


@pytest.mark.parametrize("path", ["//v1/checkout/sessions", "//evil.example/v1/checkout/sessions"])
def test_the_wsgi_app_does_not_read_two_leading_slashes_as_a_host(path: str) -> None:
    # Under wsgiref this cannot happen (http.server folds leading slashes into one, a guard against open
    # redirects), but other WSGI servers pass them on; the answer must be mock_checkout's.
    status, _, payload = call_wsgi(CheckoutFake(now=NOW), "GET", path)
    with mock_checkout(now=NOW):
        mocked = http_session().get("https://api.stripe.com" + path, auth=(API_KEY, ""), timeout=TIMEOUT)
    assert (status, json.loads(payload)) == ("404 Not Found", mocked.json())
    assert mocked.json()["error"]["message"].startswith(f"Unrecognized request URL (GET: {path})")


def test_handle_reads_a_relative_url_starting_with_two_slashes_as_a_path() -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    answer = handle(CheckoutFake(now=NOW), "GET", "//evil.example/v1/checkout/sessions", headers, b"")
    assert answer.status == 404


# --------------------------------------------------------------------------------------------- concurrency


def test_parallel_creates_all_succeed_and_are_all_listed(server: Server) -> None:
    threads, per_thread = 4, 25
    start_together = threading.Barrier(threads, timeout=TIMEOUT)

    def work(worker: int) -> list[str]:
        client = sdk(server)  # one client (and HTTP session) per thread
        start_together.wait()
        return [
            client.v1.checkout.sessions.create({**PARAMS, "client_reference_id": f"{worker}-{n}"}).id
            for n in range(per_thread)
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        created = [session_id for ids in pool.map(work, range(threads)) for session_id in ids]

    assert len(created) == len(set(created)) == threads * per_thread
    client = sdk(server)
    first = client.v1.checkout.sessions.list({"limit": 100})
    assert (len(first.data), first.has_more) == (100, False)
    paged = [s.id for s in client.v1.checkout.sessions.list({"limit": 100}).auto_paging_iter()]
    assert sorted(paged) == sorted(created)
    references = {s.client_reference_id for s in first.data}
    assert references == {f"{w}-{n}" for w in range(threads) for n in range(per_thread)}
    assert [r.status for r in server.fake.requests].count(200) == threads * per_thread + 2


# --------------------------------------------------------------------------------------------- lifecycle


def test_server_lifecycle() -> None:
    server = Server(port=0, now=NOW)
    assert "not listening" in repr(server)
    with pytest.raises(RuntimeError, match="not listening"):
        _ = server.url
    server.shutdown()  # before start: nothing to do, and no hang

    with server:
        url = server.url
        assert url.startswith("http://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) not in (0, DEFAULT_PORT)
        assert server.fake.api_base == url  # a fake the server made says where it answers
        assert url in repr(server)
        assert http_session().get(url + "/v1/checkout/sessions", timeout=TIMEOUT).status_code == 401
    server.shutdown()  # twice is fine

    with pytest.raises(requests.ConnectionError):
        http_session().get(url + "/v1/checkout/sessions", timeout=TIMEOUT)


def test_a_given_fake_is_served_as_it_is() -> None:
    fake = CheckoutFake(seed=3, now=NOW, api_base="https://api.stripe.com")
    price = fake.add_price(unit_amount=500, product_name="Mug")
    with Server(port=0, fake=fake) as server:
        assert server.fake is fake
        assert fake.api_base == "https://api.stripe.com"  # the caller's fake keeps its settings
        params = {**PARAMS, "line_items": [{"price": price["id"], "quantity": 3}]}
        session = sdk(server).v1.checkout.sessions.create(params)
    assert fake.sessions[session.id]["amount_total"] == 1500
    fake.complete(session.id)
    assert fake.sessions[session.id]["status"] == "complete"


def test_start_and_stop_right_away_many_times() -> None:
    # start() then shutdown() with no request in between must neither hang nor leak the socket.
    for _ in range(20):
        with Server(port=0):
            pass


def test_a_port_in_use_raises_oserror_on_start() -> None:
    with Server(port=0) as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="in use") as caught:
            Server(port=port).start()
        assert caught.value.errno == errno.EADDRINUSE


def test_non_loopback_binding_warns(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Binding 0.0.0.0 in a test would open a port to the network; pretend 127.0.0.1 is not loopback instead.
    with Server(port=0):
        pass
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(server_module, "_is_loopback", lambda host: False)
    with Server(port=0) as server:
        url = server.url
    err = capsys.readouterr().err
    assert f"warning: the fake is listening on {url}, reachable from other machines" in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False)],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert server_module._is_loopback(host) is loopback


# --------------------------------------------------------------------------------------------- logging


def test_quiet_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    with Server(port=0) as server:
        http_session().get(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT)
        # An HTTP version it does not speak: the base handler answers 505 itself and would log an error line.
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=TIMEOUT) as raw:
            raw.sendall(b"GET /v1/checkout/sessions HTTP/2.0\r\n\r\n")
            assert b"505" in raw.recv(4096)
        time.sleep(0.2)  # log lines are written after the answer; give them the chance to appear
    assert capsys.readouterr().err == ""


def test_verbose_logs_a_line_per_request_without_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    with Server(port=0, now=NOW, verbose=True) as server:
        http = http_session()
        http.get(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT)
        http.get(server.url + "/v1/checkout/sessions", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=TIMEOUT)
        # A key pasted into the URL itself is masked too.
        http.get(server.url + f"/v1/checkout/sessions?key={API_KEY}", timeout=TIMEOUT)
        lines: list[str] = []

        def three_lines() -> bool:
            lines.extend(capsys.readouterr().err.splitlines())
            return len(lines) >= 3

        assert wait_for(three_lines)
    assert len(lines) == 3
    assert all('"GET /v1/checkout/sessions' in line for line in lines)
    assert [line.split('" ')[1].split()[0] for line in lines] == ["200", "200", "401"]
    assert not any(API_KEY in line or API_KEY[8:] in line for line in lines)
    assert "key=sk_test_...p7dc" in lines[2]


# --------------------------------------------------------------------------------------------- robustness


def test_a_client_that_stalls_mid_body_is_dropped_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(http11.RequestHandler, "timeout", 0.3)
    with Server(port=0, now=NOW) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
            raw.sendall(
                b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + API_KEY.encode()
                + b"\r\nContent-Length: 100\r\n\r\nmode=pay"
            )
            assert raw.recv(1024) == b""  # closed without an answer: nobody is reading one
        # The server goes on serving (with the usual timeout again, so a loaded machine cannot fail this part).
        monkeypatch.undo()
        assert sdk(server).v1.checkout.sessions.create(PARAMS).status == "open"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert server.fake.requests[-1].status == 200
    assert len(server.fake.requests) == 1  # the stalled request never reached the handler


def test_a_body_shorter_than_announced_is_passed_on_as_it_came(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        raw.sendall(
            b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + API_KEY.encode()
            + b"\r\nContent-Length: 100\r\n\r\nmode=payment"
        )
        raw.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    # HTTP/1.1 since the server keeps connections alive (wsgiref's answered HTTP/1.0); a connection whose body
    # fell short cannot carry another request, so the answer says it closes.
    assert head.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"\r\nConnection: close" in head
    assert json.loads(body)["error"]["message"].startswith("Missing required param")
    assert server.fake.requests[-1].params == {"mode": "payment"}


def test_head_gets_the_headers_without_a_body(server: Server) -> None:
    http = http_session()
    answer = http.head(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT)
    got = http.get(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT)
    # The GET's answer, minus the body HTTP does not allow.
    assert (answer.status_code, got.status_code) == (200, 200)
    assert answer.content == b""
    assert int(answer.headers["Content-Length"]) == len(got.content) > 0
    assert answer.headers["Content-Type"] == got.headers["Content-Type"] == "application/json"
    assert answer.headers["Request-Id"].startswith("req_")
    assert [(r.method, r.status) for r in server.fake.requests] == [("HEAD", 200), ("GET", 200)]


def test_an_encoded_slash_arrives_as_a_slash(server: Server) -> None:
    # WSGI hands the path over decoded, so %2F cannot be told from "/" (mock_checkout would see the %2F and
    # answer "No such checkout.session: 'cs_test_a/b'"). Pinned here so a change is noticed.
    answer = http_session().get(server.url + "/v1/checkout/sessions/cs_test_a%2Fb", auth=(API_KEY, ""), timeout=TIMEOUT)
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/checkout/sessions/cs_test_a/b)"
    )


def test_header_values_go_back_byte_for_byte(server: Server) -> None:
    # Idempotency-Key is echoed by the handler; a non-ASCII one must come back as the bytes that were sent.
    key = "cl\u00e9-\u00fc".encode().decode("latin-1")  # what http.client puts on the wire for UTF-8 bytes
    answer = http_session().post(
        server.url + "/v1/checkout/sessions",
        data=pytest_checkout.encode_body(PARAMS),
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert answer.headers["Idempotency-Key"] == key


# --------------------------------------------------------------------------------------------- keep-alive


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def read_answer(reader: io.BufferedReader, *, head: bool = False) -> tuple[str, dict[str, str], bytes]:
    """One answer off a connection: status line, headers (lower-case names), exactly Content-Length bytes of body.

    Reading exactly that many bytes is what lets the next answer on the connection be read at all: a wrong
    Content-Length shows as a garbled status line of the next answer.
    """
    status = reader.readline().decode("latin-1").rstrip("\r\n")
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b"" if head else reader.read(int(headers["content-length"]))
    return status, headers, body


def raw_connection(server: Server) -> tuple[socket.socket, io.BufferedReader]:
    raw = socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT)
    return raw, raw.makefile("rb")


AUTH = f"Authorization: Bearer {API_KEY}\r\n".encode()


def test_the_sdk_and_a_requests_session_each_keep_one_connection(server: Server) -> None:
    client = sdk(server)
    for _ in range(5):
        created = client.v1.checkout.sessions.create(PARAMS)
        assert client.v1.checkout.sessions.retrieve(created.id).id == created.id
    http = http_session()
    for _ in range(5):
        answer = http.get(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT)
        assert answer.status_code == 200
        assert "connection" not in {k.lower() for k in answer.headers}  # HTTP/1.1: persistent unless told
    assert len(server.fake.requests) == 15
    assert server.connections_accepted == 2  # one per client, however many requests each sent


def test_http_client_sends_every_request_over_one_socket(server: Server) -> None:
    body = pytest_checkout.encode_body(PARAMS)
    too_large = "a=" + "x" * (MAX_BODY + 10)  # drained by the server, so the connection survives its 413
    steps = [
        ("POST", "/v1/checkout/sessions", body, 200),
        ("GET", "/v1/checkout/sessions?limit=1", None, 200),
        ("HEAD", "/v1/checkout/sessions", None, 200),
        ("GET", "/v1/unknown", None, 404),
        ("DELETE", "/v1/checkout/sessions/cs_test_x", None, 404),
        ("POST", "/v1/checkout/sessions", too_large, 413),
        ("GET", "/_pytest_checkout/clock", None, 200),
        ("POST", "/v1/checkout/sessions", "mode=payment", 400),
    ]
    connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=TIMEOUT)
    sockets = []
    try:
        for method, path, data, status in steps * 2:
            headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"}
            connection.request(method, path, body=data, headers=headers)
            sockets.append(connection.sock)
            answer = connection.getresponse()
            payload = answer.read()
            assert (method, path, answer.status) == (method, path, status)
            assert not answer.will_close
            length = int(answer.getheader("Content-Length") or -1)
            assert length > 0
            if method == "HEAD":
                assert payload == b""
            else:
                assert length == len(payload)
                assert json.loads(payload)
    finally:
        connection.close()
    assert len({id(s) for s in sockets}) == 1
    assert server.connections_accepted == 1
    assert [r.status for r in server.fake.requests] == [s for _, path, _, s in steps * 2 if "/v1/" in path]


@pytest.mark.parametrize("option", [b"close", b"Close", b"TE, close"])
def test_connection_close_is_honoured(server: Server, option: bytes) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(
            b"GET /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Connection: " + option + b"\r\n\r\n"
        )
        status, headers, body = read_answer(reader)
        assert status == "HTTP/1.1 200 OK"
        assert headers["connection"] == "close"
        assert json.loads(body)["object"] == "list"
        assert reader.read() == b""  # and the server did close it


@pytest.mark.parametrize(("keep_alive", "stays_open"), [(False, False), (True, True)])
def test_http_1_0_clients_keep_the_connection_only_if_they_ask(
    server: Server, keep_alive: bool, stays_open: bool
) -> None:
    ask = b"Connection: keep-alive\r\n" if keep_alive else b""
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(b"GET /v1/checkout/sessions HTTP/1.0\r\n" + AUTH + ask + b"\r\n")
        status, headers, _ = read_answer(reader)
        assert status == "HTTP/1.1 200 OK"
        assert headers["connection"] == ("keep-alive" if keep_alive else "close")
        if stays_open:
            raw.sendall(b"GET /v1/checkout/sessions HTTP/1.0\r\n" + AUTH + b"\r\n")
            assert read_answer(reader)[1]["connection"] == "close"
        assert reader.read() == b""
    assert len(server.fake.requests) == (2 if stays_open else 1)


def test_an_http_0_9_request_gets_the_body_alone(server: Server) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(b"GET /_pytest_checkout/clock\r\n\r\n")  # the blank line, as http.server wants it too
        assert json.loads(reader.read()) == {"object": "clock", "now": NOW}  # no status line, then closed


def test_pipelined_requests_are_answered_in_order(server: Server) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(
            b"GET /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
            b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\n"
            b"5\r\nmode=\r\n7;ext=1\r\npayment\r\n0\r\nX-Trailer: 1\r\n\r\n"
            b"HEAD /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
            b"GET /_pytest_checkout/clock HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answers = [read_answer(reader), read_answer(reader), read_answer(reader, head=True), read_answer(reader)]
    assert [a[0] for a in answers] == [
        "HTTP/1.1 200 OK",
        "HTTP/1.1 400 Bad Request",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 200 OK",
    ]
    assert json.loads(answers[0][2])["object"] == "list"
    # The chunked body arrived whole: the handler saw its one parameter and missed the others.
    assert json.loads(answers[1][2])["error"]["message"].startswith("Missing required param")
    assert server.fake.requests[1].params == {"mode": "payment"}
    assert int(answers[2][1]["content-length"]) > 0
    assert json.loads(answers[3][2]) == {"object": "clock", "now": NOW}
    assert server.connections_accepted == 1


def test_chunked_bodies_keep_the_connection(server: Server) -> None:
    def chunks(text: str, size: int = 1000) -> Iterator[bytes]:
        data = text.encode()
        for start in range(0, len(data), size):
            yield data[start : start + size]

    connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=TIMEOUT)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"}
    statuses = []
    try:
        for body in (pytest_checkout.encode_body(PARAMS), "a=" + "x" * (MAX_BODY + 10)):
            connection.request("POST", "/v1/checkout/sessions", body=chunks(body, 64 * 1024), headers=headers)
            answer = connection.getresponse()
            answer.read()
            statuses.append(answer.status)
        connection.request("GET", "/v1/checkout/sessions", headers=headers)
        listed = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert statuses == [200, 413]
    assert len(listed["data"]) == 1
    assert server.connections_accepted == 1


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: twelve\r\n",
        b"Content-Length: \xb2\r\n",  # a superscript two: a digit to str.isdigit(), not to HTTP
        b"Content-Length: 12\r\nContent-Length: 13\r\n",
        b"Content-Length: 12\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip\r\n",
    ],
)
def test_a_body_of_unknown_length_is_answered_and_the_connection_closed(server: Server, framing: bytes) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        body = b"c\r\nmode=payment\r\n0\r\n\r\n" if b"chunked" in framing else b"mode=payment"
        raw.sendall(b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + framing + b"\r\n" + body)
        status, headers, _ = read_answer(reader)
        assert status == "HTTP/1.1 400 Bad Request"  # the handler's answer to what arrived
        assert headers["connection"] == "close"
        assert reader.read() == b""


def test_100_continue_is_sent_before_the_body(server: Server) -> None:
    body = pytest_checkout.encode_body(PARAMS).encode()
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(
            b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n"
            + AUTH
            + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.readline() == b"\r\n"
        raw.sendall(body)
        status, _, answer = read_answer(reader)
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(answer)["status"] == "open"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Host x\r\n", "HTTP/1.1 400 Bad Request"),
        (b"Bad Name: 1\r\n", "HTTP/1.1 400 Bad Request"),
        (b"".join(b"X-H%d: 1\r\n" % n for n in range(101)), "HTTP/1.1 431 Request Header Fields Too Large"),
        (b"X-Long: " + b"x" * 70_000 + b"\r\n", "HTTP/1.1 431 Request Header Fields Too Large"),
    ],
)
def test_malformed_headers_get_an_error_and_a_closed_connection(
    server: Server, headers: bytes, status: str, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(b"GET /v1/checkout/sessions HTTP/1.1\r\n" + headers + b"\r\n")
        answer_status, answer_headers, _ = read_answer(reader)
        assert reader.read() == b""
    assert answer_status == status
    assert answer_headers["connection"] == "close"
    assert server.fake.requests == []
    assert capsys.readouterr().err == ""


def test_a_folded_header_and_an_absolute_url_are_read(server: Server) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(
            f"GET {server.url}/v1/checkout/sessions?limit=1 HTTP/1.1\r\nHost: x\r\n".encode()
            + b"Authorization: Bearer\r\n "
            + API_KEY.encode()
            + b"\r\n\r\n"
        )
        status, _, _ = read_answer(reader)
    assert status == "HTTP/1.1 200 OK"
    [request] = server.fake.requests
    assert (request.path, request.params) == ("/v1/checkout/sessions", {"limit": 1})


def test_an_idle_connection_is_closed_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(http11.RequestHandler, "timeout", 0.3)
    with Server(port=0, now=NOW) as server:
        raw, reader = raw_connection(server)
        with raw, reader:
            raw.sendall(b"GET /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
            assert read_answer(reader)[0] == "HTTP/1.1 200 OK"
            started = time.monotonic()
            assert reader.read() == b""  # closed by the server, not by this test's own timeout
            assert time.monotonic() - started < TIMEOUT / 2
    assert capsys.readouterr().err == ""


def test_shutdown_closes_kept_alive_connections() -> None:
    server = Server(port=0, now=NOW).start()
    url = server.url
    try:
        http = http_session()
        assert http.get(url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT).ok
        raw, reader = raw_connection(server)
        with raw, reader:
            raw.sendall(b"GET /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
            assert read_answer(reader)[0] == "HTTP/1.1 200 OK"
            server.shutdown()
            assert reader.read() == b""  # the idle connection was closed with the server
        # The session's pooled connection is gone too: its next request cannot reach a stopped fake.
        with pytest.raises(requests.ConnectionError):
            http.get(url + "/v1/checkout/sessions", timeout=TIMEOUT)
    finally:
        server.shutdown()
    assert len(server.fake.requests) == 2
    assert server.connections_accepted == 2


def test_a_request_in_flight_at_shutdown_is_answered_then_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real_handle = server_module.handle

    def slow_handle(*args: Any) -> Any:
        entered.set()
        release.wait(TIMEOUT)
        return real_handle(*args)

    monkeypatch.setattr(server_module, "handle", slow_handle)
    with Server(port=0, now=NOW) as server:
        connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=TIMEOUT)
        try:
            connection.request("GET", "/v1/checkout/sessions", headers={"Authorization": f"Bearer {API_KEY}"})
            assert entered.wait(TIMEOUT)
            stopper = threading.Thread(target=server.shutdown)
            stopper.start()
            stopper.join(TIMEOUT)
            assert not stopper.is_alive()  # shutdown does not wait for the request
            release.set()
            answer = connection.getresponse()
            assert answer.status == 200
            assert answer.getheader("Connection") == "close"
            assert json.loads(answer.read())["object"] == "list"
        finally:
            release.set()
            connection.close()


def test_helpers_can_be_turned_off(server: Server) -> None:
    with Server(port=0, now=NOW, test_helpers=False) as bare:
        off = http_session().get(bare.url + "/_pytest_checkout/clock", auth=(API_KEY, ""), timeout=TIMEOUT)
    on = http_session().get(server.url + "/_pytest_checkout/clock", timeout=TIMEOUT)
    assert off.status_code == 404
    assert off.json()["error"]["message"].startswith("Unrecognized request URL (GET: /_pytest_checkout/clock)")
    assert (on.status_code, on.json()) == (200, {"object": "clock", "now": NOW})


def test_the_wsgi_app_answers_the_helpers_under_wsgirefs_validator() -> None:
    fake = CheckoutFake(seed=0, now=NOW)
    status, headers, payload = call_wsgi(fake, "GET", "/_pytest_checkout/clock")
    assert status == "200 OK"
    assert headers["Content-Length"] == str(len(payload))
    assert json.loads(payload) == {"object": "clock", "now": NOW}


# --------------------------------------------------------------------------------------------- the command line


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest_checkout", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> str:
    """The first line the process prints, or a failure after TIMEOUT seconds (never a hang)."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=TIMEOUT).rstrip("\n")
    except queue.Empty:
        pytest.fail(f"the server printed nothing within {TIMEOUT} s")


def test_cli_serves_until_sigint() -> None:
    # --port 0 rather than a port probed free beforehand: the printed line tells the real port, and nothing can
    # take the port between the probe and the bind.
    process = start_cli("serve", "--host", "127.0.0.1", "--port", "0", "--seed", "7", "--now", str(NOW))
    try:
        line = first_line(process)
        found = re.fullmatch(
            r"pytest-checkout fake serving Stripe API 2022-08-01 at (http://127\.0\.0\.1:(\d+)) \(Ctrl\+C to stop\)",
            line,
        )
        assert found, line
        url = found[1]
        assert int(found[2]) > 0
        assert line == banner(url)
        answer = http_session().post(
            url + "/v1/checkout/sessions",
            data=pytest_checkout.encode_body(PARAMS),
            headers={"Authorization": f"Bearer {API_KEY}", "Stripe-Version": API_VERSION},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200
        # The same seed and clock in process: the same session id (the CLI passes --seed and --now through).
        with Server(port=0, seed=7, now=NOW) as local:
            assert sdk(local).v1.checkout.sessions.create(PARAMS).id == answer.json()["id"]
        assert answer.json()["created"] == NOW
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert err == ""  # quiet: no access log without --verbose
    assert out == ""


def test_cli_port_in_use_exits_1() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "pytest_checkout", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}: the address is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_help_lists_serve() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_checkout", "--help"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0
    assert "serve" in done.stdout
    assert "serve the fake over HTTP" in done.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "the following arguments are required: COMMAND"),
        (["serve", "--port", "70000"], "a port is 0 to 65535"),
        (["serve", "--port", "http"], "not a port number"),
        (["serve", "--now", "yesterday"], "invalid int value"),
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.seed, args.now, args.verbose) == ("127.0.0.1", 12111, 0, None, False)


# --------------------------------------------------------------------------------------------- limits (issue 7)


def chunks_of(data: bytes, size: int = 100) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_generator_body_from_requests_is_read_by_the_server(server: Server) -> None:
    body = pytest_checkout.encode_body(PARAMS).encode()
    answer = http_session().post(
        server.url + "/v1/checkout/sessions",
        data=chunks_of(body),  # requests sends a generator with Transfer-Encoding: chunked
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert answer.request.headers["Transfer-Encoding"] == "chunked"
    assert answer.status_code == 200, answer.text
    assert answer.json()["amount_total"] == 4000


class _QuietWSGIRequestHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def test_a_chunked_body_is_read_under_wsgiref() -> None:
    # wsgiref passes Transfer-Encoding: chunked on with the raw stream and no CONTENT_LENGTH; the app reads the
    # chunks itself, exactly to their end.
    fake = CheckoutFake(seed=0, now=NOW)
    httpd = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, validator(make_wsgi_app(fake)), handler_class=_QuietWSGIRequestHandler
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/v1/checkout/sessions"
        body = pytest_checkout.encode_body(PARAMS).encode()
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the validator reports protocol mistakes as warnings
            created = http_session().post(url, data=chunks_of(body), headers=headers, timeout=TIMEOUT)
            listed = http_session().get(url, headers=headers, timeout=TIMEOUT)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=TIMEOUT)
    assert created.status_code == 200, created.text
    assert created.json()["amount_total"] == 4000
    assert [s["id"] for s in listed.json()["data"]] == [created.json()["id"]]


@pytest.mark.parametrize("size", [100, MAX_BODY + 10])
def test_a_body_the_wsgi_server_ended_is_read_without_a_length(size: int) -> None:
    # gunicorn, Werkzeug and mod_wsgi undo the chunking, give no CONTENT_LENGTH and set wsgi.input_terminated.
    body = pytest_checkout.encode_body(PARAMS).encode()
    if size > len(body):
        body += b"&a=" + b"x" * (size - len(body))
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/v1/checkout/sessions",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Bearer {API_KEY}",
        "HTTP_STRIPE_VERSION": API_VERSION,
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started: list[str] = []
    fake = CheckoutFake(seed=0, now=NOW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = validator(make_wsgi_app(fake))(environ, lambda status, headers, exc_info=None: started.append(status))
        payload = json.loads(b"".join(result))
        result.close()  # type: ignore[attr-defined]
    if size > MAX_BODY:
        assert started == ["413 Request Entity Too Large"]
        assert payload["error"]["message"] == f"Request body too large: more than {MAX_BODY} bytes."
    else:
        assert started == ["200 OK"]
        assert payload["amount_total"] == 4000


def test_a_url_over_64_kb_gets_a_stripe_shaped_414(server: Server) -> None:
    http = http_session()
    url = server.url + "/v1/checkout/sessions?limit=1&x=" + "a" * (http11.MAX_LINE + 10)
    answer = http.get(url, auth=(API_KEY, ""), timeout=TIMEOUT)
    assert (answer.status_code, answer.reason) == (414, "Request-URI Too Long")
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Connection"] == "close"
    assert answer.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": f"Request-URI too long: the request line is longer than {http11.MAX_LINE} bytes.",
        }
    }
    assert server.fake.requests == []  # refused before the handler
    # The pool's next request gets a new connection, and an answer.
    assert http.get(server.url + "/v1/checkout/sessions", auth=(API_KEY, ""), timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize(
    ("request_head", "status", "reason"),
    [
        (b"GET /v1/checkout/sessions HTTP/1.1\r\nBad Name: 1\r\n", 400, "a header line is not NAME: VALUE"),
        (
            b"GET /v1/checkout/sessions HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % n for n in range(101)),
            431,
            "more than 100 header lines",
        ),
        (
            b"GET /v1/checkout/sessions HTTP/1.1\r\nX-Long: " + b"x" * 70_000 + b"\r\n",
            431,
            "a header line is longer than 65536 bytes",
        ),
        (b"GET /v1/checkout/sessions HTTP/2.0\r\n", 505, "Invalid HTTP version (2.0)"),
        (b"GET /v1/checkout/sessions HTTP/1.x\r\n", 400, "Bad request version ('HTTP/1.x')"),
    ],
)
def test_what_the_http_layer_refuses_is_in_stripes_envelope(
    server: Server, request_head: bytes, status: int, reason: str
) -> None:
    raw, reader = raw_connection(server)
    with raw, reader:
        raw.sendall(request_head + b"\r\n")
        status_line, headers, body = read_answer(reader)
        assert reader.read() == b""  # and closed
    assert status_line.startswith(f"HTTP/1.1 {status} ")
    assert headers["content-type"] == "application/json"
    assert headers["stripe-should-retry"] == "false"
    assert json.loads(body) == {
        "error": {"type": "invalid_request_error", "message": f"Invalid HTTP request: {reason}."}
    }


# A Stripe-Version that would colour a terminal, and a bare CR that could start a forged line.
SNEAKY_VERSION = b"2021-01-01\x1b[31mred\rforged\x7f"
SNEAKY_ESCAPED = "2021-01-01\\x1b[31mred\\x0dforged\\x7f"


def sneaky_request(body: bytes) -> bytes:
    return (
        b"POST /v1/checkout/sessions HTTP/1.1\r\nHost: x\r\n"
        + AUTH
        + b"Stripe-Version: "
        + SNEAKY_VERSION
        + b"\r\nIdempotency-Key: k\x1b\rk\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )


def send_and_read(raw: socket.socket, reader: io.BufferedReader, data: bytes) -> tuple[str, dict[str, str], bytes]:
    raw.sendall(data)
    return read_answer(reader)


def test_header_values_reach_the_log_and_the_answer_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    body = pytest_checkout.encode_body(PARAMS).encode()
    with Server(port=0, now=NOW, verbose=True) as server:
        raw, reader = raw_connection(server)
        with raw, reader, pytest.warns(pytest_checkout.fake.StripeVersionWarning) as caught:
            status, headers, _ = send_and_read(raw, reader, sneaky_request(body))
        assert status == "HTTP/1.1 200 OK"
        assert wait_for(lambda: '"POST /v1/checkout/sessions' in capsys.readouterr().err)
    [warning] = caught
    message = str(warning.message)
    assert f"A client sent Stripe-Version {SNEAKY_ESCAPED}," in message
    assert not re.search(r"[\x00-\x1f\x7f]", message)
    assert headers["idempotency-key"] == "k\\x1b\\x0dk"  # echoed, but never as a control character
    assert server.fake.requests[-1].stripe_version == SNEAKY_ESCAPED


def test_the_cli_log_writes_header_values_escaped() -> None:
    process = start_cli("serve", "--host", "127.0.0.1", "--port", "0", "--now", str(NOW), "--verbose")
    try:
        found = re.search(r"http://127\.0\.0\.1:(\d+)", first_line(process))
        assert found
        with socket.create_connection(("127.0.0.1", int(found[1])), timeout=TIMEOUT) as raw:
            raw.sendall(sneaky_request(pytest_checkout.encode_body(PARAMS).encode()))
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert f"Stripe-Version {SNEAKY_ESCAPED}," in err  # the version warning, the one line that shows a header
    assert '"POST /v1/checkout/sessions HTTP/1.1" 200' in err
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", err)  # nothing but line ends
