"""The page budget's query counts (bench/pages.py times the same pages at scale): each page
and API list costs the same number of queries whether it shows 3 rows or 30, under a
ceiling. The Today board and the schedule are counted in irflow/dayofcase's own tests.

Every count includes what the request really does: session and user, permissions, the
access-log rows the read writes, the template's own queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code, answer.content[:300])
    return len(ctx.captured_queries)


def counts(client, urls: list[str]) -> dict[str, int]:
    queries(client, urls[0])  # the session's first use is not part of any page
    return {url: queries(client, url) for url in urls}


def same_for_3_and_30(client, urls: list[str], add_rows, *, ceiling: int) -> dict[str, int]:
    """Count each page with 3 rows, add 27 with `add_rows`, count again: equal and under
    `ceiling`. Returns the counts."""
    add_rows(0, 3)
    few = counts(client, urls)
    add_rows(3, 30)
    many = counts(client, urls)
    assert many == few, f"queries grow with rows: {few} → {many}"
    assert max(many.values()) <= ceiling, many
    return many


# --- patients -------------------------------------------------------------------------------


def _patients(attending, start: int, stop: int, *, family: str = "Quarry") -> list:
    from irflow.patients.services import patient_create

    return [
        patient_create(
            actor=attending,
            mrn=f"Q{i:07d}",
            family_name=family,
            given_name=f"Given{chr(65 + i % 26)}{i}",
            birth_date=date(1950, 1, 1) + timedelta(days=i),
            sex="F",
        )
        for i in range(start, stop)
    ]


def test_patient_search_by_name_and_mrn(client, personas):
    attending = personas["attending"]
    login(client, attending)
    urls = ["/patients/?q=quarr", "/api/patients?q=quarr", "/patients/?q=Q0000001"]
    same_for_3_and_30(client, urls, lambda a, b: _patients(attending, a, b), ceiling=12)


def test_patient_chart(client, personas, patient):
    """The chart with its parts (loaded by the browser on open) as 3 and 30 referrals."""
    from irflow.catalogue.models import ProcedureType
    from irflow.patients.services import care_relation_add
    from irflow.referrals.services import referral_create
    from irflow.testing.fixtures import page_with_parts

    referrer = personas["referrer"]
    care_relation_add(patient_id=patient.pk, clinician_id=referrer.pk)
    picc = ProcedureType.objects.get(code="PICC")

    def add(a: int, b: int) -> None:
        for i in range(a, b):
            referral_create(
                actor=referrer,
                patient_id=patient.pk,
                clinical_question=f"Line {i}?",
                urgency="routine",
                procedure_type=picc,
                medications=f"Drug{i} 5 mg daily",
            )

    login(client, personas["attending"])
    url = f"/patients/{patient.pk}/"

    def chart() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page_with_parts(client, url)
        return len(ctx.captured_queries)

    add(0, 3)
    chart()
    few = chart()
    add(3, 30)
    many = chart()
    assert many == few and many <= 120, (few, many)


# --- referrals ------------------------------------------------------------------------------


def _referrals(personas, start: int, stop: int) -> None:
    from irflow.catalogue.models import ProcedureType
    from irflow.patients.services import care_relation_add
    from irflow.referrals.services import referral_accept, referral_create

    referrer, attending = personas["referrer"], personas["attending"]
    picc = ProcedureType.objects.get(code="PICC")
    for patient in _patients(attending, start, stop, family="Refer"):
        care_relation_add(patient_id=patient.pk, clinician_id=referrer.pk)
        referral = referral_create(
            actor=referrer,
            patient_id=patient.pk,
            clinical_question="PICC for antibiotics?",
            urgency="urgent" if patient.pk % 2 else "routine",
            procedure_type=picc,
        )
        if patient.pk % 3 == 0:
            referral_accept(actor=attending, referral_id=referral.pk)


@pytest.mark.parametrize("role", ["referrer", "attending"])
def test_referral_lists(client, personas, role):
    login(client, personas[role])
    urls = ["/referrals/", "/api/referrals"]
    if role == "attending":
        urls += ["/referrals/triage/", "/api/referrals/queue"]
    same_for_3_and_30(client, urls, lambda a, b: _referrals(personas, a, b), ceiling=15)


# --- orders, bookings, follow-up ------------------------------------------------------------


def test_order_and_booking_lists(client, personas, angio_room):
    from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

    attending, scheduler = personas["attending"], personas["scheduler"]
    day = next_weekday_at(8, days_ahead=7)

    def add(a: int, b: int) -> None:
        for i, patient in enumerate(_patients(attending, a, b, family="Order"), start=a):
            order = make_order(attending, patient, "PICC")
            if i % 2 == 0:
                start = day + timedelta(minutes=30 * (i // 2))
                make_booking(scheduler, order, angio_room, start)

    login(client, attending)
    urls = [
        "/api/orders",
        "/api/orders?to_book=true",
        f"/api/scheduling/bookings?date={day.date()}",
    ]
    same_for_3_and_30(client, urls, add, ceiling=12)


def test_followup_due(client, personas, patient):
    """The follow-up list and API, as 3 and 30 tasks fall due."""
    from irflow.followup.models import FollowUpTask
    from irflow.testing.fixtures import make_order

    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        for p in _patients(attending, a, b, family="Follow"):
            order = make_order(attending, p, "PICC")
            FollowUpTask.objects.create(
                patient=p,
                order=order,
                kind="clinic",
                description="Review in clinic.",
                due_date=date.today() - timedelta(days=p.pk % 3),
            )

    login(client, attending)
    same_for_3_and_30(client, ["/followup/", "/api/followup/due"], add, ceiling=12)


# --- audit ----------------------------------------------------------------------------------


def test_audit_views(client, personas):
    """The auditor's access log and change history, as 3 and 30 rows match."""
    from irflow.audit.models import AccessLog

    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        shown = _patients(attending, a, b, family="Audit")  # writes history rows
        AccessLog.objects.bulk_create(
            AccessLog(
                user=attending,
                username=attending.username,
                role=attending.role,
                patient_id=p.pk,
                patient_label=str(p),
                what="chart",
            )
            for p in shown
        )

    login(client, personas["auditor"])
    urls = [
        f"/audit/?username={attending.username}",
        f"/audit/?view=history&username={attending.username}",
        f"/api/audit/access?username={attending.username}",
        f"/api/audit/history?username={attending.username}",
    ]
    same_for_3_and_30(client, urls, add, ceiling=12)
