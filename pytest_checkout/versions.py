"""The registry of Stripe API versions this package models: the only importer of ``schema/v*`` modules.

Everything else (the client, validation, rules, the fake, the plugin, the command line) asks this module for a
version's schema: ``get("2022-08-01")``, ``resolve(stripe_version_header)``, or ``DEFAULT`` for the default one.
Adding a version means generating its modules, registering it here with ``ApiVersion.from_module`` and
gating the rules that differ (``ApiVersion.gates``); docs/contributing.md walks through it.

Two versions are registered: 2022-08-01 (the seed's, from Stripe's spec) and 2026-10-28.endive (stripe
16.1.0's, from the SDK's modules). A request that pins a dated version between them is answered as Stripe
says it answers one (docs.stripe.com/upgrades): today's parameters and fields, with each breaking change to
Checkout Sessions since that date undone (:data:`CHANGES`). Unverified: that additions of the monthly releases
since 2024-09-30.acacia reach requests pinned to older versions; Stripe's stated policy says additive changes
do, and no source was found either way.

``types`` is the TypedDict module of the default version, for static typing: mypy needs a module it can read,
so the client's signatures name it through here rather than a version module of their own choosing;
``today_types`` is today's (2026-10-28.endive), for what only today's API has (the update endpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, ModuleType
from typing import NamedTuple

from pytest_checkout.schema import nodes
from pytest_checkout.schema import v2022_08_01 as _v2022_08_01
from pytest_checkout.schema import v2022_08_01_types as types
from pytest_checkout.schema import v2026_10_28_endive as _v2026_10_28_endive
from pytest_checkout.schema import v2026_10_28_endive_types as today_types
from pytest_checkout.schema.operations import Operation

__all__ = [
    "API_VERSION",
    "CANONICAL_ITEM",
    "CANONICAL_SESSION",
    "CHANGES",
    "DEFAULT",
    "TODAY",
    "TODAYS_NAMES",
    "UI_MODE_RENAMES",
    "ApiVersion",
    "Change",
    "Resolved",
    "all_operations",
    "all_versions",
    "derive",
    "get",
    "register",
    "renamed_values",
    "resolve",
    "today_types",
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
    #: For a version answered by Stripe's policy rather than a snapshot: the registered one it is derived from.
    derived_from: str | None = None
    #: Per operation, the free-string parameters no length limit is known for (generated from a source without
    #: limits: today's SDK); empty for a version generated from Stripe's spec, which has them all.
    open_limits: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
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

    @property
    def date(self) -> str:
        """The version's release date, ``YYYY-MM-DD``: what orders versions."""
        return self.name[:10]

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
            open_limits=MappingProxyType(dict(getattr(module, "OPEN_LIMITS", {}))),
        )


def _is_list(node: nodes.Node) -> bool:
    # An expandable list (``line_items``): an object of the list envelope, absent unless expanded.
    if not isinstance(node, nodes.Object):
        return False
    kind = node.properties.get("object")
    return isinstance(kind, nodes.String) and kind.enum == ("list",)


class Resolved(NamedTuple):
    """What a ``Stripe-Version`` header resolves to: the version that answers, and whether the fake places it.

    ``exact`` is true when the fake answers the version asked for: a registered one, or a dated version between
    the registered ones (answered by Stripe's policy, :func:`derive`). It is false for a version the fake can
    not place (older than every registered one, newer than all, or not a dated version at all): the fake then
    answers in another version's shape, and warns.
    """

    version: ApiVersion
    exact: bool


_REGISTRY: dict[str, ApiVersion] = {}
# (header, default, strict) -> its resolution, filled as requests arrive (emptied when a version is registered).
_RESOLVED: dict[tuple[str, str, bool], Resolved] = {}


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


