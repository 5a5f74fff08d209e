"""The catalogue's follow-up rules: a completed procedure's tasks, created once, with their
owner and window, appear on the due-and-overdue worklist on the day they fall due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry

from irflow.accounts.actors import SYSTEM
from irflow.followup.models import FollowUpTask
from irflow.followup.rules import followup_rules_apply
from irflow.followup.selectors import followups_due
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def ablation(attending, patient, angio_room):
    return completed(
        attending,
        booked(attending, patient, angio_room, code="ABL-LIV", start=past_weekday_at(9)),
    )


def test_each_rule_of_the_catalogue_entry_becomes_one_task(attending, ablation):
    day = ablation.ended_at.date()
    tasks = {t.kind: t for t in FollowUpTask.objects.filter(order=ablation.order)}
    assert set(tasks) == {"imaging", "clinic"}
    imaging = tasks["imaging"]
    assert imaging.description == "Contrast CT or MRI one month after ablation"
    assert imaging.due_date == day + timedelta(days=30)
    assert imaging.window_start == day + timedelta(days=23)
    assert imaging.owner == attending
    assert (
        followup_rules_apply(actor=SYSTEM, procedure_id=ablation.pk) == []
    )  # applied again: nothing new
    assert FollowUpTask.objects.filter(order=ablation.order).count() == 2


def test_the_rules_tasks_are_the_systems_not_the_operators(ablation):
    for task in FollowUpTask.objects.filter(order=ablation.order):
        assert task.created_by is None
        entry = LogEntry.objects.get_for_object(task).get()
        assert entry.actor is None and entry.actor_email == "system"


def test_the_worklist_shows_tasks_when_due_and_overdue(client, attending, ablation):
    day = ablation.ended_at.date()

    def listed(on):
        return [(d.task.kind, d.overdue) for d in followups_due(actor=attending, on=on)]

    assert listed(day + timedelta(days=22)) == []
    assert listed(day + timedelta(days=23)) == [("imaging", False)]
    assert listed(day + timedelta(days=31)) == [("imaging", True)]
    assert listed(day + timedelta(days=43)) == [("imaging", True), ("clinic", True)]
    login(client, attending)
    page = client.get("/followup/").content.decode()
    assert "Follow-up due and overdue" in page
