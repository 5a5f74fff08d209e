"""Sign-in, time-out and sign-out: order, required items, the team, readiness, immutability."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from django.urls import reverse

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.checklists import services
from irflow.checklists.models import MSG_IMMUTABLE, ChecklistRecord
from irflow.clinical import checklist_items
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.readiness.models import ReadinessSnapshot, SnapshotKind
from irflow.readiness.services import finding_acknowledge
from irflow.readiness.tests.helpers import booking_for, lab, nearly_ready
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def required(phase: str) -> list[str]:
    return [i.id for i in checklist_items(phase) if i.required]


def sign_in(actor, booking):
    return services.checklist_complete(
        actor=actor, booking_id=booking.pk, phase="sign_in", done=required("sign_in")
    )


def time_out(actor, booking, present):
    return services.checklist_complete(
        actor=actor,
        booking_id=booking.pk,
        phase="time_out",
        done=required("time_out"),
        present=[u.pk for u in present],
    )


def test_phases_go_in_order_and_need_their_required_items(personas, patient):
    nurse, attending = personas["nurse"], personas["attending"]
    booking = nearly_ready(attending, patient)
    with pytest.raises(Conflict) as exc:
        time_out(nurse, booking, [nurse, attending])
    assert exc.value.message == services.MSG_PREVIOUS_FIRST.format(previous="sign-in")
    with pytest.raises(ValidationFailed) as exc:
        services.checklist_complete(
            actor=nurse, booking_id=booking.pk, phase="sign_in", done=required("sign_in")[1:]
        )
    assert "Patient identity confirmed" in exc.value.errors["done"][0]
    # Only conditional items may be "not applicable".
    with pytest.raises(ValidationFailed) as exc:
        services.checklist_complete(
            actor=nurse,
            booking_id=booking.pk,
            phase="sign_in",
            done=required("sign_in")[1:],
            not_applicable=["checklists.sign-in.patient-identity"],
        )
    assert "not_applicable" in exc.value.errors
    record = services.checklist_complete(
        actor=nurse,
        booking_id=booking.pk,
        phase="sign_in",
        done=[i for i in required("sign_in") if not i.endswith("site-marked")],
        not_applicable=["checklists.sign-in.site-marked"],
    )
    answers = {i["id"]: i["answer"] for i in record.items}
    assert answers["checklists.sign-in.site-marked"] == "not_applicable"
    assert answers["checklists.sign-in.fasting"] == "not_done"  # recommended, not required
    assert all(i["source"] and i["confidence"] for i in record.items)


def test_sign_in_keeps_the_readiness_snapshot(personas, patient):
    booking = nearly_ready(personas["attending"], patient)
    sign_in(personas["nurse"], booking)
    snap = ReadinessSnapshot.objects.get(booking=booking, kind=SnapshotKind.SIGN_IN)
    assert snap.effective_state == "not_ready"
    assert snap.created_by == personas["nurse"]


def test_time_out_waits_for_open_findings_and_records_the_team(personas, patient):
    nurse, attending, tech = personas["nurse"], personas["attending"], personas["technologist"]
    booking = nearly_ready(attending, patient)
    sign_in(nurse, booking)
    with pytest.raises(ValidationFailed) as exc:
        time_out(tech, booking, [tech])
    assert exc.value.errors["present"] == [services.MSG_TEAM_PRESENT.format(count=2)]
    with pytest.raises(Conflict) as exc:
        time_out(tech, booking, [tech, attending, nurse])
    assert exc.value.code == "open_findings" and "sir-2019.inr.high-risk" in exc.value.message
    finding_acknowledge(
        actor=attending,
        booking_id=booking.pk,
        rule_id="sir-2019.inr.high-risk",
        reason="Point-of-care INR 1.1 in the room.",
    )
    record = time_out(tech, booking, [tech, attending, nurse])
    assert {m["user_id"] for m in record.present} == {tech.pk, attending.pk, nurse.pk}
    assert record.readiness_state == "needs_review"
    assert record.completed_by == tech


def test_an_emergent_time_out_is_flagged_not_blocked(personas, patient):
    nurse, attending = personas["nurse"], personas["attending"]
    booking = booking_for(attending, patient, priority="emergent")
    sign_in(nurse, booking)
    record = time_out(nurse, booking, [nurse, attending])
    assert record.emergent
    assert {f["rule_id"] for f in record.open_findings} >= {"sir-2019.inr.high-risk"}


def test_a_completed_checklist_cannot_change_by_any_entry_point(client, personas, patient):
    nurse, attending = personas["nurse"], personas["attending"]
    booking = nearly_ready(attending, patient)
    lab(attending, patient, "inr", "1.0")
    record = sign_in(nurse, booking)
    # Service: a second completion is refused.
    with pytest.raises(Conflict) as exc:
        sign_in(attending, booking)
    assert exc.value.code == "already_completed"
    # Model: save, delete and bulk update are refused.
    record.note = "changed"
    with pytest.raises(Conflict) as exc:
        record.save()
    assert exc.value.message == MSG_IMMUTABLE
    with pytest.raises(Conflict):
        record.delete()
    with pytest.raises(Conflict):
        ChecklistRecord.objects.filter(pk=record.pk).update(note="changed")
    with pytest.raises(Conflict):
        ChecklistRecord.objects.filter(pk=record.pk).delete()
    # Admin: read-only for everyone, superusers included.
    request = RequestFactory().get("/")
    request.user = personas["admin"]
    request.user.is_superuser = True
    model_admin = admin_site._registry[ChecklistRecord]
    assert not model_admin.has_change_permission(request, record)
    assert not model_admin.has_delete_permission(request, record)
    assert not model_admin.has_add_permission(request)
    # API: no route edits a record; posting the phase again is a conflict.
    token = api_token_create(actor=SYSTEM, user_id=attending.pk, name="t")[1]
    url = f"/api/checklists/bookings/{booking.pk}"
    headers = {"authorization": f"Bearer {token}"}
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.generic(method, url, headers=headers).status_code == 405
    body = json.dumps({"phase": "sign_in", "done": required("sign_in")})
    response = client.post(url, body, content_type="application/json", headers=headers)
    assert response.status_code == 409
    # Web: posting the completed phase again changes nothing.
    login(client, nurse)
    response = client.post(
        reverse("checklists-phase", args=[booking.pk, "sign_in"]),
        {"done": required("sign_in"), "note": "again"},
    )
    assert response.status_code == 422
    kept = ChecklistRecord.objects.get(pk=record.pk)
    assert kept.note == "" and kept.completed_by == nurse


def test_who_may_complete(personas, patient):
    booking = nearly_ready(personas["attending"], patient)
    for name in ("scheduler", "referrer", "admin", "qi_lead"):
        with pytest.raises(Forbidden):
            sign_in(personas[name], booking)


def test_checklist_pages_keyboard_flow(client, personas, patient):
    nurse = personas["nurse"]
    booking = nearly_ready(personas["attending"], patient)
    lab(nurse, patient, "inr", "1.0")
    login(client, nurse)
    page = client.get(reverse("checklists-phase", args=[booking.pk, "sign_in"]))
    html = page.content.decode()
    assert html.count('type="checkbox" name="done"') == len(checklist_items("sign_in"))
    assert "autofocus" in html and "Complete sign-in" in html
    response = client.post(
        reverse("checklists-phase", args=[booking.pk, "sign_in"]), {"done": required("sign_in")}
    )
    assert response.status_code == 302
    overview = client.get(reverse("checklists-booking", args=[booking.pk])).content.decode()
    assert "Completed" in overview and "Start time-out" in overview


def test_checklist_page_answers_404_for_a_missing_booking_and_403_for_a_role_that_may_not(
    client, personas, patient
):
    booking = nearly_ready(personas["attending"], patient)
    url = reverse("checklists-phase", args=[booking.pk, "sign_in"])
    done = {"done": required("sign_in")}
    login(client, personas["nurse"])
    missing = reverse("checklists-phase", args=[booking.pk + 1000, "sign_in"])
    assert client.post(missing, done).status_code == 404

    login(client, personas["scheduler"])  # may see the checklists, not complete them
    assert client.get(url).status_code == 200
    assert client.post(url, done).status_code == 403
    assert not ChecklistRecord.objects.filter(booking=booking).exists()


def test_a_refused_checklist_keeps_the_ticks_and_the_note_and_says_everything(
    client, personas, patient
):
    nurse = personas["nurse"]
    booking = nearly_ready(personas["attending"], patient)
    lab(nurse, patient, "inr", "1.0")
    login(client, nurse)
    ticked = required("sign_in")[:1]
    response = client.post(
        reverse("checklists-phase", args=[booking.pk, "sign_in"]),
        {"done": [*ticked, "no_such_item"], "note": "Interpreter on the phone"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Interpreter on the phone"' in html
    assert f'value="{ticked[0]}" checked' in html
    # Both problems with the items, not only the last one found.
    assert services.MSG_UNKNOWN_ITEMS.format(items="no_such_item") in html
    assert "Confirm every required item" in html
    assert not ChecklistRecord.objects.filter(booking=booking).exists()