# -- breaking changes since 2022-08-01 --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A breaking change to Checkout Sessions: the version that made it, and what a version before it has instead.

    ``gate`` is the behaviour's name (``ApiVersion.has``); a version has it from ``since`` on. The schema of a
    version before ``since`` is today's with ``older_params`` and ``older_session`` applied; the values of a
    session are rendered for it with ``older_values``, and the params it sends read with ``newer_params``.
    """

    since: str
    gate: str
    what: str
    older_params: Mapping[str, nodes.Node | None] = field(default_factory=dict)
    older_session: Mapping[str, nodes.Node | None] = field(default_factory=dict)
    #: Values of enum fields renamed by the change: today's value -> the older one (params and session alike).
    renamed_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_OLD_CREATE = _v2022_08_01.CREATE_PARAMS.properties
_OLD_SESSION = _v2022_08_01.CHECKOUT_SESSION.properties
#: ``ui_mode`` values renamed by 2026-03-25.dahlia: today's name -> the one before.
UI_MODE_RENAMES = {"hosted_page": "hosted", "embedded_page": "embedded", "elements": "custom"}


def _ui_mode(node: nodes.Node) -> nodes.Node:
    assert isinstance(node, nodes.String)
    assert node.enum is not None
    return nodes.String(
        enum=tuple(UI_MODE_RENAMES[v] for v in node.enum if v in UI_MODE_RENAMES),
        nullable=node.nullable,
    )


#: Breaking changes to Checkout Sessions since 2022-08-01, oldest first (each from a Stripe changelog entry).
CHANGES: tuple[Change, ...] = (
    Change(
        since="2025-03-31.basil",
        gate="collected_shipping_details",
        what="shipping_details left the session for collected_information.shipping_details",
        older_session={"shipping_details": _OLD_SESSION["shipping_details"]},
    ),
    Change(
        since="2025-09-30.clover",
        gate="no_currency_conversion",
        what="currency_conversion left the session (presentment_details instead)",
        # The fake has no currency conversion: the field is null on every session it answers before clover.
        older_session={"currency_conversion": nodes.Object(title="currency_conversion", nullable=True)},
    ),
    Change(
        since="2026-03-25.dahlia",
        gate="ui_mode_page_names",
        what="ui_mode values renamed: hosted -> hosted_page, embedded -> embedded_page, custom -> elements; form new",
        older_params={"ui_mode": _ui_mode(_v2026_10_28_endive.CREATE_PARAMS.properties["ui_mode"])},
        older_session={"ui_mode": _ui_mode(_v2026_10_28_endive.CHECKOUT_SESSION.properties["ui_mode"])},
        renamed_values={"ui_mode": UI_MODE_RENAMES},
    ),
    Change(
        since="2026-09-30.endive",
        gate="allowed_payment_method_types",
        what="the payment_method_types create param removed (allowed_payment_method_types instead)",
        older_params={"payment_method_types": _OLD_CREATE["payment_method_types"]},
    ),
)

#: Per field, an older name of an enum value -> today's (the renames of CHANGES read back), whatever the version.
TODAYS_NAMES: Mapping[str, Mapping[str, str]] = {
    key: {old: new for new, old in names.items()} for change in CHANGES for key, names in change.renamed_values.items()
}

#: Today's version (stripe 16.1.0's), with every change above.
TODAY: ApiVersion = register(
    ApiVersion.from_module(_v2026_10_28_endive, gates=frozenset(change.gate for change in CHANGES))
)


def _canonical(of: Callable[[ApiVersion], nodes.Object]) -> nodes.Object:
    """What the fake stores of an object: every field any registered version answers with (nodes.merge)."""
    merged: nodes.Node = of(DEFAULT)
    for version in _REGISTRY.values():
        if version is not DEFAULT:
            merged = nodes.merge(of(version), merged)
    assert isinstance(merged, nodes.Object)
    return merged


#: What a stored session holds: every field any registered version answers with.
CANONICAL_SESSION: nodes.Object = _canonical(lambda version: version.checkout_session)
#: What a stored line item holds, likewise (today's adds ``adjustable_quantity`` and ``metadata``).
CANONICAL_ITEM: nodes.Object = _canonical(lambda version: version.item)


def get(name: str) -> ApiVersion:
    """The registered version called ``name``; ``KeyError`` naming the registered ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"API version {name!r} is not modelled; registered: {known}") from None


def all_versions() -> tuple[ApiVersion, ...]:
    """Every registered version, oldest first."""
    return tuple(sorted(_REGISTRY.values(), key=lambda v: v.name))


