"""Every road into the fake, with the network shut: no socket may connect and no host name may be looked up.

Each test runs under ``network`` (below): ``socket.socket.connect``/``connect_ex``, ``socket.getaddrinfo`` and
``socket.gethostbyname`` are replaced by functions that record the attempt and raise. A test that expects the
fake to answer asserts that nothing was recorded, and what ``fake.requests`` recorded (method, path, status).
``test_the_guard_sees_a_request_that_no_fake_answers`` shows that the guard does see real attempts.

The official SDK is driven the two ways applications use it (module style with ``stripe.api_key``, and
``stripe.StripeClient``), sync and async, through each of its HTTP clients; then plain httpx, aiohttp and
requests clients of an application's own; then every spelling of the host, custom bases, what is refused, and
what still goes to whatever answered before. Async code runs in ``asyncio.run`` inside plain test functions.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import socket
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import responses
import stripe

from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.fake.transports import (
    ApiBase,
    CheckoutHTTPClient,
    RequestRefusedError,
    matches_api_base,
    via_requests,
)
from pytest_checkout.fake.transports.sdk_client import Headers

pytestmark = [
    # stripe's HTTPXClient passes its form body as ``data=<str>``, which httpx 0.28 deprecates (the SDK's
    # warning, raised before any transport runs).
    pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"),
]

API_KEY = "sk_test_51TransportsKey000000000001"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
FORM = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
# What the SDK sends unpinned (2026-10-28.endive): its setup mode takes the Dashboard's payment methods, and then
# needs a currency (the SDK's docs).
PARAMS: Any = {
    "mode": "setup",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cart",
    "currency": "usd",
}
# Raw requests of an application's own HTTP clients send no Stripe-Version: the account's default (2022-08-01)
# answers, whose setup mode needs payment_method_types.
BODY = (
    "mode=setup&success_url=https%3A%2F%2Fshop.example%2Fok&cancel_url=https%3A%2F%2Fshop.example%2Fcart"
    "&payment_method_types[0]=card"
)
MISSING = "cs_test_doesnotexist"
SESSIONS = "/v1/checkout/sessions"
HAS_PYCURL = importlib.util.find_spec("pycurl") is not None


# ==============================================================================================================
# The guard
# ==============================================================================================================


class NetworkGuard:
    """Records every connection attempt and DNS look-up, and refuses it; loopback ports may be let through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[tuple[str, Any]] = []
        self.let_through: list[tuple[str, Any]] = []
        self._ports: set[int] = set()
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        def connect(sock: socket.socket, address: Any) -> None:
            if self._allowed(address):
                self.let_through.append(("connect", address))
                return real_connect(sock, address)
            self.attempts.append(("connect", address))
            raise OSError(f"test guard: connect to {address!r} refused")

        def connect_ex(sock: socket.socket, address: Any) -> int:
            if self._allowed(address):
                self.let_through.append(("connect_ex", address))
                return real_connect_ex(sock, address)
            self.attempts.append(("connect_ex", address))
            raise OSError(f"test guard: connect_ex to {address!r} refused")

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if self._allowed((host, port)):
                self.let_through.append(("getaddrinfo", (host, port)))
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.attempts.append(("getaddrinfo", (host, port)))
            raise socket.gaierror(f"test guard: look-up of {host!r} refused")

        def gethostbyname(host: str) -> str:
            self.attempts.append(("gethostbyname", host))
            raise socket.gaierror(f"test guard: look-up of {host!r} refused")

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "gethostbyname", gethostbyname)

    def allow_loopback(self, port: int) -> None:
        """Let connections to 127.0.0.1:port through (a server the test itself started)."""
        self._ports.add(port)

    def _allowed(self, address: Any) -> bool:
        if not isinstance(address, tuple) or len(address) < 2:
            return False
        host, port = address[0], address[1]
        return host in ("127.0.0.1", b"127.0.0.1") and int(port or 0) in self._ports

    def assert_untouched(self) -> None:
        assert self.attempts == [], f"the network was tried: {self.attempts}"


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """The network guard; the test fails on teardown too if anything was tried and not asserted away."""
    guard = NetworkGuard(monkeypatch)
    yield guard
    guard.assert_untouched()


def records(fake: CheckoutFake) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in fake.requests]


def expected(session_id: str) -> list[tuple[str, str, int]]:
    """What create + retrieve + list + retrieve-a-missing-session leave in ``fake.requests``."""
    return [
        ("POST", SESSIONS, 200),
        ("GET", f"{SESSIONS}/{session_id}", 200),
        ("GET", SESSIONS, 200),
        ("GET", f"{SESSIONS}/{MISSING}", 404),
    ]


def causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def test_the_guard_sees_a_request_that_no_fake_answers(network: NetworkGuard) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH, timeout=5)
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH)

    async def with_aiohttp() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                await session.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH)

    asyncio.run(with_aiohttp())
    hosts = {address[0] for kind, address in network.attempts if kind == "getaddrinfo"}
    assert hosts == {"api.stripe.com"}
    assert len(network.attempts) >= 3
    network.attempts.clear()


