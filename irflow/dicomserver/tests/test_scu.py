"""Requests one after another on one pynetdicom association: none loses its answer."""

from __future__ import annotations

import time

import pytest
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from irflow.dicomserver.scu import hold_reactor, parked
from irflow.dicomserver.tests.test_listener_robustness import station_query, worklist  # noqa: F401

pytestmark = pytest.mark.e2e


def test_hold_reactor_returns_with_the_reactor_parked(associate):
    assoc = associate().association
    for _ in range(50):
        hold_reactor(assoc)
        assert parked(assoc._reactor_checkpoint)
        assert assoc._is_paused
        assoc._reactor_checkpoint.set()  # what each send_* does when it has its answer


def test_a_reactor_woken_a_moment_ago_is_held_only_once_it_waits_again(associate):
    """The reactor, woken by the last answer, may still be leaving its wait when the next
    request starts: it must not be taken for paused then, or it takes that request's answer."""
    assoc = associate().association
    checkpoint = assoc._reactor_checkpoint
    for round_ in range(200):
        checkpoint.set()  # the previous request has its answer: the reactor wakes
        hold_reactor(assoc)
        for _ in range(20):  # it does not run again until the checkpoint is set
            assert assoc._is_paused, round_
            time.sleep(0.0001)
    checkpoint.set()


def test_a_find_then_echoes_on_one_association(worklist, associate):  # noqa: F811
    assoc = associate()
    for round_ in range(40):
        answers = list(assoc.send_c_find(station_query("STN01"), ModalityWorklistInformationFind))
        assert answers[-1][0].Status == 0x0000, round_
        assert assoc.send_c_echo().Status == 0x0000, round_