def derive(name: str) -> ApiVersion:
    """The version ``name`` (dated, not registered) as Stripe's policy answers it: the newest registered version
    after it, with every change of :data:`CHANGES` made after ``name`` undone."""
    date = name[:10]
    base = next((v for v in all_versions() if v.date > date), None)
    if base is None or not _is_date(date):
        raise ValueError(f"{name!r} is not a dated version before the newest registered one")
    undone = [c for c in CHANGES if c.since[:10] > date and c.gate in base.gates]
    create = base.create_params
    session = base.checkout_session
    for change in reversed(undone):
        create = _with_properties(create, change.older_params)
        session = _with_properties(session, change.older_session)
    operations = dict(base.operations)
    operations["create"] = replace(base.operations["create"], params=create)
    for key in ("retrieve", "expire", "update"):
        if key in operations:
            operations[key] = replace(operations[key], answer=session)
    return replace(
        base,
        name=name,
        operations=MappingProxyType(operations),
        checkout_session=session,
        gates=base.gates - {c.gate for c in undone},
        derived_from=base.name,
    )


def _with_properties(node: nodes.Object, changed: Mapping[str, nodes.Node | None]) -> nodes.Object:
    if not changed:
        return node
    properties = dict(node.properties)
    for key, value in changed.items():
        if value is None:
            properties.pop(key, None)
        else:
            properties[key] = value
    return replace(node, properties=properties, required=node.required & properties.keys())


def renamed_values(version: ApiVersion) -> dict[str, dict[str, str]]:
    """Per field, today's values -> what ``version`` calls them (the enum renames it has not had yet)."""
    cached = _RENAMED.get(version.name)
    if cached is None:
        cached = {}
        for change in CHANGES:
            if version.has(change.gate):
                continue
            for key, names in change.renamed_values.items():
                if key in version.checkout_session.properties:
                    cached.setdefault(key, {}).update(names)
        _RENAMED[version.name] = cached
    return cached


_RENAMED: dict[str, dict[str, dict[str, str]]] = {}


def all_operations() -> dict[str, Operation]:
    """Every operation of any registered version, by name (the routes the fake knows)."""
    out: dict[str, Operation] = {}
    for version in all_versions():
        for name, operation in version.operations.items():
            out.setdefault(name, operation)
    return out


def resolve(stripe_version: str | None, *, default: str | None = None, strict: bool = False) -> Resolved:
    """The version that answers a request with this ``Stripe-Version`` header (``None``: none was sent).

    ``default``: the account's default version, answered when the header is absent (2022-08-01 unless given).
    A registered version answers as itself. A dated version between the registered ones answers as Stripe's
    policy says (:func:`derive`); with ``strict``, as the newest registered snapshot not after it instead, so
    that a test proves its code uses nothing newer than that snapshot. A version older than every registered
    one, newer than all, or not dated, can not be placed: the nearest (or the default) answers, ``exact`` false.
    """
    key = (stripe_version or "", default or "", strict)
    cached = _RESOLVED.get(key)
    if cached is not None:
        return cached
    resolved = _resolve(stripe_version, default, strict)
    if len(_RESOLVED) < 1024:  # every request names its version: resolve each header once
        _RESOLVED[key] = resolved
    return resolved


def _resolve(stripe_version: str | None, default: str | None, strict: bool) -> Resolved:
    if not stripe_version:
        return Resolved(get(default) if default else DEFAULT, True)
    found = _REGISTRY.get(stripe_version)
    if found is not None:
        return Resolved(found, True)
    date = stripe_version[:10]
    if not _is_date(date):
        return Resolved(get(default) if default else DEFAULT, False)
    registered = all_versions()
    if date < registered[0].date:
        return Resolved(registered[0], False)
    if date >= registered[-1].date:
        # Newer than the newest modelled (or a later release of its month): answered as the newest.
        return Resolved(registered[-1], date == registered[-1].date)
    if strict:
        return Resolved([v for v in registered if v.date <= date][-1], True)
    return Resolved(derive(stripe_version), True)


def _is_date(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 3 and all(p.isdigit() for p in parts) and [len(p) for p in parts] == [4, 2, 2]
