"""The patient timeline: every kind, newest first, filtered, scoped to the reader, in a fixed
number of queries whatever the number of entries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from irflow.audit.models import AccessLog
from irflow.catalogue.models import ProcedureType
from irflow.devices.services import device_register
from irflow.followup.services import followup_create
from irflow.lib.errors import Forbidden, NotFound
from irflow.patients.services import patient_create
from irflow.referrals.services import referral_create
from irflow.reports.models import ReportStatus
from irflow.timeline.selectors import KINDS, patient_timeline

pytestmark = pytest.mark.django_db
EVERY_KIND = {k.key for k in KINDS}


def test_every_kind_appears_newest_first(personas, patient, world):
    timeline = patient_timeline(actor=personas["nurse"], patient_id=patient.pk)

    assert {e.kind for e in timeline.entries} == EVERY_KIND
    moments = [e.at for e in timeline.entries]
    assert moments == sorted(moments, reverse=True)
    assert not timeline.filtered
    summaries = " | ".join(e.summary for e in timeline.entries)
    assert "Surgical port placement" in summaries  # the board's decision
    assert "Addendum to the report" in summaries
    assert "Small groin haematoma" in summaries and "Manual compression" not in summaries
    assert "Outcome: Telephone call; pain NRS 2" in summaries
    assert all(e.url.startswith("/") for e in timeline.entries)


def test_filter_by_kind(personas, patient, world):
    nurse = personas["nurse"]
    only = patient_timeline(actor=nurse, patient_id=patient.pk, kinds=["procedure"])
    assert only.selected == ["procedure"]
    assert only.filtered
    assert len(only.entries) == 3
    assert {e.kind for e in only.entries} == {"procedure"}

    two = patient_timeline(actor=nurse, patient_id=patient.pk, kinds=["dose", "device"])
    assert {e.kind for e in two.entries} == {"dose", "device"}

    # A kind nobody knows is ignored: everything is shown.
    unknown = patient_timeline(actor=nurse, patient_id=patient.pk, kinds=["gossip"])
    assert {e.kind for e in unknown.entries} == EVERY_KIND


def test_each_kind_only_for_those_who_may_see_it(personas, patient, world):
    scheduler = patient_timeline(actor=personas["scheduler"], patient_id=patient.pk)
    # Schedulers see no dose data and no adverse events (docs/security.md).
    assert {k.key for k in scheduler.kinds} == EVERY_KIND - {"dose", "adverse_event"}
    assert {e.kind for e in scheduler.entries} == EVERY_KIND - {"dose", "adverse_event"}
    # Asking for a kind one may not see shows nothing of it.
    asked = patient_timeline(actor=personas["scheduler"], patient_id=patient.pk, kinds=["dose"])
    assert {e.kind for e in asked.entries} == EVERY_KIND - {"dose", "adverse_event"}

    with pytest.raises(Forbidden):
        patient_timeline(actor=personas["qi_lead"], patient_id=patient.pk)


def test_a_referrer_sees_their_own_patient_as_they_may(personas, patient, world):
    referrer, attending = personas["referrer"], personas["attending"]
    # A referral the attending sent for the same patient is not the referrer's.
    referral_create(
        actor=attending,
        patient_id=patient.pk,
        clinical_question="Nephrostomy?",
        urgency="urgent",
        procedure_type=ProcedureType.objects.get(code="PICC"),
    )
    timeline = patient_timeline(actor=referrer, patient_id=patient.pk)

    assert {k.key for k in timeline.kinds} == {"referral", "booking", "report", "followup"}
    assert {e.kind for e in timeline.entries} <= {"referral", "booking", "report", "followup"}
    referrals = [e for e in timeline.entries if e.kind == "referral"]
    assert len(referrals) == 3 and all("Nephrostomy" not in e.summary for e in referrals)
    reports = [e for e in timeline.entries if e.kind == "report"]
    # The final report only: no drafts, no unsigned addendum.
    assert [e.status for e in reports] == [ReportStatus.FINAL.label]

    stranger = patient_create(
        actor=attending,
        mrn="T0000099",
        family_name="Other",
        given_name="Person",
        birth_date=date(1970, 1, 1),
        sex="F",
    )
    with pytest.raises(NotFound):
        patient_timeline(actor=referrer, patient_id=stranger.pk)


def test_the_read_is_logged_once(personas, patient, world):
    before = AccessLog.objects.count()
    patient_timeline(actor=personas["nurse"], patient_id=patient.pk)
    logged = list(AccessLog.objects.order_by("pk")[before:])
    assert [(a.patient_id, a.what) for a in logged] == [(patient.pk, "timeline")]


def queries_to_read(actor, patient_id: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        timeline = patient_timeline(actor=actor, patient_id=patient_id)
    return len(captured.captured_queries), len(timeline.entries)


def test_the_timeline_costs_the_same_queries_for_more_entries(personas, patient, world):
    nurse, attending, referrer = personas["nurse"], personas["attending"], personas["referrer"]
    queries_to_read(nurse, patient.pk)  # caches warmed (content types, site policy)
    small, small_entries = queries_to_read(nurse, patient.pk)

    today = timezone.localdate()
    picc = ProcedureType.objects.get(code="PICC")
    for n in range(4):
        referral_create(
            actor=referrer,
            patient_id=patient.pk,
            clinical_question=f"Line {n}?",
            urgency="routine",
            procedure_type=picc,
        )
        followup_create(
            actor=attending,
            patient_id=patient.pk,
            kind="clinic",
            description=f"Clinic {n}",
            due_date=today + timedelta(days=30 + n),
        )
        device_register(
            actor=attending,
            patient_id=patient.pk,
            kind="drain",
            name=f"Drain {n}",
            placed_on=today - timedelta(days=n),
            due_on=today + timedelta(days=10),
        )
    large, large_entries = queries_to_read(nurse, patient.pk)

    assert large_entries == small_entries + 12
    assert large == small, f"{small} queries for {small_entries} entries, {large} for more"
