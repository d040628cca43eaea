"""The plugin's Hypothesis settings profiles, registered when pytest starts (``pytest --hypothesis-profile``).

- ``checkout-ci``: repeatable (``derandomize``), 200 examples, no deadline, a reproduction blob with each
  failure, and no ``too_slow`` health check (state machines over the fake build large examples).
- ``checkout-dev``: 20 examples, no deadline, for a quick run while writing code.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

__all__ = ["CI", "DEV", "register_profiles"]

CI = "checkout-ci"
DEV = "checkout-dev"


def register_profiles() -> None:
    """Register ``checkout-ci`` and ``checkout-dev`` (again, harmlessly, if they are there already)."""
    settings.register_profile(
        CI,
        derandomize=True,
        max_examples=200,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(DEV, max_examples=20, deadline=None)
