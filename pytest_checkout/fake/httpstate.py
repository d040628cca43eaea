"""What the HTTP layer remembers of the requests it answered: the request log and the idempotency records.

Both belong to HTTP, not to Stripe's objects: a replayed answer is the first answer's bytes, and the log is of
requests as they arrived. The backend never reads either; ``routes.handle`` writes both.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, overload

from pytest_checkout import codec
from pytest_checkout.errors import InvalidRequestError
from pytest_checkout.fake import exceptions
from pytest_checkout.httputil import parse_form
from pytest_checkout.schema.nodes import Node

__all__ = [
    "IDEMPOTENCY_WINDOW",
    "MAX_RECORDED_REQUESTS",
    "REJECTED_KEPT_CHARS",
    "IdempotencyStore",
    "RecordedRequest",
    "Replay",
    "RequestLog",
    "fingerprint",
]

#: Idempotency keys are forgotten after this long (Stripe's docs: 24 hours).
IDEMPOTENCY_WINDOW = 24 * 60 * 60
#: ``fake.requests`` keeps the latest this many requests by default; older ones are dropped as new ones come.
MAX_RECORDED_REQUESTS = 10_000
#: A rejected request (status 400 or more) keeps at most this many characters of its form text, cut after a whole
#: field, and of its path and header values: what a test needs to see why it was refused, not what a client
#: sent to be refused (a body of 10,000 fields is refused, and would otherwise be kept, and decoded when read).
REJECTED_KEPT_CHARS = 4096


class RecordedRequest:
    """A request the fake answered. ``api_key`` is masked: the log never holds a usable key.

    ``params`` are the decoded parameters (``None`` when the request was refused before they could be read).
    The log keeps the request's form text and decodes it when ``params`` is first read: a suite's worth of
    requests stays small. A rejected request (``status`` 400 or more) keeps a summary only: at most
    ``REJECTED_KEPT_CHARS`` characters of its form text (whole fields, the first ones), of its path and of its
    header values; ``params_truncated`` tells when its ``params`` lost fields that way.
    """

    __slots__ = (
        "_params",
        "_source",
        "api_key",
        "api_version",
        "idempotency_key",
        "method",
        "params_truncated",
        "path",
        "request_id",
        "status",
        "stripe_version",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        api_key: str | None,
        idempotency_key: str | None,
        stripe_version: str | None,
        request_id: str,
        api_version: str | None = None,
        params: dict[str, Any] | None = None,
        source: tuple[str, Node | None] | None = None,
    ) -> None:
        #: Whether ``params`` holds only the first fields of a rejected request's form (see the class).
        self.params_truncated = False
        if status >= 400:
            path, idempotency_key, stripe_version = _cut(path), _cut(idempotency_key), _cut(stripe_version)
            if source is not None and len(source[0]) > REJECTED_KEPT_CHARS:
                text, schema = source
                end = text.rfind("&", 0, REJECTED_KEPT_CHARS + 1)
                source = (text[:end] if end > 0 else "", schema)
                self.params_truncated = True
        self.method = method
        self.path = path
        self.status = status
        self.api_key = api_key
        self.idempotency_key = idempotency_key
        self.stripe_version = stripe_version
        self.request_id = request_id
        #: The API version that answered (the registry's resolution of ``stripe_version``).
        self.api_version = api_version
        self._params = params
        self._source = source

    @property
    def params(self) -> dict[str, Any] | None:
        """The decoded parameters, or ``None``."""
        if self._params is None and self._source is not None:
            text, schema = self._source
            try:
                self._params = codec.decode(parse_form(text), schema)
            except InvalidRequestError:
                # Only a truncated form can get here (the whole one decoded when the request came): its first
                # fields, read without a schema then, or nothing.
                with contextlib.suppress(InvalidRequestError):
                    self._params = codec.decode(parse_form(text))
            self._source = None
        return self._params

    def _key(self) -> tuple[Any, ...]:
        return (
            self.method,
            self.path,
            self.params,
            self.status,
            self.api_key,
            self.idempotency_key,
            self.stripe_version,
            self.request_id,
            self.api_version,
            self.params_truncated,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordedRequest):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaced

    def __repr__(self) -> str:
        truncated = ", params_truncated=True" if self.params_truncated else ""
        return (
            f"RecordedRequest({self.method} {self.path} -> {self.status}, request_id={self.request_id!r}, "
            f"api_key={self.api_key!r}, api_version={self.api_version!r}{truncated})"
        )


@overload
def _cut(text: str) -> str: ...


@overload
def _cut(text: None) -> None: ...


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= REJECTED_KEPT_CHARS:
        return text
    return text[:REJECTED_KEPT_CHARS] + "..."


class RequestLog(Sequence[RecordedRequest]):
    """``fake.requests``: the requests answered, oldest first, the latest ``maxlen`` of them (``None``: all).

    A list as far as tests go (index it, slice it, iterate, ``len``, ``clear``, compare with a list), whose
    oldest entries are dropped as new ones come once it holds ``maxlen``, so a fake that lives for a whole test
    session stays within bounds. Appending is safe from any thread; iterating works on a snapshot, so it never
    fails because a request was answered meanwhile.
    """

    __slots__ = ("_items",)

    def __init__(self, maxlen: int | None = MAX_RECORDED_REQUESTS, items: Iterable[RecordedRequest] = ()) -> None:
        if maxlen is not None and (not isinstance(maxlen, int) or isinstance(maxlen, bool)):
            raise TypeError(f"the number of requests kept must be an int or None, got {type(maxlen).__name__}")
        if maxlen is not None and maxlen < 0:
            raise ValueError(f"the number of requests kept must be 0 or more, got {maxlen}")
        self._items: deque[RecordedRequest] = deque(items, maxlen)

    @property
    def maxlen(self) -> int | None:
        """How many requests are kept at most (``None``: no limit)."""
        return self._items.maxlen

    def append(self, request: RecordedRequest) -> None:
        """Add the latest request, dropping the oldest one if ``maxlen`` are kept already."""
        self._items.append(request)

    def extend(self, requests: Iterable[RecordedRequest]) -> None:
        """Append each of ``requests`` in order."""
        self._items.extend(requests)

    def clear(self) -> None:
        """Forget every request."""
        self._items.clear()

    def _snapshot(self) -> list[RecordedRequest]:
        # deque.copy runs without releasing the GIL: another thread's append cannot break it half-way.
        return list(self._items.copy())

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> RecordedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[RecordedRequest]: ...

    def __getitem__(self, index: int | slice) -> RecordedRequest | list[RecordedRequest]:
        if isinstance(index, slice):
            return self._snapshot()[index]
        return self._items[index]

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self._snapshot())

    def __reversed__(self) -> Iterator[RecordedRequest]:
        return reversed(self._snapshot())

    def __contains__(self, value: object) -> bool:
        return value in self._snapshot()

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """The position of the first entry equal to ``value`` (``ValueError`` if there is none)."""
        items = self._snapshot()
        return items.index(value, start, len(items) if stop is None else stop)

    def count(self, value: Any) -> int:
        """How many entries equal ``value``."""
        return self._snapshot().count(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestLog):
            return self._snapshot() == other._snapshot()
        if isinstance(other, list):
            return self._snapshot() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it stands for

    def __repr__(self) -> str:
        return repr(self._snapshot())


def fingerprint(method: str, path: str, pairs: Sequence[tuple[str, str]]) -> int:
    """What an idempotency key is bound to: the endpoint and the form fields, whatever order they came in.

    The fields as the client sent them (name, value), sorted by name only: fields in another order are the
    same request, while the values of a repeated name (``expand[]=a&expand[]=b``) keep their order, as a
    list's items do. Python's 64-bit hash of them, not the fields themselves: every POST of the SDK carries a
    key, and the records must stay small and quick to make. Two different requests under one key share a hash
    by chance about once in 2**64 (the store lives in one process, so the hash's per-process seed does not
    matter). Unverified: whether Stripe also counts two spellings of one value (``5``, ``05``) or of one list
    (``a[0]=``, ``a[]=``) as the same request is not known; here they differ.
    """
    return hash((method, path, tuple(sorted(pairs, key=itemgetter(0)))))


@dataclass(slots=True)  # one per POST the SDK sends (each carries a key): no instance dict
class _Record:
    fingerprint: int
    created: int
    status: int = 0
    # The first answer's body, as sent (kept whole: compressing it cost more time than the memory was worth).
    body: bytes | None = None
    request_id: str = ""


@dataclass(frozen=True)
class Replay:
    """The first answer to an idempotency key, given again."""

    status: int
    body: bytes
    request_id: str


@dataclass
class IdempotencyStore:
    """``Idempotency-Key`` records per account: the first answer's status and bytes, for 24 hours.

    A key is reserved before its request runs and released if the request fails validation: Stripe saves a
    result only once an endpoint has started executing, so a retry of a refused request is safe, and a second
    use while the first is still running meets 409.
    """

    _records: dict[tuple[str, str], _Record] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        """Forget every key."""
        with self._lock:
            self._records.clear()

    def run(
        self,
        account: str,
        key: str,
        fingerprint: int,
        now: int,
        request_id: str,
        answer: Callable[[], tuple[int, bytes]],
    ) -> tuple[int, bytes, Replay | None]:
        """Answer once per (account, key): ``(status, body, None)`` the first time, the replay afterwards.

        ``fingerprint`` is what the key is bound to (see :func:`fingerprint`); another fingerprint with the same
        key is ``idempotency_error``.
        """
        with self._lock:
            record = self._records.get((account, key))
            if record is not None and now - record.created > IDEMPOTENCY_WINDOW:
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise exceptions.idempotency_mismatch(key)
                if record.body is None:
                    raise exceptions.idempotency_in_progress()
                return record.status, record.body, Replay(record.status, record.body, record.request_id)
            record = _Record(fingerprint=fingerprint, created=now, request_id=request_id)
            self._records[(account, key)] = record
        try:
            status, body = answer()
        except BaseException:
            # Refused (a StripeError) or broken: nothing was saved, so the key may be used again.
            with self._lock:
                self._records.pop((account, key), None)
            raise
        with self._lock:
            record.status, record.body = status, body
        return status, body, None
