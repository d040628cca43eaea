"""How the fake keeps stored values small: shared values, and what is worked out once per shared value."""

from __future__ import annotations

from typing import Any

from pytest_checkout.fake.shapes import once_per_shared, shared


def test_a_function_of_a_shared_value_runs_once_and_of_another_value_every_time() -> None:
    calls: list[Any] = []

    def fitted(value: Any) -> Any:
        calls.append(value)
        return {"fitted": dict(value)}

    once = once_per_shared(fitted)
    common = shared({"enabled": False, "status": "once-per-shared-test"})
    first, second = once(common), once(common)
    assert first == {"fitted": {"enabled": False, "status": "once-per-shared-test"}}
    assert second is first
    own = {"enabled": True}  # never passed to shared(): a value of one session only
    assert once(own) == once(own) == {"fitted": {"enabled": True}}
    assert once(own) is not once(own)
    assert calls == [common, own, own, own, own]


def test_equal_small_values_are_one_object_and_empty_ones_the_shared_empties() -> None:
    a, b = shared({"x": 1, "shapes-test": True}), shared({"x": 1, "shapes-test": True})
    assert a is b
    assert shared({}) is shared({})
    assert shared([]) is shared([])
    large = {"k": "v" * 500}  # too long a repr to be worth sharing
    assert shared(large) is large
