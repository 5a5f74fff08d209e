"""Checklist definitions: phases, required Universal Protocol items, sources."""

from __future__ import annotations

import pytest

from irflow.clinical import PHASES, checklist_items


@pytest.mark.parametrize("phase", PHASES)
def test_every_item_has_a_source(phase: str) -> None:
    items = checklist_items(phase)  # type: ignore[arg-type]
    assert items
    for item in items:
        assert item.phase == phase and item.text and item.source and item.verified


def test_time_out_is_the_universal_protocol() -> None:
    items = {i.id.rsplit(".", 1)[-1]: i for i in checklist_items("time_out")}
    assert set(items) == {
        "team",
        "patient-identity",
        "procedure",
        "side-site",
        "consent",
        "position",
        "images",
        "safety-precautions",
        "antibiotics-fluids",
    }
    assert all(i.required for i in items.values())
    assert "never the room number" in items["patient-identity"].text
    assert "Universal Protocol" in items["patient-identity"].source


def test_sign_in_carries_ir_items_as_recommended() -> None:
    items = {i.id.rsplit(".", 1)[-1]: i for i in checklist_items("sign_in")}
    assert items["consent"].required and items["site-marked"].required
    assert items["site-marked"].applies_when == "laterality or level matters"
    assert not items["labs-anticoagulation"].required
    assert "CIRSE" in items["labs-anticoagulation"].source


def test_sign_out_items() -> None:
    ids = [i.id for i in checklist_items("sign_out")]
    assert ids == [
        "checklists.sign-out.specimens-labelled",
        "checklists.sign-out.follow-up-booked",
        "checklists.sign-out.referrer-informed",
    ]


def test_unknown_phase() -> None:
    with pytest.raises(ValueError, match="Unknown checklist phase"):
        checklist_items("debrief")  # type: ignore[arg-type]
