"""What the HTTP layer remembers of the requests it answered: the request log and the idempotency records.

Both belong to HTTP, not to Stripe's objects: a replayed answer is the first answer's bytes, and the log is of
requests as they arrived. The backend never reads either; ``routes.handle`` writes both.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_checkout.fake import exceptions

__all__ = ["IDEMPOTENCY_WINDOW", "IdempotencyStore", "RecordedRequest", "Replay"]

#: Idempotency keys are forgotten after this long (Stripe's docs: 24 hours).
IDEMPOTENCY_WINDOW = 24 * 60 * 60


@dataclass
class RecordedRequest:
    """A request the fake answered, decoded. ``api_key`` is masked: the log never holds a usable key."""

    method: str
    path: str
    params: dict[str, Any] | None
    status: int
    api_key: str | None
    idempotency_key: str | None
    stripe_version: str | None
    request_id: str
    #: The API version that answered (the registry's resolution of ``stripe_version``).
    api_version: str | None = None


@dataclass
class _Record:
    fingerprint: tuple[str, str, Mapping[str, Any]]
    created: int
    status: int = 0
    # The first answer's body, compressed: a suite's worth of creates stays small, and a replay is rare.
    packed: bytes | None = None
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
        fingerprint: tuple[str, str, Mapping[str, Any]],
        now: int,
        request_id: str,
        answer: Callable[[], tuple[int, bytes]],
    ) -> tuple[int, bytes, Replay | None]:
        """Answer once per (account, key): ``(status, body, None)`` the first time, the replay afterwards.

        ``fingerprint`` is what the key is bound to (method, path, decoded params, compared with ``==`` so
        parameter order does not matter); another fingerprint with the same key is ``idempotency_error``.
        """
        with self._lock:
            record = self._records.get((account, key))
            if record is not None and now - record.created > IDEMPOTENCY_WINDOW:
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise exceptions.idempotency_mismatch(key)
                if record.packed is None:
                    raise exceptions.idempotency_in_progress()
                body = zlib.decompress(record.packed)
                return record.status, body, Replay(record.status, body, record.request_id)
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
            record.status, record.packed = status, zlib.compress(body, 1)
        return status, body, None
