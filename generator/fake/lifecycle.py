"""Fulfillment lifecycle rules, shared by both styles. Pure functions over canonical states.

Canonical states are the Quickstart names; `V1_STATES` maps them to the v1 spelling.
"""

from __future__ import annotations

from typing import Final

FIRST: Final = "accepted"
BOOKED: Final = "booked"
CANCELED: Final = "canceled"
#: the forward path; `canceled` may be reached from any state before the end of it
ORDER: Final = ("accepted", "booked", "sent_to_billing", "complete")
TERMINAL: Final = frozenset({"complete", "canceled"})
STATES: Final = (*ORDER, CANCELED)

V1_STATES: Final = {
    "accepted": "Executing",
    "booked": "Booked",
    "sent_to_billing": "SentToBilling",
    "complete": "Complete",
    "canceled": "Cancelled",
}
FROM_V1_STATES: Final = {v: k for k, v in V1_STATES.items()}


def transition_problem(current: str, wanted: str) -> str | None:
    """Why `current -> wanted` is refused (None when allowed). Same state is no transition."""
    if wanted not in STATES:
        return f"unknown state {wanted!r}"
    if wanted == current:
        return None
    if current in TERMINAL:
        return f"a fulfillment in state {current!r} cannot change state"
    if wanted == CANCELED:
        return None
    if ORDER.index(wanted) < ORDER.index(current):
        return f"state moves forward only: {current!r} cannot go back to {wanted!r}"
    return None


def edit_problem(current: str, *, allow_edit_booked: bool = False) -> str | None:
    """Why fields other than `state` cannot be edited in `current` (None when they can)."""
    if current == FIRST or (allow_edit_booked and current == BOOKED):
        return None
    where = f"{FIRST!r} or {BOOKED!r}" if allow_edit_booked else f"{FIRST!r}"
    return f"only a fulfillment in state {where} can be edited; this one is {current!r}"


def delete_problem(current: str) -> str | None:
    """Why a fulfillment in `current` cannot be deleted (None when it can)."""
    if current == FIRST:
        return None
    return f"only a fulfillment in state {FIRST!r} can be deleted; this one is {current!r}"
