"""A patient with something of every kind on the timeline."""

from __future__ import annotations

import pytest

from irflow.testing.timeline import timeline_world


@pytest.fixture
def world(personas, patient) -> dict:
    return timeline_world(personas, patient)
