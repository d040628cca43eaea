"""The registry of Stripe API versions this package models: the only importer of ``schema/v*`` modules.

Everything else (the client, validation, rules, the fake, the plugin, the command line) asks this module for a
version's schema: ``get("2022-08-01")``, ``resolve(stripe_version_header)``, or ``DEFAULT`` for the default one.
Adding a version means generating its modules, registering it here with ``ApiVersion.from_module`` and
gating the rules that differ (``ApiVersion.gates``); docs/contributing.md walks through it.

``types`` is the TypedDict module of the default version, for static typing: mypy needs a module it can read,
so the client's signatures name it through here rather than a version module of their own choosing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import NamedTuple

from pytest_checkout.schema import nodes
from pytest_checkout.schema import v2022_08_01 as _v2022_08_01
from pytest_checkout.schema import v2022_08_01_types as types
from pytest_checkout.schema.operations import Operation

__all__ = [
    "API_VERSION",
    "DEFAULT",
    "ApiVersion",
    "Resolved",
    "all_versions",
    "get",
    "register",
    "resolve",
    "types",
]


@dataclass(frozen=True)
class ApiVersion:
    """One modelled API version: its name, operations and response schemas, and the behaviours it gates."""

    name: str
    operations: Mapping[str, Operation]
    checkout_session: nodes.Object
    item: nodes.Object
    price: nodes.Object
    components: Mapping[str, nodes.Node]
    resources: Mapping[str, nodes.Node]
    #: Names of behaviours that differ between versions and that this one has (``rules`` asks ``has``).
    gates: frozenset[str] = frozenset()
    #: The session fields that ``expand[]`` may name, read off the schema (``Expandable`` nodes and lists).
    session_expandable: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        expandable = {
            name
            for name, node in self.checkout_session.properties.items()
            if isinstance(node, nodes.Expandable) or _is_list(node)
        }
        object.__setattr__(self, "session_expandable", frozenset(expandable))

    @property
    def create_params(self) -> nodes.Object:
        """The parameters of ``POST /v1/checkout/sessions``."""
        return self.operations["create"].params

    def __repr__(self) -> str:
        return f"ApiVersion({self.name!r})"

    def has(self, gate: str) -> bool:
        """Whether this version has the behaviour ``gate``."""
        return gate in self.gates

    @classmethod
    def from_module(cls, module: ModuleType, *, gates: frozenset[str] = frozenset()) -> ApiVersion:
        """A version from its generated schema module (the names every generated module defines)."""
        return cls(
            name=module.API_VERSION,
            operations=MappingProxyType(dict(module.OPERATIONS)),
            checkout_session=module.CHECKOUT_SESSION,
            item=module.ITEM,
            price=module.PRICE,
            components=MappingProxyType(dict(module.COMPONENTS)),
            resources=MappingProxyType(dict(module.RESOURCES)),
            gates=gates,
        )


def _is_list(node: nodes.Node) -> bool:
    # An expandable list (``line_items``): an object of the list envelope, absent unless expanded.
    if not isinstance(node, nodes.Object):
        return False
    kind = node.properties.get("object")
    return isinstance(kind, nodes.String) and kind.enum == ("list",)


class Resolved(NamedTuple):
    """What a ``Stripe-Version`` header resolves to: the version that answers, and whether it is the one asked."""

    version: ApiVersion
    exact: bool


_REGISTRY: dict[str, ApiVersion] = {}
# Header -> its resolution, filled as requests arrive (emptied when a version is registered).
_RESOLVED: dict[str, Resolved] = {}


def register(version: ApiVersion) -> ApiVersion:
    """Add a version to the registry; a name registered twice is refused."""
    if version.name in _REGISTRY:
        raise ValueError(f"API version {version.name} is registered already")
    _REGISTRY[version.name] = version
    _RESOLVED.clear()
    return version


#: The default version (2022-08-01), the one answered when a request pins none (or one not modelled).
DEFAULT: ApiVersion = register(ApiVersion.from_module(_v2022_08_01))
#: Its name.
API_VERSION: str = DEFAULT.name


def get(name: str) -> ApiVersion:
    """The registered version called ``name``; ``KeyError`` naming the registered ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"API version {name!r} is not modelled; registered: {known}") from None


def all_versions() -> tuple[ApiVersion, ...]:
    """Every registered version, oldest first."""
    return tuple(_REGISTRY[name] for name in sorted(_REGISTRY))


def resolve(stripe_version: str | None) -> Resolved:
    """The version that answers a request with this ``Stripe-Version`` header (``None``: none was sent).

    An exact match answers as itself. Otherwise the newest registered version dated no later than the one asked
    for answers (Stripe's dated releases order by their ``YYYY-MM-DD`` prefix); a version older than every
    registered one, or a header that is not a dated version, gets the default. ``exact`` tells them apart, so the
    fake can warn that a pinned version is answered in another's shape.
    """
    if not stripe_version:
        return Resolved(DEFAULT, True)
    cached = _RESOLVED.get(stripe_version)
    if cached is not None:
        return cached
    resolved = _resolve(stripe_version)
    if len(_RESOLVED) < 1024:  # every request names its version: resolve each header once
        _RESOLVED[stripe_version] = resolved
    return resolved


def _resolve(stripe_version: str) -> Resolved:
    found = _REGISTRY.get(stripe_version)
    if found is not None:
        return Resolved(found, True)
    date = stripe_version[:10]
    earlier = [v for v in all_versions() if v.name[:10] <= date] if _is_date(date) else []
    return Resolved(earlier[-1] if earlier else DEFAULT, False)


def _is_date(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 3 and all(p.isdigit() for p in parts) and [len(p) for p in parts] == [4, 2, 2]
