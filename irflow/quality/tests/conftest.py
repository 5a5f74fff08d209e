"""The fixed department every quality figure is worked out on by hand."""

from __future__ import annotations

import pytest

from irflow.testing.fixtures import make_user
from irflow.testing.quality import quality_world


@pytest.fixture
def world(personas):
    operators = {1: personas["attending"], 2: make_user("quality_op2", "physician")}
    return {**quality_world(personas["attending"], operators), "operators": operators}
