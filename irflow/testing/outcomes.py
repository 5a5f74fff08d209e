"""Adverse-event facts for tests: nothing that mattered happened, or one thing changed."""

from __future__ import annotations

NO_HARM = {
    "therapy": "none",
    "care_level": "unchanged",
    "hospital_stay": "none",
    "life_threatening": "no",
    "sequelae": "none",
}


def ae_facts(**changes: str) -> dict[str, str]:
    """The facts of an event that needed nothing, with `changes` applied."""
    return NO_HARM | changes
