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


def test_the_default_is_the_seeds_version():
    assert versions.DEFAULT.name == versions.API_VERSION == "2022-08-01"
    assert versions.get("2022-08-01") is versions.DEFAULT
    assert versions.all_versions() == (versions.DEFAULT,)


def test_an_unknown_name_is_a_key_error_naming_the_registered_ones():
    with pytest.raises(KeyError, match=r"'2019-01-01' is not modelled; registered: 2022-08-01"):
        versions.get("2019-01-01")


def test_a_version_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered already"):
        versions.register(versions.DEFAULT)


@pytest.mark.parametrize(
    ("header", "exact"),
    [
        (None, True),
        ("", True),
        ("2022-08-01", True),
        ("2026-10-28.endive", False),  # today's SDK: answered by the newest modelled version before it
        ("2020-08-27", False),  # older than any modelled: the default
        ("not-a-version", False),
    ],
)
def test_resolve_answers_every_header_with_a_registered_version(header: str | None, exact: bool):
    resolved = versions.resolve(header)
    assert resolved.version is versions.DEFAULT
    assert resolved.exact is exact


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
