"""Finding secrets in files before they are committed: cassettes, fixtures, docs.

The patterns are ``scrub.SECRET_PATTERNS``, the scrubber's own, so a file the scrubber wrote never has a
finding, while a cassette recorded without it (or edited by hand) does. A finding shows where the secret is and
what kind it is, never the secret: at most its first 8 and last 4 characters.

From the command line (and from pre-commit, as the ``pytest-checkout-scan`` hook)::

    python -m pytest_checkout scan cassettes/ [MORE PATHS...]

A directory is walked for ``*.yaml``, ``*.yml`` and ``*.json`` files; a file named on the command line is scanned
whatever its name. Exit status 1 when something is found, 0 when not, 2 for a path that does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_checkout.recording.scrub import SECRET_PATTERNS

__all__ = ["SCANNED_SUFFIXES", "Finding", "mask", "scan_paths", "scan_text"]

#: What a directory is walked for.
SCANNED_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Finding:
    """A secret in a file: ``path:line: kind: excerpt``, the excerpt masked."""

    path: str
    #: 1-based.
    line: int
    #: One of ``"secret key"``, ``"restricted key"``, ``"webhook secret"``, ``"client secret"``,
    #: ``"bearer token"``.
    kind: str
    #: The secret masked (``sk_live_...wxyz``); a bearer token keeps its scheme word (``Bearer eyJhbGci...``).
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.excerpt}"


def mask(secret: str) -> str:
    """At most the first 8 and the last 4 characters of ``secret``; fewer of a short one (the last 4 from 20 on)."""
    head = secret[: min(8, len(secret) // 2)]
    tail = secret[-4:] if len(secret) >= 20 else ""
    return f"{head}...{tail}"


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    """The secrets in ``text``, in the order they appear; ``path`` is what the findings name."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Finding]] = []
    for pattern in SECRET_PATTERNS:
        for match in pattern.regex.finditer(text):
            start, end = match.span()
            if pattern.is_placeholder(match) or any(start < e and s < end for s, e in taken):
                continue  # a placeholder, or a secret an earlier (more specific) pattern already reported
            taken.append((start, end))
            label = match.groupdict().get("label")
            excerpt = mask(match.group("secret"))
            finding = Finding(
                path, text.count("\n", 0, start) + 1, pattern.kind, f"{label} {excerpt}" if label else excerpt
            )
            found.append((start, finding))
    return [finding for _, finding in sorted(found, key=lambda pair: pair[0])]


def scan_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Finding]:
    """The secrets in the files at ``paths``, each directory walked for ``SCANNED_SUFFIXES`` (sorted).

    Raises ``FileNotFoundError`` for a path that does not exist, before anything is read.
    """
    roots = [Path(path) for path in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"no such file or directory: {root}")
    findings: list[Finding] = []
    for file in _files(roots):
        text = file.read_bytes().decode("utf-8", "replace")
        findings.extend(scan_text(text, str(file)))
    return findings


def _files(roots: list[Path]) -> Iterable[Path]:
    seen: set[Path] = set()
    for root in roots:
        if root.is_dir():
            files = sorted(
                Path(folder, name)
                for folder, _, names in os.walk(root)
                for name in names
                if name.lower().endswith(SCANNED_SUFFIXES)
            )
        else:
            files = [root]
        for file in files:
            if file not in seen:
                seen.add(file)
                yield file
