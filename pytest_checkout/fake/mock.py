"""``mock_checkout``: route every request for ``api_base`` to a ``CheckoutFake``, on every road the SDK takes.

Activating puts the fake on a process-wide stack (``transports.activation``); while any fake is active, the
adapters in ``transports`` answer requests under an active fake's ``api_base`` (requests, httpx sync and
async, aiohttp, the SDK's urllib and pycurl clients) and send every other request on to whatever answered it
before. See docs/transports.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from types import TracebackType
from typing import Any, TypeVar, overload

from pytest_checkout.fake.backend import CheckoutFake
from pytest_checkout.fake.httpstate import MAX_RECORDED_REQUESTS
from pytest_checkout.fake.transports import activation
from pytest_checkout.fake.transports.hosts import ApiBase
from pytest_checkout.versions import API_VERSION

__all__ = ["mock_checkout"]

F = TypeVar("F", bound=Callable[..., Any])


class mock_checkout:  # noqa: N801 - named like moto's mock_aws, which it follows
    """Answer requests to ``api_base`` with a fresh ``CheckoutFake``; a context manager and a decorator.

    ::

        with mock_checkout() as fake:
            stripe.checkout.Session.create(...)      # answered by ``fake``
            fake.complete(session.id)

    Every spelling of the base's host is answered (case, a trailing dot, the default port), on every HTTP road:
    requests, httpx (sync and async), aiohttp and the SDK's own clients. Requests to other hosts go on to
    whatever was there before: an outer ``responses`` mock, an outer ``mock_checkout`` for another
    ``api_base``, or the network. The innermost active fake answers, in every thread; fakes may stop in any
    order. Entering the same ``mock_checkout`` again nests (the state is kept until the outermost exit); the
    state of the fake is reset when its activation ends. ``fake.requests`` keeps the latest
    ``max_recorded_requests`` requests (default 10,000; ``None`` keeps every one). ``api_version`` and
    ``strict_versions`` are the fake's (``CheckoutFake``): the account's default version, and whether a version
    between the modelled ones gets the snapshot before it.

    As a decorator it keeps the fake active for the whole of each call: of a function, of a coroutine (across
    its awaits), and of a generator or an async generator (for the whole iteration). The wrapped function gets
    the fake as the keyword argument ``checkout_fake`` if it has a parameter of that name.
    """

    def __init__(
        self,
        *,
        api_base: str = "https://api.stripe.com",
        seed: int | str = 0,
        now: int | float | None = None,
        max_recorded_requests: int | None = MAX_RECORDED_REQUESTS,
        api_version: str = API_VERSION,
        strict_versions: bool = False,
    ):
        self._base = ApiBase.parse(api_base)
        self.api_base = self._base.url
        self.fake = CheckoutFake(
            seed=seed,
            now=now,
            api_base=self.api_base,
            max_recorded_requests=max_recorded_requests,
            api_version=api_version,
            strict_versions=strict_versions,
        )
        self._entry: activation.Entry | None = None
        self._depth = 0

    def start(self) -> CheckoutFake:
        """Activate (as ``__enter__`` does); returns the fake."""
        with activation.LOCK:
            if self._depth == 0:
                # Each activation starts from nothing, the clock included.
                self.fake.reset(clock=True)
                self._entry = activation.push(self.fake, self._base)
            self._depth += 1
        return self.fake

    def stop(self) -> None:
        """Deactivate: this fake leaves the stack (wherever it is in it), and its state is reset.

        When it was the last active fake, every patch is taken off. Stopping a mock that is not active does
        nothing.
        """
        with activation.LOCK:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._depth == 0 and self._entry is not None:
                activation.remove(self._entry)
                self._entry = None
                self.fake.reset(clock=True)

    @property
    def active(self) -> bool:
        """True between the first ``start`` and the matching last ``stop``."""
        return self._depth > 0

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
        if not callable(func):
            raise TypeError(f"@mock_checkout() decorates a function, got {type(func).__name__}")
        wants_fake = "checkout_fake" in inspect.signature(func).parameters

        def arguments(fake: CheckoutFake, kwargs: dict[str, Any]) -> dict[str, Any]:
            if wants_fake:
                kwargs["checkout_fake"] = fake
            return kwargs

        # One wrapper per kind of function: a plain wrapper would return a coroutine or a generator unstarted,
        # leaving the block before the body ran.
        if inspect.isasyncgenfunction(func):

            @functools.wraps(func)
            async def async_generator_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
                with self as fake:
                    inner = func(*args, **arguments(fake, kwargs))
                    try:
                        value = await inner.__anext__()
                        while True:
                            try:
                                sent = yield value
                            except GeneratorExit:
                                await inner.aclose()
                                raise
                            except BaseException as error:  # thrown in: hand it to the inner generator
                                value = await inner.athrow(error)
                            else:
                                value = await inner.asend(sent)
                    except StopAsyncIteration:
                        return

            return async_generator_wrapper  # type: ignore[return-value]

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self as fake:
                    return await func(*args, **arguments(fake, kwargs))

            return coroutine_wrapper  # type: ignore[return-value]

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
                with self as fake:
                    # ``yield from`` forwards send(), throw() and close(), and the return value.
                    return (yield from func(*args, **arguments(fake, kwargs)))

            return generator_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as fake:
                return func(*args, **arguments(fake, kwargs))

        return wrapper  # type: ignore[return-value]
