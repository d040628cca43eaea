"""Typed views of the objects Stripe answers with: a base for generated classes, and ``ListObject``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

__all__ = ["ListObject", "StripeObject"]

T = TypeVar("T", bound="StripeObject")
S = TypeVar("S", bound="StripeObject")


@dataclass(frozen=True)
class StripeObject:
    """A response object with one typed attribute per field; ``to_dict()`` gives the JSON it came from.

    Fields the answer leaves out are ``None``; fields this API version does not know (an answer recorded on a
    newer version, say) are kept in ``to_dict()`` rather than dropped or refused.
    """

    OBJECT_NAME: ClassVar[str] = ""
    #: Fields holding a ``list`` object, and the class of its items.
    LISTS: ClassVar[dict[str, type[StripeObject]]] = {}

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any]) -> S:
        """Build from the decoded JSON of an answer."""
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict needs a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            if not item.init:
                continue
            value = data.get(item.name)
            item_class = cls.LISTS.get(item.name)
            if item_class is not None and isinstance(value, Mapping):
                value = ListObject.from_dict(value, item_class)
            values[item.name] = value
        obj = cls(**values)
        object.__setattr__(obj, "_raw", dict(data))
        return obj

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this was built from (a copy)."""
        raw: dict[str, Any] = getattr(self, "_raw", None) or {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self)
        }
        return dict(raw)

    def __getitem__(self, key: str) -> Any:
        """Subscript access, as in the official SDK: ``session["id"]``."""
        return self.to_dict()[key]


@dataclass
class ListObject(Generic[T]):
    """A page of a list; ``auto_paging_iter()`` walks every page after it."""

    data: list[T]
    has_more: bool
    url: str
    object: str = "list"
    #: Fetches the next page given ``starting_after``; set by the client that got this page.
    next_page: Callable[[str], ListObject[T]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], item_class: type[T]) -> ListObject[T]:
        """Build a page from the decoded JSON of a ``list`` object."""
        items = data.get("data")
        if not isinstance(items, list):
            raise TypeError("a list object needs a 'data' array")
        return cls(
            data=[item_class.from_dict(i) for i in items],
            has_more=bool(data.get("has_more")),
            url=str(data.get("url", "")),
        )

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item of this page and of the pages after it, fetched as they are reached."""
        page: ListObject[T] = self
        while True:
            yield from page.data
            if not page.has_more or not page.data or page.next_page is None:
                return
            last_id = getattr(page.data[-1], "id", None)
            if not isinstance(last_id, str):
                return
            page = page.next_page(last_id)