# ==============================================================================================================
# The official SDK: module style and StripeClient, sync and async, through each HTTP client
# ==============================================================================================================


class _StubCurl:
    """Stands in for ``pycurl.Curl`` when pycurl is not installed: any use of it means the fake was bypassed."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"pycurl's Curl.{name} was used: the request was not answered in process")


def pycurl_client() -> stripe.HTTPClient:
    """The SDK's PycurlClient: on real pycurl when installed, else on a stand-in that fails if touched."""
    if HAS_PYCURL:
        return stripe.PycurlClient()
    return stripe.PycurlClient(_lib=types.SimpleNamespace(Curl=_StubCurl))


@dataclass(frozen=True)
class Road:
    """One of the SDK's HTTP clients, and whether it serves sync and async calls."""

    name: str
    make: Callable[[], stripe.HTTPClient | None]
    sync: bool
    is_async: bool


ROADS = [
    Road("default", lambda: None, sync=True, is_async=True),
    Road("RequestsClient", stripe.RequestsClient, sync=True, is_async=False),
    Road("HTTPXClient", stripe.HTTPXClient, sync=False, is_async=True),
    Road("HTTPXClient-sync", lambda: stripe.HTTPXClient(allow_sync_methods=True), sync=True, is_async=True),
    Road("AIOHTTPClient", stripe.AIOHTTPClient, sync=False, is_async=True),
    Road("UrllibClient", stripe.UrllibClient, sync=True, is_async=False),
    Road("PycurlClient", pycurl_client, sync=True, is_async=False),
    Road("CheckoutHTTPClient", CheckoutHTTPClient, sync=True, is_async=True),
]
CASES = [
    pytest.param(style, mode, road, id=f"{style}-{mode}-{road.name}")
    for style in ("module", "client")
    for road in ROADS
    for mode in ("sync", "async")
    if (road.sync if mode == "sync" else road.is_async)
]


class Api:
    """create / retrieve / list, sync and async, the module way or the StripeClient way."""

    def __init__(self, style: str, http_client: stripe.HTTPClient | None, base: str, monkeypatch: pytest.MonkeyPatch):
        self.style = style
        if style == "module":
            monkeypatch.setattr(stripe, "api_key", API_KEY)
            monkeypatch.setattr(stripe, "api_base", base)
            monkeypatch.setattr(stripe, "max_network_retries", 0)
            # None: the SDK makes its default client on first use and keeps it here (restored afterwards).
            monkeypatch.setattr(stripe, "default_http_client", http_client)
        else:
            options: Any = {} if http_client is None else {"http_client": http_client}
            self.client = stripe.StripeClient(API_KEY, base_addresses={"api": base}, max_network_retries=0, **options)

    @property
    def http_client(self) -> stripe.HTTPClient:
        """The HTTP client in use (the SDK's own default when none was given), to close it."""
        if self.style == "module":
            assert stripe.default_http_client is not None
            return stripe.default_http_client
        return self.client._requestor._client  # type: ignore[no-any-return]  # private, only to close it

    def create(self) -> Any:
        if self.style == "module":
            return stripe.checkout.Session.create(**PARAMS)
        return self.client.v1.checkout.sessions.create(params=PARAMS)

    def retrieve(self, session_id: str) -> Any:
        if self.style == "module":
            return stripe.checkout.Session.retrieve(session_id)
        return self.client.v1.checkout.sessions.retrieve(session_id)

    def list(self) -> Any:
        if self.style == "module":
            return stripe.checkout.Session.list()
        return self.client.v1.checkout.sessions.list()

    async def create_async(self) -> Any:
        if self.style == "module":
            return await stripe.checkout.Session.create_async(**PARAMS)
        return await self.client.v1.checkout.sessions.create_async(params=PARAMS)

    async def retrieve_async(self, session_id: str) -> Any:
        if self.style == "module":
            return await stripe.checkout.Session.retrieve_async(session_id)
        return await self.client.v1.checkout.sessions.retrieve_async(session_id)

    async def list_async(self) -> Any:
        if self.style == "module":
            return await stripe.checkout.Session.list_async()
        return await self.client.v1.checkout.sessions.list_async()


def run_sync(api: Api) -> str:
    """create, retrieve, list, and a retrieve that must 404; closes the client; returns the session id."""
    try:
        session = api.create()
        assert session.id.startswith("cs_test_")
        assert api.retrieve(session.id).id == session.id
        assert session.id in [s.id for s in api.list().data]
        with pytest.raises(stripe.InvalidRequestError) as caught:
            api.retrieve(MISSING)
        assert caught.value.http_status == 404
        return str(session.id)
    finally:
        close(api.http_client)


