"""``FakeObject``: what the fake's helpers hand a test, a dict with attribute access, like the SDK's objects.

``fake.add_price(...)``, ``fake.add_customer(...)``, ``fake.complete(...)`` and ``fake.sessions[id]`` answer
one: ``price.id`` and ``price["id"]`` both work, nested objects too (``session.customer_details.address``), and
``to_dict()`` gives plain JSON-ready dicts and lists. Each is a copy: changing it never changes the fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FakeObject", "fake_object"]


class FakeObject(dict[str, Any]):
    """A Stripe object as a ``dict`` whose keys are also attributes (``session.status``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            kind = self.get("object", "object")
            raise AttributeError(f"this {kind} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self) -> dict[str, Any]:
        """A plain copy: dicts and lists all the way down, as the JSON answer has it."""
        return _plain(self)  # type: ignore[no-any-return]


def fake_object(data: Mapping[str, Any]) -> FakeObject:
    """A ``FakeObject`` copy of ``data``, every nested object one too."""
    return _wrap(data)  # type: ignore[no-any-return]


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FakeObject({key: _wrap(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
