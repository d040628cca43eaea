"""What an operation of the API is: its method, path, parameters and answer, as schema nodes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pytest_checkout.schema.nodes import Array, Boolean, Node, Object, String

__all__ = ["Operation", "list_of", "path_pattern"]


@functools.lru_cache(maxsize=256)
def path_pattern(template: str) -> re.Pattern[str]:
    """``/v1/checkout/sessions/{session}`` as a pattern; each ``{name}`` matches one non-empty path segment."""
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


@dataclass(frozen=True)
class Operation:
    """One endpoint: ``path`` may hold ``{session}``; ``params`` covers query and body alike."""

    name: str
    method: str
    path: str
    params: Object
    answer: Node

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The named parts of ``path`` if this operation answers ``method path``, else ``None``."""
        if method != self.method:
            return None
        found = path_pattern(self.path).match(path)
        return found.groupdict() if found else None


def list_of(items: Node, *, title: str, nullable: bool = False) -> Object:
    """The ``list`` object Stripe wraps around a page of ``items`` (the spec spells it out each time it is used)."""
    return Object(
        properties={
            "data": Array(items=items),
            "has_more": Boolean(),
            "object": String(enum=("list",)),
            "url": String(max_length=5000),
        },
        required=frozenset(("data", "has_more", "object", "url")),
        title=title,
        nullable=nullable,
    )
