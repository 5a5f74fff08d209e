"""Database writes are batched: reading a report costs the same queries for 10 or 300 events."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.accounts.actors import SYSTEM
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose import storage
from irflow.dose.models import IrradiationEventXrayData
from irflow.dose.policy import site_policy
from irflow.dose.services import received_process, received_record
from irflow.dose.tests.conftest import scaled
from irflow.orders.models import Order

pytestmark = pytest.mark.django_db
ACCESSION = "QC00000001"


@pytest.fixture(scope="module")
def reports() -> dict[int, bytes]:
    # Small doses: both reports raise the same alerts (none), so only their size differs.
    small = {"dap_gy_cm2": 0.1, "irradiation_duration_s": 1.0}
    return {
        count: ProjectionRdsr(
            events=scaled(make_events(count, seed=count, biplane=True), dose_rp_mgy=0.5, **small),
            sop_instance_uid=f"2.25.{count}",
            patient_id="T0000001",
            accession_number=ACCESSION,
            study_instance_uid=None,
            mpps_uid=None,
        ).to_bytes()
        for count in (2, 10, 300)
    }


def queries_to_read(data: bytes) -> int:
    received = received_record(stored=storage.store_durably(data), channel="dicom")
    with CaptureQueriesContext(connection) as captured:
        outcome = received_process(actor=SYSTEM, received_id=received.pk)
    assert outcome.status == "imported"
    assert outcome.report.link_status == "linked"
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_event_count(case, reports):
    Order.objects.filter(pk=case.order.pk).update(accession_number=ACCESSION)
    # One-offs that are not per event: the site-policy row is created on first use, and the
    # first report fills Django's content-type cache (audit log).
    site_policy()
    queries_to_read(reports[2])

    small = queries_to_read(reports[10])
    large = queries_to_read(reports[300])

    assert IrradiationEventXrayData.objects.filter(report__order=case.order).count() == 312
    assert large == small, f"{small} queries for 10 events, {large} for 300"
