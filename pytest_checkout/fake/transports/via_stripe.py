"""The official SDK's own HTTP clients that no patch of an HTTP library reaches: ``UrllibClient``, ``PycurlClient``.

``urllib.request`` and pycurl have no mock layer of their own that this package can own, so the SDK's two
clients are patched one level up: their ``request`` and ``request_stream`` answer the fake's URLs in process,
returning what the original returns (lower-cased header dicts; bytes from urllib, text from pycurl) and call the
original for every other URL. pycurl need not be installed: the patch is on the SDK's class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any

from pytest_checkout.fake.routes import FakeResponse
from pytest_checkout.fake.transports import activation

__all__ = ["install"]


def _lowered(result: FakeResponse) -> dict[str, str]:
    # Both clients hand the SDK a dict with lower-cased names (its own parsing of the wire does that).
    return {name.lower(): value for name, value in result.headers.items()}


def _answering(
    original: Callable[..., Any], shape: Callable[[FakeResponse], tuple[Any, int, dict[str, str]]]
) -> Callable[..., Any]:
    def request(
        self: Any, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kwargs: Any
    ) -> Any:
        try:
            hit = activation.lookup(url)
        except activation.RequestRefusedError as error:
            # The SDK retries and reports only its own connection error; the refusal stays as its cause.
            import stripe

            connection_error: Any = stripe.APIConnectionError
            raise connection_error(str(error), should_retry=False) from error
        if hit is None:
            return original(self, method, url, headers, post_data, **kwargs)
        return shape(activation.answer(hit, method, headers or {}, post_data))

    request.__name__ = getattr(original, "__name__", "request")
    request.__doc__ = getattr(original, "__doc__", None)
    return request


def install() -> Callable[[], None] | None:
    """Patch ``request`` and ``request_stream`` of ``stripe.UrllibClient`` and ``stripe.PycurlClient``."""
    try:
        import stripe
    except ImportError:  # not installed: none of its clients can exist
        return None

    shapes: dict[type[Any], dict[str, Callable[[FakeResponse], tuple[Any, int, dict[str, str]]]]] = {
        stripe.UrllibClient: {
            "request": lambda r: (r.body, r.status, _lowered(r)),
            "request_stream": lambda r: (BytesIO(r.body), r.status, _lowered(r)),
        },
        stripe.PycurlClient: {
            "request": lambda r: (r.body.decode("utf-8"), r.status, _lowered(r)),
            "request_stream": lambda r: (BytesIO(r.body), r.status, _lowered(r)),
        },
    }
    undos = [
        activation.patch_attribute(client, name, _answering(getattr(client, name), shape))
        for client, methods in shapes.items()
        for name, shape in methods.items()
    ]

    def undo() -> None:
        for one in reversed(undos):
            one()

    return undo