def run_async(api: Api) -> str:
    """The same four calls through the async SDK, and the client closed, in one event loop."""

    async def calls() -> str:
        try:
            session = await api.create_async()
            assert session.id.startswith("cs_test_")
            assert (await api.retrieve_async(session.id)).id == session.id
            assert session.id in [s.id for s in (await api.list_async()).data]
            with pytest.raises(stripe.InvalidRequestError) as caught:
                await api.retrieve_async(MISSING)
            assert caught.value.http_status == 404
            return str(session.id)
        finally:
            await close_async(api.http_client)

    return asyncio.run(calls())


def close(http_client: stripe.HTTPClient) -> None:
    http_client.close()
    fallback = getattr(http_client, "_async_fallback_client", None)
    if fallback is not None or isinstance(http_client, stripe.HTTPXClient):
        # The async side holds an httpx.AsyncClient (or an aiohttp session): close it in a loop of its own.
        asyncio.run(close_async(http_client))


async def close_async(http_client: stripe.HTTPClient) -> None:
    sync_only = isinstance(http_client, (stripe.RequestsClient, stripe.UrllibClient, stripe.PycurlClient))
    if sync_only and getattr(http_client, "_async_fallback_client", None) is None:
        return  # nothing async to close, and the base class would raise
    await http_client.close_async()


@pytest.mark.parametrize(("style", "mode", "road"), CASES)
def test_the_sdk_is_answered_in_process(
    style: str, mode: str, road: Road, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_checkout() as fake:
        api = Api(style, road.make(), "https://api.stripe.com", monkeypatch)
        session_id = run_sync(api) if mode == "sync" else run_async(api)
        assert records(fake) == expected(session_id)
        assert all(r.api_key and r.api_key.startswith("sk_test_") for r in fake.requests)
    network.assert_untouched()


def test_the_default_clients_are_the_ones_the_roads_cover() -> None:
    # If a later SDK changes its defaults, the matrix above must grow a road: this says so.
    default = stripe.new_default_http_client(async_fallback_client=stripe.HTTPXClient())
    try:
        assert type(default) is stripe.RequestsClient
    finally:
        asyncio.run(default.close_async())
    assert stripe._http_client._default_async_client is stripe.HTTPXClient


def test_the_real_pycurl_client_is_answered(network: NetworkGuard) -> None:
    with mock_checkout() as fake:
        client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=stripe.PycurlClient())
        session = client.v1.checkout.sessions.create(params=PARAMS)
        assert records(fake) == [("POST", SESSIONS, 200)]
        assert session.id.startswith("cs_test_")


def test_without_pycurl_the_sdk_refuses_to_make_a_pycurl_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if pycurl were not installed (a None entry makes the import fail), whether or not it is.
    monkeypatch.setitem(sys.modules, "pycurl", None)
    with pytest.raises(ImportError, match="pycurl"):
        stripe.PycurlClient()


# ==============================================================================================================
# The in-process client itself
# ==============================================================================================================


class TestCheckoutHTTPClient:
    def test_a_client_given_a_fake_needs_no_activation(self, network: NetworkGuard) -> None:
        fake = CheckoutFake(now=1_700_000_000)
        client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=CheckoutHTTPClient(fake))
        session = client.v1.checkout.sessions.create(params=PARAMS)
        assert list(fake.sessions) == [session.id]
        assert session.created == 1_700_000_000

    def test_a_bound_client_answers_its_fake_even_inside_another_mock(self, network: NetworkGuard) -> None:
        bound = CheckoutFake(seed=1)
        client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=CheckoutHTTPClient(bound))
        with mock_checkout(seed=2) as active:
            client.v1.checkout.sessions.create(params=PARAMS)
        assert records(bound) == [("POST", SESSIONS, 200)]
        assert active.requests == []

    def test_with_no_fake_it_refuses_and_never_sends(self, network: NetworkGuard) -> None:
        client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=CheckoutHTTPClient())
        with pytest.raises(stripe.APIConnectionError) as caught:
            client.v1.checkout.sessions.list()
        assert "no active mock_checkout answers" in str(caught.value)
        assert isinstance(caught.value.__cause__, RequestRefusedError)
        assert caught.value.should_retry is False

    def test_headers_are_read_without_case(self) -> None:
        with mock_checkout():
            body, status, headers = CheckoutHTTPClient().request("get", f"https://api.stripe.com{SESSIONS}", AUTH)
        assert status == 200
        assert isinstance(body, bytes)
        assert body.startswith(b"{")
        assert headers["request-id"] == headers["Request-Id"]
        assert headers["Request-Id"].startswith("req_")
        assert "REQUEST-ID" in headers
        assert "Content-Type" in list(headers)  # iteration keeps the spelling

    def test_errors_carry_stripe_should_retry_for_the_sdk(self) -> None:
        with mock_checkout():
            _, status, headers = CheckoutHTTPClient().request("get", f"https://api.stripe.com{SESSIONS}/x", AUTH)
        assert status == 404
        assert "stripe-should-retry" in headers
        assert headers["stripe-should-retry"] == "false"

    def test_streams_sync_and_async(self) -> None:
        client = CheckoutHTTPClient()
        with mock_checkout():
            stream, status, _ = client.request_stream("get", f"https://api.stripe.com{SESSIONS}", AUTH)
            assert status == 200
            assert stream.read().startswith(b'{"object":"list"')

            async def read() -> bytes:
                chunks, _, _ = await client.request_stream_async("get", f"https://api.stripe.com{SESSIONS}", AUTH)
                return b"".join([chunk async for chunk in chunks])

            assert asyncio.run(read()).startswith(b'{"object":"list"')

    def test_it_takes_only_a_fake(self) -> None:
        with pytest.raises(TypeError, match="takes a CheckoutFake or None, got str"):
            CheckoutHTTPClient("https://api.stripe.com")  # type: ignore[arg-type]

    def test_the_headers_mapping(self) -> None:
        headers = Headers({"Request-Id": "req_1", "Stripe-Should-Retry": "false"})
        assert len(headers) == 2
        assert dict(headers) == {"Request-Id": "req_1", "Stripe-Should-Retry": "false"}
        assert headers.get("request-id") == "req_1"
        assert 3 not in headers
        with pytest.raises(KeyError):
            headers["Idempotency-Key"]


