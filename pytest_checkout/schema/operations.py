"""What an operation of the API is: its method, path, parameters and answer, as schema nodes."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_checkout.schema.nodes import Array, Boolean, Node, Object, String

__all__ = ["Operation", "list_of"]


@dataclass(frozen=True)
class Operation:
    """One endpoint: ``path`` may hold ``{session}``; ``params`` covers query and body alike."""

    name: str
    method: str
    path: str
    params: Object
    answer: Node


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
