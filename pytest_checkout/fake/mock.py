"""``mock_checkout``: route Stripe's Checkout endpoints to a ``CheckoutFake`` through ``responses``."""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, overload

import requests
import responses

from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.routes import handle

__all__ = ["mock_checkout"]

F = TypeVar("F", bound=Callable[..., Any])
_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")
# Activations patch requests' adapter one at a time, so nested and concurrent starts see a consistent chain.
_ACTIVATION = threading.RLock()


class mock_checkout:  # noqa: N801 - named like moto's mock_aws, which it follows
    """Answer requests to ``api_base`` with a fresh ``CheckoutFake``; a context manager and a decorator.

    ::

        with mock_checkout() as fake:
            stripe.checkout.Session.create(...)      # answered by ``fake``
            fake.complete(session.id)

    Requests to other hosts go on to whatever was there before: an outer ``responses`` mock, an outer
    ``mock_checkout`` for another ``api_base``, or the network. Nested activation is safe; the state of the fake
    is reset when its activation ends. As a decorator, the wrapped function gets the fake as the keyword
    argument ``checkout_fake`` if it has a parameter of that name.
    """

    def __init__(
        self, *, api_base: str = "https://api.stripe.com", seed: int | str = 0, now: int | float | None = None
    ):
        if not re.match(r"^https?://[^/]+", api_base):
            raise ValueError(f"api_base must be an http(s) URL such as 'https://api.stripe.com', got {api_base!r}")
        self.api_base = api_base.rstrip("/")
        self.fake = CheckoutFake(seed=seed, now=now, api_base=self.api_base)
        self._mock: responses.RequestsMock | None = None
        self._depth = 0

    def start(self) -> CheckoutFake:
        """Activate (as ``__enter__`` does); returns the fake."""
        with _ACTIVATION:
            if self._depth == 0:
                # Each activation starts from nothing, the clock included.
                self.fake.reset(clock=True)
                # Whatever answers requests right now (an outer mock, or the real adapter) answers the URLs that
                # are not this fake's.
                previous_send = requests.adapters.HTTPAdapter.send
                mock = responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=previous_send)
                prefix = re.compile(re.escape(self.api_base) + r"(/.*)?$")
                for method in _METHODS:
                    mock.add_callback(method, prefix, callback=self._callback, content_type=None)
                mock.add_passthru(re.compile(r"^(?!" + re.escape(self.api_base) + r"(/|$)).*"))
                mock.start()
                self._mock = mock
            self._depth += 1
        return self.fake

    def stop(self) -> None:
        """Deactivate, restoring what answered before, and reset the fake."""
        with _ACTIVATION:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._depth == 0 and self._mock is not None:
                self._mock.stop()
                self._mock.reset()
                self._mock = None
                self.fake.reset(clock=True)

    def _callback(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        answer = handle(self.fake, request.method or "GET", request.url or "", dict(request.headers), request.body)
        return answer.status, answer.headers, answer.body

    def __enter__(self) -> CheckoutFake:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @overload
    def __call__(self, func: F) -> F: ...

    @overload
    def __call__(self, func: None = None) -> mock_checkout: ...

    def __call__(self, func: F | None = None) -> F | mock_checkout:
        """Use as a decorator: ``@mock_checkout()``."""
        if func is None:
            return self
        wants_fake = "checkout_fake" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as fake:
                if wants_fake:
                    kwargs["checkout_fake"] = fake
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