# ==============================================================================================================
# An application's own HTTP clients
# ==============================================================================================================


def check_app_answers(answers: list[tuple[int, Any]], fake: CheckoutFake) -> None:
    """Four answers in order: create (200), retrieve (200), list (200), retrieve of a missing session (404)."""
    (created_status, created), (status, retrieved), (list_status, listed), (missing_status, missing) = answers
    assert (created_status, status, list_status, missing_status) == (200, 200, 200, 404)
    assert retrieved["id"] == created["id"]
    assert [s["id"] for s in listed["data"]] == [created["id"]]
    assert missing["error"]["code"] == "resource_missing"
    assert records(fake) == expected(created["id"])


class TestApplicationClients:
    BASE = "https://api.stripe.com"

    def test_requests(self, network: NetworkGuard) -> None:
        with mock_checkout() as fake, requests.Session() as http:
            created = http.post(f"{self.BASE}{SESSIONS}", data=BODY, headers=FORM, timeout=5)
            answers = [
                (created.status_code, created.json()),
                *[
                    (r.status_code, r.json())
                    for r in (
                        http.get(f"{self.BASE}{SESSIONS}/{created.json()['id']}", headers=AUTH, timeout=5),
                        http.get(f"{self.BASE}{SESSIONS}", headers=AUTH, timeout=5),
                        http.get(f"{self.BASE}{SESSIONS}/{MISSING}", headers=AUTH, timeout=5),
                    )
                ],
            ]
            check_app_answers(answers, fake)

    def test_httpx_client(self, network: NetworkGuard) -> None:
        with mock_checkout() as fake, httpx.Client(base_url=self.BASE) as http:
            created = http.post(SESSIONS, content=BODY, headers=FORM)
            answers = [(created.status_code, created.json())]
            for path in (f"{SESSIONS}/{created.json()['id']}", SESSIONS, f"{SESSIONS}/{MISSING}"):
                answer = http.get(path, headers=AUTH)
                answers.append((answer.status_code, answer.json()))
            check_app_answers(answers, fake)
            assert created.headers["request-id"].startswith("req_")

    def test_httpx_async_client(self, network: NetworkGuard) -> None:
        async def calls() -> list[tuple[int, Any]]:
            async with httpx.AsyncClient(base_url=self.BASE) as http:
                created = await http.post(SESSIONS, content=BODY, headers=FORM)
                answers = [(created.status_code, created.json())]
                for path in (f"{SESSIONS}/{created.json()['id']}", SESSIONS, f"{SESSIONS}/{MISSING}"):
                    answer = await http.get(path, headers=AUTH)
                    answers.append((answer.status_code, answer.json()))
                return answers

        with mock_checkout() as fake:
            check_app_answers(asyncio.run(calls()), fake)

    def test_aiohttp_client_session(self, network: NetworkGuard) -> None:
        async def calls() -> list[tuple[int, Any]]:
            async with aiohttp.ClientSession(base_url=self.BASE) as http:
                async with http.post(SESSIONS, data=BODY, headers=FORM) as created:
                    answers = [(created.status, await created.json())]
                    assert created.headers["Request-Id"].startswith("req_")
                for path in (f"{SESSIONS}/{answers[0][1]['id']}", SESSIONS, f"{SESSIONS}/{MISSING}"):
                    async with http.get(path, headers=AUTH) as answer:
                        answers.append((answer.status, await answer.json()))
                return answers

        with mock_checkout() as fake:
            check_app_answers(asyncio.run(calls()), fake)

    @pytest.mark.parametrize(
        "options",
        [{"chunked": True}, {"expect100": True}, {"params": {"expand[0]": "line_items"}}],
        ids=["chunked", "expect-100-continue", "params"],
    )
    def test_aiohttp_bodies_the_way_aiohttp_may_send_them(self, options: dict[str, Any], network: NetworkGuard) -> None:
        async def create() -> tuple[int, Any]:
            async with aiohttp.ClientSession() as http:
                data: Any = BODY.encode()
                async with http.post(f"{self.BASE}{SESSIONS}", data=data, headers=FORM, **options) as answer:
                    return answer.status, await answer.json()

        with mock_checkout() as fake:
            status, session = asyncio.run(create())
            assert status == 200
            assert session["mode"] == "setup"
            assert fake.requests[0].params is not None
            assert fake.requests[0].params["payment_method_types"] == ["card"]

    def test_aiohttp_form_data_from_a_dict(self, network: NetworkGuard) -> None:
        form = {
            "mode": "setup",
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cart",
            "payment_method_types[0]": "card",
        }

        async def create() -> int:
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{self.BASE}{SESSIONS}", data=form, headers=AUTH) as r,
            ):
                return r.status

        with mock_checkout() as fake:
            assert asyncio.run(create()) == 200
            assert records(fake) == [("POST", SESSIONS, 200)]

    def test_other_stripe_paths_get_stripes_404_on_every_road(self, network: NetworkGuard) -> None:
        url = f"{self.BASE}/v1/billing_portal/sessions"

        async def with_async() -> list[int]:
            async with httpx.AsyncClient() as hx, aiohttp.ClientSession() as aio:
                first = (await hx.post(url, content="customer=cus_1", headers=FORM)).status_code
                async with aio.post(url, data="customer=cus_1", headers=FORM) as answer:
                    return [first, answer.status]

        with mock_checkout() as fake:
            statuses = [requests.post(url, data="customer=cus_1", headers=FORM, timeout=5).status_code]
            statuses.append(httpx.post(url, content="customer=cus_1", headers=FORM).status_code)
            statuses += asyncio.run(with_async())
            _, status, _ = stripe.UrllibClient().request("post", url, FORM, "customer=cus_1")
            statuses.append(status)
            assert statuses == [404] * 5
            assert records(fake) == [("POST", "/v1/billing_portal/sessions", 404)] * 5


