"""Requests one after another on one pynetdicom association: none loses its answer."""

from __future__ import annotations

import sys

import pytest
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from irflow.dicomserver.scu import _parked, hold_reactor
from irflow.dicomserver.tests.test_listener_robustness import station_query, worklist  # noqa: F401

pytestmark = pytest.mark.e2e


def test_hold_reactor_returns_with_the_reactor_parked(associate):
    assoc = associate().association
    for _ in range(50):
        hold_reactor(assoc)
        assert _parked(sys._current_frames()[assoc.ident])
        assert not assoc._reactor_checkpoint.is_set()
        assoc._reactor_checkpoint.set()  # what each send_* does when it has its answer


def test_a_find_then_echoes_on_one_association(worklist, associate):  # noqa: F811
    assoc = associate()
    for round_ in range(40):
        answers = list(assoc.send_c_find(station_query("STN01"), ModalityWorklistInformationFind))
        assert answers[-1][0].Status == 0x0000, round_
        assert assoc.send_c_echo().Status == 0x0000, round_
