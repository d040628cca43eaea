"""Object ids in Stripe's forms, drawn from a seeded generator so a test run is repeatable."""

from __future__ import annotations

import random
import string

__all__ = ["IdFactory"]

_ALPHANUMERIC = string.ascii_letters + string.digits
# Random bytes mapped onto letters and digits in one translate call: ids are made on every request, and drawing
# them a character at a time was a tenth of the time of a create.
_BYTE_TO_CHAR = bytes((_ALPHANUMERIC * 5)[:256], "ascii")

#: How many characters are drawn at once.
_POOL = 1024

#: Length of the random part after each prefix, as Stripe's ids have them.
_LENGTHS = {
    "li": 24,
    "evt": 24,
    "req": 14,
    "pi": 24,
    "seti": 24,
    "sub": 24,
    "cus": 14,
    "price": 24,
    "prod": 14,
    "shr": 24,
    "si": 14,
    "promo": 24,
    "in": 24,
}


class IdFactory:
    """Makes ids such as ``cs_test_a1...`` (58 characters after the mode) or ``li_...`` (24).

    The same ``seed`` gives the same ids in the same order. Not thread-safe on its own: the fake draws under
    its lock.
    """

    def __init__(self, seed: int | str = 0) -> None:
        self.seed = seed
        self._random = random.Random(seed)
        # Characters drawn ahead, a kilobyte at a time, and how many of them are used: a create makes half a dozen
        # ids, and one draw for many of them costs less than a draw for each.
        self._pool = ""
        self._used = 0

    @property
    def rng(self) -> random.Random:
        """The generator behind the ids, for other deterministic choices of the fake."""
        return self._random

    def _chars(self, count: int) -> str:
        start = self._used
        end = start + count
        if end > len(self._pool):
            drawn = self._random.randbytes(max(_POOL, count)).translate(_BYTE_TO_CHAR).decode("ascii")
            self._pool = self._pool[start:] + drawn
            start, end = 0, count
        self._used = end
        return self._pool[start:end]

    def session(self, livemode: bool) -> str:
        """A Checkout Session id; live ones start ``cs_live_``, and like Stripe's commonly ``a1``."""
        return f"cs_{'live' if livemode else 'test'}_a1{self._chars(56)}"

    def new(self, prefix: str) -> str:
        """An id of another kind: ``li``, ``evt``, ``req``, ``pi``, ``seti``, ``sub``, ``cus``, ``price``, ..."""
        try:
            length = _LENGTHS[prefix]
        except KeyError:
            raise ValueError(f"unknown id prefix {prefix!r}; one of {', '.join(sorted(_LENGTHS))}") from None
        return f"{prefix}_{self._chars(length)}"

    def opaque(self, count: int) -> str:
        """Random letters and digits (the fragment of a session URL, say)."""
        return self._chars(count)
