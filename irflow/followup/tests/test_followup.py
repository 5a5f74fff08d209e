"""Follow-up tasks: create, acknowledge (audited), complete; due list; chart and board views."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from irflow.followup import selectors, services
from irflow.followup.models import FollowUpStatus, FollowUpTask
from irflow.followup.services import (
    MSG_ALREADY_ACKNOWLEDGED,
    MSG_DESCRIPTION_REQUIRED,
    MSG_OUTCOME_REQUIRED,
    MSG_WINDOW_AFTER_DUE,
)
from irflow.lib.errors import Forbidden, InvalidTransition, ValidationFailed
from irflow.patients.models import CareRelation
from irflow.patients.services import patient_create
from irflow.testing.fixtures import login, page_with_parts

pytestmark = pytest.mark.django_db


def task(actor, patient, **overrides) -> FollowUpTask:
    today = timezone.localdate()
    values = {
        "kind": "clinic",
        "description": "Vascular clinic with ABPI",
        "window_start": today - timedelta(days=2),
        "due_date": today + timedelta(days=5),
        "owner_id": actor.pk,
    }
    values.update(overrides)
    return services.followup_create(actor=actor, patient_id=patient.pk, **values)


def test_create_validates_with_field_messages(personas, patient):
    with pytest.raises(ValidationFailed) as exc:
        services.followup_create(
            actor=personas["attending"],
            patient_id=patient.pk,
            kind="clinic",
            description=" ",
            window_start=date(2026, 2, 1),
            due_date=date(2026, 1, 1),
        )
    assert exc.value.errors == {
        "description": [MSG_DESCRIPTION_REQUIRED],
        "window_start": [MSG_WINDOW_AFTER_DUE],
    }


def test_acknowledge_then_complete_is_audited(personas, patient):
    nurse, attending = personas["nurse"], personas["attending"]
    t = task(attending, patient)

    services.followup_acknowledge(actor=attending, task_id=t.pk, note="I will see him")
    with pytest.raises(ValidationFailed) as exc:
        services.followup_acknowledge(actor=attending, task_id=t.pk)
    assert exc.value.errors == {"status": [MSG_ALREADY_ACKNOWLEDGED]}
    with pytest.raises(ValidationFailed) as exc:
        services.followup_complete(actor=nurse, task_id=t.pk, outcome="")
    assert exc.value.errors == {"outcome": [MSG_OUTCOME_REQUIRED]}
    done = services.followup_complete(actor=nurse, task_id=t.pk, outcome="ABPI 0.9, well")

    assert done.status == FollowUpStatus.DONE and done.completed_by == nurse
    ack = LogEntry.objects.get_for_object(t).filter(actor=attending, action=LogEntry.Action.UPDATE)
    assert ack.count() == 1 and "acknowledged_by" in ack.get().changes_dict
    with pytest.raises(InvalidTransition):
        services.followup_acknowledge(actor=attending, task_id=t.pk)


def test_permissions(personas, patient):
    t = task(personas["attending"], patient)

    with pytest.raises(Forbidden):
        services.followup_acknowledge(actor=personas["technologist"], task_id=t.pk)
    with pytest.raises(Forbidden):
        services.followup_complete(actor=personas["scheduler"], task_id=t.pk, outcome="x")
    with pytest.raises(Forbidden):
        selectors.followups_due(actor=personas["qi_lead"], on=timezone.localdate())


def test_due_list_has_due_and_overdue_not_future_or_done(personas, patient):
    attending = personas["attending"]
    today = timezone.localdate()
    overdue = task(attending, patient, window_start=None, due_date=today - timedelta(days=3))
    due = task(attending, patient)
    task(attending, patient, window_start=today + timedelta(days=3), due_date=today + timedelta(9))
    done = task(attending, patient, due_date=today)
    services.followup_complete(actor=attending, task_id=done.pk, outcome="seen")

    items = selectors.followups_due(actor=attending, on=today)

    assert [(i.task, i.overdue, i.days_overdue) for i in items] == [
        (overdue, True, 3),
        (due, False, 0),
    ]


def test_referrers_see_only_their_patients_tasks(personas, patient):
    attending, referrer = personas["attending"], personas["referrer"]
    other = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Other",
        given_name="Olga",
        birth_date=date(1960, 1, 1),
        sex="F",
    )
    CareRelation.objects.create(patient=patient, clinician=referrer)
    mine = task(attending, patient)
    task(attending, other)

    items = selectors.followups_due(actor=referrer, on=timezone.localdate())

    assert [i.task for i in items] == [mine]


def test_chart_shows_the_card_with_actions(client, personas, patient):
    t = task(personas["attending"], patient)

    html = page_with_parts(login(client, personas["attending"]), f"/patients/{patient.pk}/")

    assert 'id="h-followup"' in html and "Vascular clinic with ABPI" in html
    assert f"/followup/{t.pk}/acknowledge/" in html
    assert "Due now" in html


def test_chart_card_hidden_from_roles_without_follow_up(client, personas, patient):
    task(personas["attending"], patient)
    # Administrators may open patient records but do not see clinical follow-up.
    html = page_with_parts(login(client, personas["admin"]), f"/patients/{patient.pk}/")

    assert "MÜLLER" in html  # the chart itself
    assert 'id="h-followup"' not in html


def test_the_board_lists_tasks_due_today(client, personas, patient):
    task(personas["attending"], patient)

    html = login(client, personas["nurse"]).get("/scheduling/today/").content.decode()

    assert "Follow-up due today" in html and "MÜLLER" in html and "Vascular clinic" in html


def test_acknowledge_from_the_page(client, personas, patient):
    t = task(personas["attending"], patient)
    login(client, personas["attending"])

    response = client.post(f"/followup/{t.pk}/acknowledge/", {"next": f"/patients/{patient.pk}/"})

    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"
    t.refresh_from_db()
    assert t.status == FollowUpStatus.ACKNOWLEDGED


def test_due_page(client, personas, patient):
    task(personas["attending"], patient)

    page = login(client, personas["nurse"]).get("/followup/")

    assert page.status_code == 200 and "Vascular clinic with ABPI" in page.content.decode()


def test_the_task_buttons_answer_404_for_a_missing_task_and_403_for_a_role_that_may_not(
    client, personas, patient
):
    t = task(personas["attending"], patient)
    login(client, personas["attending"])
    missing = t.pk + 1000
    assert client.post(f"/followup/{missing}/acknowledge/").status_code == 404
    assert client.post(f"/followup/{missing}/complete/", {"outcome": "Well"}).status_code == 404
    login(client, personas["scheduler"])  # may see follow-up tasks, not take them on or close them
    assert client.post(f"/followup/{t.pk}/acknowledge/").status_code == 403
    assert client.post(f"/followup/{t.pk}/complete/", {"outcome": "Well"}).status_code == 403
    t.refresh_from_db()
    assert t.status == FollowUpStatus.OPEN
    # Other refusals are said on the task's form, drawn again.
    login(client, personas["nurse"])
    blank = client.post(f"/followup/{t.pk}/complete/", {"outcome": " "})
    assert blank.status_code == 422
    assert MSG_OUTCOME_REQUIRED in blank.content.decode()


def test_a_refused_outcome_keeps_what_was_typed(client, personas, patient):
    t = task(personas["attending"], patient)
    login(client, personas["nurse"])
    done = client.post(f"/followup/{t.pk}/complete/", {"outcome": "ABPI 0.9, walking well"})
    assert done.status_code == 302
    # Someone else closed it meanwhile: what this user typed is shown, not thrown away.
    again = client.post(
        f"/followup/{t.pk}/complete/",
        {"outcome": "Seen in clinic, stable", "next": f"/patients/{patient.pk}/"},
    )
    assert again.status_code == 409
    html = again.content.decode()
    assert "Seen in clinic, stable" in html and "The outcome was not recorded." in html
    t.refresh_from_db()
    assert t.outcome == "ABPI 0.9, walking well"
