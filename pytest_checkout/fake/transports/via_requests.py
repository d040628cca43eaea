"""The ``requests`` road: ``HTTPAdapter.send`` patched through ``responses``, answered by the active fake.

One ``responses.RequestsMock`` serves every active fake. It skips responses' own matching and never records a
call: responses keeps every request and response it answers (about 13 KB per Checkout create), which a fake
that lives for a whole test session cannot afford, and its registry walk would be paid on every request for
nothing, since ``activation.lookup`` already knows which fake answers. URLs no fake answers go to whatever
``HTTPAdapter.send`` was before the first activation: an outer ``responses`` mock, or the real adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.util.retry import Retry

from pytest_checkout.fake.transports import activation
from pytest_checkout.httputil import reason_phrase

__all__ = ["current", "install"]


class _FakeRequestsMock(responses.RequestsMock):
    """A ``RequestsMock`` that asks the activation stack and keeps no calls."""

    def _on_request(
        self,
        adapter: HTTPAdapter,
        request: requests.PreparedRequest,
        *,
        retries: Retry | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        url = request.url or ""
        hit = activation.lookup(url)
        if hit is None:
            # What answered before the first activation: an outer mock's send, or the real adapter's.
            previous: Callable[..., requests.Response] = self._real_send
            return previous(adapter, request, **kwargs)
        method = request.method or "GET"
        result = activation.answer(hit, method, request.headers, request.body)
        headers = dict(result.headers)
        headers.setdefault("Content-Length", str(len(result.body)))  # given already for HEAD: the GET's length
        raw = HTTPResponse(
            body=BytesIO(result.body),
            headers=headers,
            status=result.status,
            reason=reason_phrase(result.status, ""),
            preload_content=False,
            decode_content=False,
            request_method=method,
            request_url=url,
        )
        response = adapter.build_response(request, raw)
        if not kwargs.get("stream"):
            # What ``Session.send`` would read from ``raw`` at once, handed over as read: no urllib3 stream
            # machinery per request. ``raw`` stays readable for code that reads it anyway.
            response._content = result.body
            response._content_consumed = True  # type: ignore[attr-defined]  # missing from types-requests
        return response


_current: responses.RequestsMock | None = None


def current() -> responses.RequestsMock | None:
    """The installed mock while any fake is active (for tests that check it keeps nothing), else None."""
    return _current


def install() -> Callable[[], None]:
    """Patch ``HTTPAdapter.send``; returns the function that puts back exactly what was there."""
    global _current
    mock = _FakeRequestsMock(assert_all_requests_are_fired=False, real_adapter_send=HTTPAdapter.send)
    mock.start()
    _current = mock

    def undo() -> None:
        global _current
        mock.stop(allow_assert=False)
        _current = None

    return undo
