"""Activation: the process-wide stack of fakes, out-of-order stops, threads, and the decorator on each kind of function.

Runs under the network guard of ``test_transports`` (connections and DNS look-ups recorded and refused).
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import stripe

from pytest_checkout.fake import CheckoutFake, mock_checkout
from pytest_checkout.fake.transports import activation
from tests.test_transports import API_KEY, AUTH, PARAMS, SESSIONS, NetworkGuard, network, records

__all__ = ["network"]  # the fixture, imported so this module's tests can use it

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest_checkout.fake.StripeVersionWarning"),
    # stripe's HTTPXClient sends its form body as ``data=<str>``, which httpx 0.28 deprecates (the SDK's warning).
    pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"),
]

URL = f"https://api.stripe.com{SESSIONS}"


def patched_attributes() -> dict[str, object]:
    """Every attribute an adapter patches, as the class itself holds it (absent is recorded as absent)."""
    owners = {
        "HTTPAdapter.send": (requests.adapters.HTTPAdapter, "send"),
        "HTTPTransport.handle_request": (httpx.HTTPTransport, "handle_request"),
        "AsyncHTTPTransport.handle_async_request": (httpx.AsyncHTTPTransport, "handle_async_request"),
        "TCPConnector._create_connection": (aiohttp.TCPConnector, "_create_connection"),
        "UrllibClient.request": (stripe.UrllibClient, "request"),
        "UrllibClient.request_stream": (stripe.UrllibClient, "request_stream"),
        "PycurlClient.request": (stripe.PycurlClient, "request"),
        "PycurlClient.request_stream": (stripe.PycurlClient, "request_stream"),
    }
    return {label: vars(owner).get(name, "<absent>") for label, (owner, name) in owners.items()}


def new_client() -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, max_network_retries=0, http_client=stripe.RequestsClient())


def create() -> str:
    return str(new_client().v1.checkout.sessions.create(params=PARAMS).id)


# ==============================================================================================================
# The stack
# ==============================================================================================================


class TestStack:
    def test_every_patch_is_on_while_active_and_exactly_restored_after(self, network: NetworkGuard) -> None:
        before = patched_attributes()
        with mock_checkout():
            during = patched_attributes()
            assert all(during[label] is not before[label] for label in before), during
        assert patched_attributes() == before
        assert all(patched_attributes()[label] is before[label] for label in before)

    def test_stopping_out_of_order_removes_only_that_fake(self, network: NetworkGuard) -> None:
        before = patched_attributes()
        first, second = mock_checkout(seed=1), mock_checkout(seed=2)
        first_fake, second_fake = first.start(), second.start()
        try:
            create()
            assert len(second_fake.requests) == 1
            first.stop()  # the outer one first: the inner one must go on answering
            assert patched_attributes() != before
            create()
            assert len(second_fake.requests) == 2
            assert first_fake.requests == []  # reset on stop, and nothing reached it
        finally:
            first.stop()
            second.stop()
        assert all(patched_attributes()[label] is before[label] for label in before)
        # No dead fake answers any more: the request goes for the network, where the guard stops it.
        with pytest.raises(requests.ConnectionError):
            requests.get(URL, headers=AUTH, timeout=5)
        assert [kind for kind, _ in network.attempts] == ["getaddrinfo"]
        network.attempts.clear()

    def test_stopping_the_middle_one_leaves_the_innermost_answering(self, network: NetworkGuard) -> None:
        mocks = [mock_checkout(seed=n) for n in range(3)]
        fakes = [m.start() for m in mocks]
        try:
            mocks[1].stop()
            create()
            assert [len(f.requests) for f in fakes] == [0, 0, 1]
            mocks[2].stop()
            create()
            assert len(fakes[0].requests) == 1  # the outermost, now the only one
        finally:
            for mock in mocks:
                mock.stop()
        assert activation.active() == ()

    def test_the_innermost_fake_for_each_base_answers(self, network: NetworkGuard) -> None:
        local = "http://127.0.0.1:12111"
        local_client = stripe.StripeClient(API_KEY, base_addresses={"api": local}, max_network_retries=0)
        with mock_checkout(seed=1) as stripe_fake, mock_checkout(seed=2, api_base=local) as local_fake:
            create()
            local_client.v1.checkout.sessions.create(params=PARAMS)
            assert records(stripe_fake) == [("POST", SESSIONS, 200)]
            assert records(local_fake) == [("POST", SESSIONS, 200)]

    def test_entering_the_same_mock_twice_nests(self, network: NetworkGuard) -> None:
        mock = mock_checkout()
        with mock as outer:
            session_id = create()
            with mock as inner:
                assert inner is outer
                assert mock.active
                assert len(activation.active()) == 1  # one entry on the stack, counted twice
            assert mock.active
            assert list(outer.sessions) == [session_id]  # the inner exit kept the state
        assert not mock.active
        assert outer.sessions == {}
        assert activation.active() == ()

    def test_stop_without_start_does_nothing(self) -> None:
        mock = mock_checkout()
        mock.stop()
        assert not mock.active
        assert activation.active() == ()

    def test_start_stop_start_installs_again(self, network: NetworkGuard) -> None:
        mock = mock_checkout()
        for _ in range(2):
            fake = mock.start()
            try:
                create()
                assert len(fake.requests) == 1
            finally:
                mock.stop()
        assert activation.active() == ()

    def test_each_activation_starts_from_nothing(self, network: NetworkGuard) -> None:
        mock = mock_checkout(now=1_700_000_000)
        with mock as fake:
            create()
            fake.clock.advance(3600)
        with mock as fake:
            assert fake.sessions == {}
            assert fake.clock.now() == 1_700_000_000

    def test_a_failing_installer_leaves_nothing_patched(self, monkeypatch: pytest.MonkeyPatch) -> None:
        before = patched_attributes()
        real = activation._installers

        def broken() -> list[Any]:
            def fail() -> None:
                raise RuntimeError("installer failed")

            return [*real()[:2], fail]

        monkeypatch.setattr(activation, "_installers", broken)
        mock = mock_checkout()
        with pytest.raises(RuntimeError, match="installer failed"):
            mock.start()
        assert patched_attributes() == before
        assert activation.active() == ()
        assert not mock.active


# ==============================================================================================================
# Threads
# ==============================================================================================================


class TestThreads:
    def test_a_server_thread_started_before_the_fake_reaches_it(self, network: NetworkGuard) -> None:
        jobs: queue.Queue[str | None] = queue.Queue()
        results: queue.Queue[tuple[str, int]] = queue.Queue()

        def server() -> None:
            # A long-lived application thread: it makes its clients' calls whenever it is asked to.
            client = new_client()
            with httpx.Client() as http:
                while (job := jobs.get()) is not None:
                    if job == "sdk":
                        results.put((job, 200 if client.v1.checkout.sessions.create(params=PARAMS).id else 0))
                    else:
                        results.put((job, http.get(URL, headers=AUTH).status_code))

        thread = threading.Thread(target=server)
        thread.start()
        try:
            with mock_checkout() as fake:
                jobs.put("sdk")
                jobs.put("httpx")
                answers = [results.get(timeout=10), results.get(timeout=10)]
                assert records(fake) == [("POST", SESSIONS, 200), ("GET", SESSIONS, 200)]
            assert answers == [("sdk", 200), ("httpx", 200)]
        finally:
            jobs.put(None)
            thread.join(timeout=10)

    def test_threads_see_what_the_fake_recorded(self, network: NetworkGuard) -> None:
        with mock_checkout() as fake, ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(lambda _: create(), range(8)))
            assert sorted(fake.sessions) == sorted(ids)
            assert records(fake) == [("POST", SESSIONS, 200)] * 8

    def test_a_thread_reaches_the_innermost_fake(self, network: NetworkGuard) -> None:
        with mock_checkout(seed=1) as outer, mock_checkout(seed=2) as inner:
            worker = threading.Thread(target=create)
            worker.start()
            worker.join(timeout=10)
            assert len(inner.requests) == 1
            assert outer.requests == []

    def test_threads_starting_and_stopping_their_own_fakes(self, network: NetworkGuard) -> None:
        before = patched_attributes()
        errors: list[BaseException] = []
        barrier = threading.Barrier(6)

        def work(n: int) -> None:
            base = f"http://127.0.0.1:{20000 + n}"
            client = stripe.StripeClient(
                API_KEY, base_addresses={"api": base}, max_network_retries=0, http_client=stripe.RequestsClient()
            )
            try:
                barrier.wait(timeout=10)
                for _ in range(5):
                    with mock_checkout(api_base=base, seed=n) as fake:
                        session = client.v1.checkout.sessions.create(params=PARAMS)
                        assert list(fake.sessions) == [session.id]
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert activation.active() == ()
        assert all(patched_attributes()[label] is before[label] for label in before)


# ==============================================================================================================
# The decorator
# ==============================================================================================================


class TestDecorator:
    def test_a_plain_function(self, network: NetworkGuard) -> None:
        mock = mock_checkout(seed=4)

        @mock
        def run(checkout_fake: CheckoutFake) -> tuple[bool, str, list[str]]:
            session_id = create()
            return mock.active, session_id, list(checkout_fake.sessions)

        active, session_id, inside = run()  # type: ignore[call-arg]
        assert active
        assert inside == [session_id]
        assert not mock.active

    def test_a_coroutine_function_stays_active_across_awaits(self, network: NetworkGuard) -> None:
        mock = mock_checkout()

        @mock
        async def run(checkout_fake: CheckoutFake) -> list[str]:
            client = stripe.StripeClient(API_KEY, max_network_retries=0, http_client=stripe.HTTPXClient())
            try:
                first = await client.v1.checkout.sessions.create_async(params=PARAMS)
                await asyncio.sleep(0.01)
                assert mock.active
                second = await client.v1.checkout.sessions.create_async(params=PARAMS)
                async with httpx.AsyncClient() as http:
                    await asyncio.sleep(0)
                    assert (await http.get(URL, headers=AUTH)).status_code == 200
                assert sorted(checkout_fake.sessions) == sorted([first.id, second.id])
                return [r.method for r in checkout_fake.requests]
            finally:
                await client._requestor._client.close_async()

        assert inspect.iscoroutinefunction(run)
        coroutine = run()  # type: ignore[call-arg]
        assert not mock.active  # nothing runs until the coroutine is awaited
        assert asyncio.run(coroutine) == ["POST", "POST", "GET"]
        assert not mock.active

    def test_a_generator_function_stays_active_for_the_whole_iteration(self, network: NetworkGuard) -> None:
        mock = mock_checkout()

        @mock
        def sessions(count: int, checkout_fake: CheckoutFake) -> Iterator[str]:
            for _ in range(count):
                received = yield create()
                assert received in (None, "ping")
            return len(checkout_fake.sessions)

        assert inspect.isgeneratorfunction(sessions)
        iterator = sessions(3)  # type: ignore[call-arg]
        assert not mock.active
        first = next(iterator)
        assert mock.active
        assert requests.get(URL, headers=AUTH, timeout=5).status_code == 200  # between yields: still active
        second = iterator.send("ping")
        third = next(iterator)
        with pytest.raises(StopIteration) as stopped:
            next(iterator)
        assert stopped.value.value == 3
        assert len({first, second, third}) == 3
        assert not mock.active

    def test_closing_a_generator_early_deactivates(self, network: NetworkGuard) -> None:
        mock = mock_checkout()

        @mock
        def sessions() -> Iterator[str]:
            while True:
                yield create()

        iterator = sessions()
        next(iterator)
        assert mock.active
        iterator.close()
        assert not mock.active

    def test_an_async_generator_function_stays_active_for_the_whole_iteration(self, network: NetworkGuard) -> None:
        mock = mock_checkout()

        @mock
        async def sessions(count: int, checkout_fake: CheckoutFake) -> AsyncIterator[tuple[str, int]]:
            async with aiohttp.ClientSession() as http:
                for _ in range(count):
                    await asyncio.sleep(0)
                    async with http.post(URL, data=PARAMS_FORM, headers=AUTH) as answer:
                        body = await answer.json()
                    received = yield body["id"], len(checkout_fake.sessions)
                    assert received in (None, "ping")

        assert inspect.isasyncgenfunction(sessions)

        async def consume() -> list[tuple[str, int]]:
            got = []
            iterator = sessions(3)  # type: ignore[call-arg]
            assert not mock.active
            got.append(await iterator.__anext__())
            assert mock.active
            got.append(await iterator.asend("ping"))
            async for item in iterator:
                got.append(item)
            assert not mock.active
            return got

        got = asyncio.run(consume())
        assert [count for _, count in got] == [1, 2, 3]
        assert len({session_id for session_id, _ in got}) == 3

    def test_an_exception_thrown_into_an_async_generator_reaches_it(self) -> None:
        mock = mock_checkout()
        caught: list[str] = []

        @mock
        async def numbers() -> AsyncIterator[int]:
            try:
                yield 1
            except ValueError as error:
                caught.append(str(error))
                yield 2

        async def drive() -> int:
            iterator = numbers()
            assert await iterator.__anext__() == 1
            value = await iterator.athrow(ValueError("thrown in"))
            await iterator.aclose()
            return value

        assert asyncio.run(drive()) == 2
        assert caught == ["thrown in"]
        assert not mock.active

    def test_the_decorated_function_keeps_its_name_and_signature(self) -> None:
        @mock_checkout()
        async def handler(order: str, checkout_fake: Any = None) -> str:
            return order

        assert handler.__name__ == "handler"
        assert list(inspect.signature(handler).parameters) == ["order", "checkout_fake"]

    def test_decorating_something_not_callable_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="decorates a function, got int"):
            mock_checkout()(42)  # type: ignore[call-overload]

    def test_decorated_async_test_functions_under_pytest(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import asyncio
            import stripe
            from pytest_checkout.fake import mock_checkout

            PARAMS = {"mode": "setup", "success_url": "https://shop.example/ok",
                      "cancel_url": "https://shop.example/no", "payment_method_types": ["card"]}

            @mock_checkout(api_base="http://127.0.0.1:12113")
            async def make(checkout_fake):
                client = stripe.StripeClient("sk_test_51Async", base_addresses={"api": "http://127.0.0.1:12113"},
                                             max_network_retries=0, http_client=stripe.HTTPXClient(),
                                             stripe_version="2022-08-01")
                try:
                    session = await client.v1.checkout.sessions.create_async(params=PARAMS)
                    await asyncio.sleep(0)
                    return session.id, list(checkout_fake.sessions)
                finally:
                    await client._requestor._client.close_async()

            def test_async_body_runs_inside_the_fake():
                session_id, inside = asyncio.run(make())
                assert inside == [session_id]
            """
        )
        result = pytester.runpytest_inprocess("-W", "ignore::UserWarning", "-W", "ignore::DeprecationWarning")
        result.assert_outcomes(passed=1)


