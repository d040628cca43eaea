"""The fake's clock: frozen until the test moves it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """Unix time in whole seconds that only moves when told to.

    Starts at ``now`` (default: the real time when the clock is made). ``advance`` runs the listeners the fake
    registers, so sessions whose ``expires_at`` has passed expire at that moment, with their events.
    """

    def __init__(self, now: int | float | None = None) -> None:
        self._now = int(time.time() if now is None else now)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []

    def now(self) -> int:
        """The current time of the fake, in seconds since the epoch."""
        return self._now

    def advance(self, seconds: int | float) -> int:
        """Move the clock forward and let what is due happen; returns the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._now += int(seconds)
            now = self._now
        for listener in list(self._listeners):
            listener(now)
        return now

    def set(self, now: int | float) -> int:
        """Move the clock to ``now`` (not backwards)."""
        return self.advance(int(now) - self._now)

    def reset(self, now: int | float | None = None) -> None:
        """Put the clock at ``now`` (default: the real time), backwards too; listeners are not called."""
        with self._lock:
            self._now = int(time.time() if now is None else now)

    def on_advance(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(now)`` after every move of the clock."""
        self._listeners.append(listener)
