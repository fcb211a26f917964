"""The lifecycle rules as pure functions."""

from __future__ import annotations

import pytest

from generator.fake import lifecycle


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("accepted", "booked"),
        ("accepted", "complete"),
        ("booked", "sent_to_billing"),
        ("sent_to_billing", "complete"),
        ("accepted", "canceled"),
        ("sent_to_billing", "canceled"),
        ("booked", "booked"),
        ("complete", "complete"),
        ("canceled", "canceled"),
    ],
)
def test_allowed_transitions(current: str, wanted: str) -> None:
    assert lifecycle.transition_problem(current, wanted) is None


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("booked", "accepted"),
        ("complete", "sent_to_billing"),
        ("complete", "canceled"),
        ("canceled", "accepted"),
        ("canceled", "booked"),
        ("accepted", "shipped"),
    ],
)
def test_refused_transitions(current: str, wanted: str) -> None:
    assert lifecycle.transition_problem(current, wanted)


def test_edit_and_delete_rules() -> None:
    assert lifecycle.edit_problem("accepted") is None
    assert lifecycle.edit_problem("booked")
    assert lifecycle.edit_problem("booked", allow_edit_booked=True) is None
    assert lifecycle.edit_problem("sent_to_billing", allow_edit_booked=True)
    assert lifecycle.delete_problem("accepted") is None
    for state in ("booked", "sent_to_billing", "complete", "canceled"):
        assert lifecycle.delete_problem(state)


def test_v1_names_round_trip() -> None:
    assert set(lifecycle.V1_STATES) == set(lifecycle.STATES)
    for name, v1 in lifecycle.V1_STATES.items():
        assert lifecycle.FROM_V1_STATES[v1] == name
