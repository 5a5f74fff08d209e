"""Reads are access-logged, writes have history, and only auditors may look at either."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def test_opening_a_chart_writes_an_access_log_entry(client, attending, patient):
    login(client, attending)
    before = AccessLog.objects.count()
    response = client.get(f"/patients/{patient.pk}/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    entry = AccessLog.objects.order_by("-id").first()
    assert AccessLog.objects.count() == before + 1
    assert (entry.user, entry.patient_id, entry.what, entry.channel, entry.remote_addr) == (
        attending,
        patient.pk,
        "chart",
        "web",
        "10.1.2.3",
    )


def test_editing_a_patient_writes_history_with_the_actor(client, nurse, patient):
    login(client, nurse)
    response = client.post(
        f"/patients/{patient.pk}/edit/",
        {
            "family_name": "Müller",
            "given_name": "Jörg",
            "birth_date": "1956-04-12",
            "sex": "M",
            "weight_kg": "79.0",
        },
    )
    assert response.status_code == 302, response.content
    entry = LogEntry.objects.filter(
        object_pk=str(patient.pk), action=LogEntry.Action.UPDATE
    ).latest("timestamp")
    assert entry.actor == nurse
    assert entry.changes_dict["weight_kg"][1] == "79.0"
    assert entry.additional_data == {"patient_id": patient.pk}


def test_auditor_sees_reads_and_changes_in_the_ui(client, personas, patient):
    attending, auditor = personas["attending"], personas["auditor"]
    login(client, attending)
    client.get(f"/patients/{patient.pk}/")
    client.post(
        f"/patients/{patient.pk}/edit/",
        {
            "family_name": "Müller",
            "given_name": "Jörg",
            "birth_date": "1956-04-12",
            "sex": "M",
            "weight_kg": "77.0",
        },
    )
    client.logout()
    login(client, auditor)
    reads = client.get("/audit/", {"view": "access", "patient_id": patient.pk})
    assert reads.status_code == 200
    text = reads.content.decode()
    assert "attending" in text and "chart" in text and "MÜLLER" in text.upper()
    changes = client.get("/audit/", {"view": "history", "patient_id": patient.pk})
    assert changes.status_code == 200
    assert "weight_kg" in changes.content.decode()
    assert "77.0" in changes.content.decode()


@pytest.mark.parametrize(
    "persona",
    ["attending", "trainee", "nurse", "technologist", "scheduler", "referrer", "qi_lead", "admin"],
)
def test_other_roles_cannot_see_the_audit_page(client, personas, persona):
    login(client, personas[persona])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/", {"view": "history"}).status_code == 403


def test_search_is_access_logged(client, attending, patient):
    login(client, attending)
    client.get("/patients/", {"q": "muller"})
    entry = AccessLog.objects.order_by("-id").first()
    assert entry.what.startswith("search “muller”") and entry.patient_id == patient.pk


@pytest.mark.parametrize("route", ["access", "history"])
@pytest.mark.parametrize("params", [{"until": "9999-12-31"}, {"since": "0001-01-01"}])
def test_audit_search_refuses_dates_out_of_range_naming_the_field(client, personas, route, params):
    # Found by the API fuzz test: the day after 9999-12-31 overflowed and answered 500.
    token = api_token_create(actor=SYSTEM, user_id=personas["auditor"].pk, name="t")[1]
    response = client.get(
        f"/api/audit/{route}", params, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == list(params)


def test_every_filter_combination_answers_on_both_views(client, personas, patient, angio_room):
    """Reads and changes of every kind of record, the checklist's `items` field among them
    (a field name a template once took for the dict's method): every combination of the
    auditor's filters answers 200 on both views, and the page shows what matched."""
    import itertools

    from irflow.testing.cases import booked, in_room, past_weekday_at

    attending, nurse = personas["attending"], personas["nurse"]
    booking = booked(attending, patient, angio_room, start=past_weekday_at(9))
    in_room(nurse, booking)  # check-in, readiness acknowledged, sign-in checklist, the room
    login(client, nurse)
    client.get(f"/patients/{patient.pk}/")
    login(client, personas["auditor"])
    day = booking.checklists.get().completed_at.date().isoformat()
    values = {
        "view": ["access", "history"],
        "username": ["", "nurse", "NURSE", "nobody"],
        "patient_id": ["", str(patient.pk), "999999"],
        "since": ["", day, "2001-01-01"],
        "until": ["", day, "2001-01-01"],
    }
    for combination in itertools.product(*values.values()):
        query = dict(zip(values, combination, strict=True))
        response = client.get("/audit/", query)
        assert response.status_code == 200, query
    history = client.get("/audit/", {"view": "history", "username": "nurse"}).content.decode()
    assert "<code>items</code>" in history  # the checklist's items, as a change
    assert (
        "No changes match."
        in client.get("/audit/", {"view": "history", "username": "nobody"}).content.decode()
    )