PARAMS_FORM = {
    "mode": "setup",
    "success_url": "https://shop.example/ok",
    "cancel_url": "https://shop.example/cart",
    "payment_method_types[0]": "card",
}


# ==============================================================================================================
# Libraries that are not installed
# ==============================================================================================================


def test_without_stripe_httpx_and_aiohttp_the_fake_still_answers_requests() -> None:
    # A fresh interpreter in which the three libraries cannot be imported (None in sys.modules blocks an import).
    script = textwrap.dedent(
        """
        import sys
        for name in ("stripe", "httpx", "aiohttp"):
            sys.modules[name] = None
        import requests
        from pytest_checkout.fake import mock_checkout
        from pytest_checkout.fake.transports import CheckoutHTTPClient

        before = requests.adapters.HTTPAdapter.send
        with mock_checkout() as fake:
            answer = requests.get(
                "https://api.stripe.com/v1/checkout/sessions", headers={"Authorization": "Bearer sk_test_1"}
            )
            assert answer.status_code == 200, answer.status_code
            assert [r.status for r in fake.requests] == [200]
        assert requests.adapters.HTTPAdapter.send is before
        assert not [name for name in ("stripe", "httpx", "aiohttp") if sys.modules.get(name) is not None]
        try:
            CheckoutHTTPClient()
        except ImportError as error:
            print("refused:", error)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "refused: CheckoutHTTPClient is an HTTP client for the official SDK: pip install stripe"
    )
