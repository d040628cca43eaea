"""The registry of API versions: the one place that knows the versioned schema modules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_checkout import versions

PACKAGE = Path(versions.__file__).resolve().parent
VERSION_MODULE = re.compile(r"schema(\.|\s+import\s+)v\d{4}_\d{2}_\d{2}")


def test_only_the_registry_imports_a_versioned_schema_module():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "versions.py" or path.parent.name == "schema":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith(("import ", "from ")) and VERSION_MODULE.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_default_is_the_seeds_version_and_today_s_is_registered_beside_it():
    assert versions.DEFAULT.name == versions.API_VERSION == "2022-08-01"
    assert versions.get("2022-08-01") is versions.DEFAULT
    assert versions.TODAY.name == "2026-10-28.endive"
    assert versions.all_versions() == (versions.DEFAULT, versions.TODAY)


def test_an_unknown_name_is_a_key_error_naming_the_registered_ones():
    with pytest.raises(KeyError, match=r"'2019-01-01' is not modelled; registered: 2022-08-01, 2026-10-28.endive"):
        versions.get("2019-01-01")


def test_a_version_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered already"):
        versions.register(versions.DEFAULT)


@pytest.mark.parametrize(
    ("header", "answered_as", "exact"),
    [
        (None, "2022-08-01", True),  # no header: the account's default
        ("", "2022-08-01", True),
        ("2022-08-01", "2022-08-01", True),
        ("2026-10-28.endive", "2026-10-28.endive", True),  # today's SDK
        ("2026-11-17.endive", "2026-10-28.endive", False),  # newer than any modelled: the newest, warned
        ("2025-09-30.clover", "2025-09-30.clover", True),  # between: Stripe's policy (derived)
        ("2023-10-16", "2023-10-16", True),
        ("2020-08-27", "2022-08-01", False),  # older than any modelled: the oldest, warned
        ("not-a-version", "2022-08-01", False),
    ],
)
def test_resolve_places_each_header(header: str | None, answered_as: str, exact: bool):
    resolved = versions.resolve(header)
    assert resolved.version.name == answered_as
    assert resolved.exact is exact


def test_without_a_header_the_account_default_answers():
    assert versions.resolve(None, default="2026-10-28.endive").version is versions.TODAY


def test_strict_answers_a_version_between_with_the_snapshot_before_it():
    assert versions.resolve("2025-09-30.clover", strict=True) == (versions.DEFAULT, True)
    assert versions.resolve("2026-10-28.endive", strict=True).version is versions.TODAY


@pytest.mark.parametrize(
    ("pinned", "shipping_details", "currency_conversion", "ui_modes", "payment_method_types"),
    [
        ("2024-06-20", True, True, ("custom", "embedded", "hosted"), True),
        ("2025-03-31.basil", False, True, ("custom", "embedded", "hosted"), True),
        ("2025-09-30.clover", False, False, ("custom", "embedded", "hosted"), True),
        ("2026-03-25.dahlia", False, False, ("elements", "embedded_page", "form", "hosted_page"), True),
        ("2026-09-30.endive", False, False, ("elements", "embedded_page", "form", "hosted_page"), False),
    ],
)
def test_a_version_between_undoes_each_later_breaking_change(
    pinned: str,
    shipping_details: bool,
    currency_conversion: bool,
    ui_modes: tuple[str, ...],
    payment_method_types: bool,
):
    version = versions.resolve(pinned).version
    assert version.derived_from == "2026-10-28.endive"
    session, create = version.checkout_session.properties, version.create_params.properties
    assert ("shipping_details" in session) is shipping_details
    assert "collected_information" in session  # an addition: every version between has it (Stripe's policy)
    assert ("currency_conversion" in session) is currency_conversion
    assert create["ui_mode"].enum == ui_modes  # type: ignore[attr-defined]
    assert session["ui_mode"].enum == ui_modes  # type: ignore[attr-defined]
    assert ("payment_method_types" in create) is payment_method_types
    assert "allowed_payment_method_types" in create


def test_enum_renames_are_known_per_version():
    assert versions.renamed_values(versions.resolve("2025-09-30.clover").version) == {
        "ui_mode": {"hosted_page": "hosted", "embedded_page": "embedded", "elements": "custom"}
    }
    assert versions.renamed_values(versions.TODAY) == {}
    assert versions.renamed_values(versions.DEFAULT) == {}  # 2022-08-01 has no ui_mode at all


def test_the_stored_session_holds_every_field_of_every_version():
    stored = set(versions.CANONICAL_SESSION.properties)
    for version in versions.all_versions():
        assert set(version.checkout_session.properties) <= stored


def test_expandable_session_fields_come_from_the_schema():
    assert versions.DEFAULT.session_expandable == {
        "customer",
        "line_items",
        "payment_intent",
        "payment_link",
        "setup_intent",
        "subscription",
    }


def test_the_operations_are_read_only():
    with pytest.raises(TypeError):
        versions.DEFAULT.operations["create"] = versions.DEFAULT.operations["list"]  # type: ignore[index]