# ==============================================================================================================
# Host spellings and custom bases
# ==============================================================================================================

SPELLINGS = [
    "https://api.stripe.com",
    "https://api.stripe.com:443",
    "https://API.Stripe.com",
    "https://api.stripe.com.",
    "https://API.Stripe.com.:443",
]
SPELLING_ROADS = [road for road in ROADS if road.name != "default"]


def run_road(road: Road, base: str, monkeypatch: pytest.MonkeyPatch) -> str:
    api = Api("client", road.make(), base, monkeypatch)
    return run_sync(api) if road.sync else run_async(api)


@pytest.mark.parametrize("road", SPELLING_ROADS, ids=[road.name for road in SPELLING_ROADS])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_the_host_is_answered(
    spelling: str, road: Road, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_checkout() as fake:
        session_id = run_road(road, spelling, monkeypatch)
        assert records(fake) == expected(session_id)


@pytest.mark.parametrize("spelling", SPELLINGS[1:])
def test_every_spelling_is_answered_for_an_application_client(spelling: str, network: NetworkGuard) -> None:
    async def with_async() -> list[int]:
        async with httpx.AsyncClient() as hx, aiohttp.ClientSession() as aio:
            first = (await hx.get(f"{spelling}{SESSIONS}", headers=AUTH)).status_code
            async with aio.get(f"{spelling}{SESSIONS}", headers=AUTH) as answer:
                return [first, answer.status]

    with mock_checkout() as fake:
        statuses = [requests.get(f"{spelling}{SESSIONS}", headers=AUTH, timeout=5).status_code]
        statuses.append(httpx.get(f"{spelling}{SESSIONS}", headers=AUTH).status_code)
        statuses += asyncio.run(with_async())
        assert statuses == [200] * 4
        assert records(fake) == [("GET", SESSIONS, 200)] * 4


def test_module_style_with_an_odd_spelling(network: NetworkGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_checkout() as fake:
        session_id = run_async(Api("module", stripe.HTTPXClient(), "https://API.Stripe.com.:443", monkeypatch))
        assert records(fake) == expected(session_id)


CUSTOM_BASES = ["http://127.0.0.1:12111", "https://stripe.internal", "https://stripe.internal/stripe-api"]


@pytest.mark.parametrize("road", SPELLING_ROADS, ids=[road.name for road in SPELLING_ROADS])
@pytest.mark.parametrize("base", CUSTOM_BASES)
def test_a_custom_api_base_works_on_every_road(
    base: str, road: Road, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_checkout(api_base=base) as fake:
        session_id = run_road(road, base, monkeypatch)
        # A base with a path of its own: the fake sees the path under it, as Stripe's would.
        assert records(fake) == expected(session_id)
        assert fake.api_base == base


def test_a_custom_base_does_not_answer_stripes_own_host(network: NetworkGuard) -> None:
    with mock_checkout(api_base="https://stripe.internal") as fake:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH, timeout=5)
        assert fake.requests == []
    assert [address[0] for _, address in network.attempts] == ["api.stripe.com"]
    network.attempts.clear()


@pytest.mark.parametrize(
    ("url", "base", "answered"),
    [
        ("https://api.stripe.com/v1/x", "https://api.stripe.com", True),
        ("https://API.STRIPE.COM./v1/x", "https://api.stripe.com", True),
        ("https://api.stripe.com:443/v1/x?a=b", "https://api.stripe.com", True),
        ("HTTPS://api.stripe.com", "https://api.stripe.com", True),
        ("https://api.stripe.com/v1/x", "https://API.stripe.com.:443/", True),
        ("https://api.stripe.com:8443/v1/x", "https://api.stripe.com", False),
        ("https://api.stripe.com.evil.example/v1/x", "https://api.stripe.com", False),
        ("https://api.stripe.com@evil.example/v1/x", "https://api.stripe.com", False),
        ("https://evil.example/https://api.stripe.com/v1", "https://api.stripe.com", False),
        ("https://files.stripe.com/v1/files", "https://api.stripe.com", False),
        ("http://127.0.0.1:12111/v1/x", "http://127.0.0.1:12111", True),
        ("http://127.0.0.1:12112/v1/x", "http://127.0.0.1:12111", False),
        ("http://[::1]:12111/v1/x", "http://[::1]:12111", True),
        ("https://stripe.internal/api/v1/x", "https://stripe.internal/api", True),
        ("https://stripe.internal/api", "https://stripe.internal/api/", True),
        ("https://stripe.internal/apix/v1", "https://stripe.internal/api", False),
        ("https://stripe.internal/v1/x", "https://stripe.internal/api", False),
        ("not a url", "https://api.stripe.com", False),
    ],
)
def test_which_urls_are_the_fakes(url: str, base: str, answered: bool) -> None:
    assert matches_api_base(url, base) is answered


def test_the_target_under_a_base_with_a_path() -> None:
    base = ApiBase.parse("https://Stripe.Internal./api/")
    assert (
        base.target("https://stripe.internal/api/v1/checkout/sessions?limit=3#frag") == "/v1/checkout/sessions?limit=3"
    )
    assert base.target("https://stripe.internal:443/api") == "/"
    assert base.url == "https://Stripe.Internal./api"


@pytest.mark.parametrize(
    ("api_base", "message"),
    [
        ("api.stripe.com", "must be an http(s) URL"),
        ("ftp://api.stripe.com", "must be an http(s) URL"),
        ("https://", "must be an http(s) URL"),
        ("https://api.stripe.com:99999", "must be an http(s) URL"),
        ("https://sk_test_x@api.stripe.com", "must not carry user info"),
        ("https://api.stripe.com?x=1", "must not have a query"),
    ],
)
def test_a_bad_api_base_is_a_clear_error(api_base: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        mock_checkout(api_base=api_base)


def test_an_api_base_that_is_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="api_base must be a str"):
        mock_checkout(api_base=None)  # type: ignore[arg-type]


# ==============================================================================================================
# Refused: plain HTTP to the host of an HTTPS base
# ==============================================================================================================


@pytest.mark.parametrize("road", SPELLING_ROADS, ids=[road.name for road in SPELLING_ROADS])
def test_plain_http_to_stripe_is_refused_through_the_sdk(
    road: Road, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_checkout() as fake:
        api = Api("client", road.make(), "http://api.stripe.com", monkeypatch)
        calls = run_sync if road.sync else run_async
        with pytest.raises(stripe.APIConnectionError) as caught:
            calls(api)
        refused = [e for e in causes(caught.value) if isinstance(e, RequestRefusedError)]
        assert len(refused) == 1
        assert "http://api.stripe.com/v1/checkout/sessions" in str(refused[0])
        assert "HTTPS only" in str(refused[0])
        assert fake.requests == []


def test_plain_http_to_stripe_is_refused_for_an_application_client(network: NetworkGuard) -> None:
    url = f"http://API.stripe.com{SESSIONS}"

    async def with_async() -> list[BaseException]:
        errors: list[BaseException] = []
        async with httpx.AsyncClient() as hx, aiohttp.ClientSession() as aio:
            for call in (lambda: hx.get(url, headers=AUTH), lambda: aio.get(url, headers=AUTH)):
                with pytest.raises(RequestRefusedError) as caught:
                    await call()
                errors.append(caught.value)
        return errors

    with mock_checkout() as fake:
        with pytest.raises(RequestRefusedError, match=r"plain HTTP to api\.stripe\.com"):
            requests.get(url, headers=AUTH, timeout=5)
        with pytest.raises(RequestRefusedError, match=r"plain HTTP to api\.stripe\.com"):
            httpx.get(url, headers=AUTH)
        assert len(asyncio.run(with_async())) == 2
        assert fake.requests == []


def test_an_http_base_given_on_purpose_is_answered(network: NetworkGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_checkout(api_base="http://api.stripe.com") as fake:
        session_id = run_road(ROADS[1], "http://api.stripe.com", monkeypatch)
        assert records(fake) == expected(session_id)


# ==============================================================================================================
# Other hosts go to whatever answered before
# ==============================================================================================================


class TestOtherHostsPassThrough:
    def test_requests_goes_on_to_an_outer_responses_mock(self, network: NetworkGuard) -> None:
        with responses.RequestsMock() as outer:
            outer.get("https://shop.example/ping", body="pong")
            with mock_checkout() as fake:
                assert requests.get("https://shop.example/ping", timeout=5).text == "pong"
                assert requests.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH, timeout=5).status_code == 200
                assert records(fake) == [("GET", SESSIONS, 200)]
            assert len(outer.calls) == 1
            # After the fake, Stripe's host is the outer mock's again, which refuses it (not the network).
            with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
                requests.get(f"https://api.stripe.com{SESSIONS}", timeout=5)

    def test_httpx_goes_on_to_the_transport_that_was_there(
        self, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen: list[str] = []

        def before(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(200, text="from before", request=request)

        async def before_async(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(200, text="from before, async", request=request)

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", before)
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", before_async)

        async def async_calls() -> tuple[str, int]:
            async with httpx.AsyncClient() as http:
                other = (await http.get("https://shop.example/a")).text
                return other, (await http.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH)).status_code

        with mock_checkout() as fake:
            assert httpx.get("https://shop.example/s").text == "from before"
            assert httpx.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH).status_code == 200
            assert asyncio.run(async_calls()) == ("from before, async", 200)
            assert records(fake) == [("GET", SESSIONS, 200)] * 2
        assert seen == ["https://shop.example/s", "https://shop.example/a"]
        assert httpx.HTTPTransport.handle_request is before
        assert httpx.AsyncHTTPTransport.handle_async_request is before_async

    def test_aiohttp_and_urllib_go_on_to_what_was_there(
        self, network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen: list[str] = []

        async def connect_before(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
            seen.append(str(req.url))
            raise aiohttp.ClientConnectionError("the connector that was there before")

        def urllib_before(self: Any, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
            seen.append(url)
            return b"before", 200, {}

        monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", connect_before)
        monkeypatch.setattr(stripe.UrllibClient, "request", urllib_before)

        async def aiohttp_calls() -> int:
            async with aiohttp.ClientSession() as http:
                with pytest.raises(aiohttp.ClientConnectionError, match="there before"):
                    await http.get("https://shop.example/b")
                async with http.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH) as answer:
                    return answer.status

        with mock_checkout() as fake:
            assert asyncio.run(aiohttp_calls()) == 200
            assert stripe.UrllibClient().request("get", "https://shop.example/u", {}) == (b"before", 200, {})
            _, status, _ = stripe.UrllibClient().request("get", f"https://api.stripe.com{SESSIONS}", AUTH)
            assert status == 200
            assert records(fake) == [("GET", SESSIONS, 200)] * 2
        assert seen == ["https://shop.example/b", "https://shop.example/u"]
        assert aiohttp.TCPConnector._create_connection is connect_before
        assert stripe.UrllibClient.request is urllib_before

    def test_a_loopback_server_is_reached_on_every_road(self, network: NetworkGuard) -> None:
        class Hello(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"hello from loopback"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.server_address[1]
        network.allow_loopback(port)
        url = f"http://127.0.0.1:{port}/hello"

        async def async_calls() -> list[str]:
            async with httpx.AsyncClient() as hx, aiohttp.ClientSession() as aio:
                first = (await hx.get(url)).text
                async with aio.get(url) as answer:
                    return [first, await answer.text()]

        try:
            with mock_checkout() as fake:
                texts = [requests.get(url, timeout=5).text, httpx.get(url).text, *asyncio.run(async_calls())]
                texts.append(stripe.UrllibClient().request("get", url, {})[0].decode())
                assert texts == ["hello from loopback"] * 5
                assert requests.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH, timeout=5).status_code == 200
                assert records(fake) == [("GET", SESSIONS, 200)]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        assert {address for kind, address in network.let_through if kind.startswith("connect")} == {("127.0.0.1", port)}


# ==============================================================================================================
# The requests road keeps nothing per request
# ==============================================================================================================


def test_the_requests_road_records_no_calls(network: NetworkGuard) -> None:
    client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=stripe.RequestsClient())
    with mock_checkout() as fake:
        mock = via_requests.current()
        assert mock is not None
        for _ in range(20):
            client.v1.checkout.sessions.create(params=PARAMS)
        assert len(fake.requests) == 20
        assert len(mock.calls) == 0
        assert mock.registered() == []
    assert via_requests.current() is None


def test_a_streamed_requests_answer_can_be_read_from_raw(network: NetworkGuard) -> None:
    with mock_checkout():
        answer = requests.get(f"https://api.stripe.com{SESSIONS}", headers=AUTH, timeout=5, stream=True)
        body = answer.raw.read()
        assert body.startswith(b'{"object":"list"')
        assert answer.headers["Content-Length"] == str(len(body))


# ==============================================================================================================
# Bodies sent in chunks, and HEAD
# ==============================================================================================================


def test_a_generator_body_sent_by_requests_is_read(network: NetworkGuard) -> None:
    sent: list[requests.PreparedRequest] = []

    def chunks() -> Iterator[bytes]:
        data = BODY.encode()
        for start in range(0, len(data), 16):
            yield data[start : start + 16]

    with mock_checkout() as fake, requests.Session() as http:
        http.hooks["response"].append(lambda answer, **_: sent.append(answer.request))
        created = http.post(f"https://api.stripe.com{SESSIONS}", data=chunks(), headers=FORM, timeout=5)
        assert created.status_code == 200, created.text
        assert created.json()["mode"] == "setup"
        assert sent[0].headers["Transfer-Encoding"] == "chunked"  # what requests does with a generator
        assert fake.requests[0].params is not None
        assert fake.requests[0].params["payment_method_types"] == ["card"]


def test_a_generator_body_is_read_on_the_httpx_and_aiohttp_roads(network: NetworkGuard) -> None:
    def chunks() -> Iterator[bytes]:
        yield from (BODY[:20].encode(), BODY[20:].encode())

    async def async_chunks() -> Any:
        for chunk in chunks():
            yield chunk

    async def async_calls() -> list[int]:
        async with httpx.AsyncClient() as hx, aiohttp.ClientSession() as aio:
            first = await hx.post(f"https://api.stripe.com{SESSIONS}", content=async_chunks(), headers=FORM)
            async with aio.post(f"https://api.stripe.com{SESSIONS}", data=async_chunks(), headers=FORM) as answer:
                return [first.status_code, answer.status]

    with mock_checkout() as fake:
        statuses = [httpx.post(f"https://api.stripe.com{SESSIONS}", content=chunks(), headers=FORM).status_code]
        statuses += asyncio.run(async_calls())
        assert statuses == [200, 200, 200]
        assert [r.params["mode"] if r.params else None for r in fake.requests] == ["setup"] * 3


def head_and_get(road: str, url: str) -> list[tuple[int, dict[str, str], bytes]]:
    """(status, lower-cased headers, body) of a HEAD and then a GET of ``url``, sent by ``road``."""
    if road == "requests":
        return [
            (r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)
            for r in (requests.head(url, headers=AUTH, timeout=5), requests.get(url, headers=AUTH, timeout=5))
        ]
    if road == "requests-stream":
        out = []
        for method in ("HEAD", "GET"):
            r = requests.request(method, url, headers=AUTH, timeout=5, stream=True)
            out.append((r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.raw.read()))
        return out
    if road == "httpx":
        return [
            (r.status_code, dict(r.headers), r.content)
            for r in (httpx.head(url, headers=AUTH), httpx.get(url, headers=AUTH))
        ]

    async def calls() -> list[tuple[int, dict[str, str], bytes]]:
        out = []
        async with aiohttp.ClientSession() as http:
            for method in ("HEAD", "GET"):
                async with http.request(method, url, headers=AUTH) as r:
                    out.append((r.status, {k.lower(): v for k, v in r.headers.items()}, await r.read()))
        return out

    return asyncio.run(calls())


@pytest.mark.parametrize("road", ["requests", "requests-stream", "httpx", "aiohttp"])
@pytest.mark.parametrize("path", [SESSIONS, f"{SESSIONS}/{MISSING}", "/v1/unknown"])
def test_head_gets_the_status_and_headers_of_the_get_and_no_body(road: str, path: str, network: NetworkGuard) -> None:
    with mock_checkout() as fake:
        (head_status, head, head_body), (get_status, get, get_body) = head_and_get(
            road, f"https://api.stripe.com{path}"
        )
        assert head_status == get_status == (200 if path == SESSIONS else 404)
        assert head_body == b""
        assert get_body.startswith(b"{")
        # The body the GET has, which names the method when the URL is unknown ("Unrecognized request URL (HEAD: ").
        assert int(head["content-length"]) == len(get_body.replace(b"(GET: ", b"(HEAD: "))
        assert head["content-type"] == get["content-type"] == "application/json"
        assert head["request-id"].startswith("req_")
        assert head["request-id"] != get["request-id"]
        assert [(r.method, r.status) for r in fake.requests] == [("HEAD", head_status), ("GET", get_status)]
