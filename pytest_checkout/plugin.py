"""The pytest plugin (registered through the ``pytest11`` entry point as ``checkout``)."""

from __future__ import annotations
