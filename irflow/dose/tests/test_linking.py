"""Reconciliation: a technologist links an unmatched report; the patient must match."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from irflow.dicom.rdsr_builder import make_events
from irflow.dose.models import LinkMethod, LinkStatus
from irflow.dose.selectors import reconciliation_list
from irflow.dose.services import dose_report_link
from irflow.dose.services.alerts import order_dose_totals
from irflow.dose.services.linking import MSG_ALREADY_LINKED, MSG_PATIENT_MISMATCH
from irflow.dose.tests.conftest import ingest
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def unmatched(case, **overrides):
    values = {"study_instance_uid": None, "accession_number": "UNKNOWN01"}
    values.update(overrides)
    return ingest(case.rdsr(make_events(3, seed=40), **values).to_bytes()).report


def test_reconciliation_lists_unmatched_reports_with_suggestions(case, personas):
    report = unmatched(case)

    items = reconciliation_list(actor=personas["technologist"])

    assert [i.report for i in items] == [report]
    assert items[0].suggestions == [case.order]  # same patient ID on a known order


def test_technologist_links_it_and_the_link_is_audited(case, personas):
    report = unmatched(case)
    tech = personas["technologist"]

    linked = dose_report_link(actor=tech, report_id=report.pk, order_id=case.order.pk)

    assert linked.link_status == LinkStatus.LINKED and linked.link_method == LinkMethod.MANUAL
    assert linked.order == case.order and linked.linked_by == tech
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] == pytest.approx(
        report.ka_r_total_mgy
    )
    entry = LogEntry.objects.get_for_object(linked).filter(actor=tech).get()
    assert "order" in entry.changes_dict
    with pytest.raises(Conflict) as exc:
        dose_report_link(actor=tech, report_id=report.pk, order_id=case.order.pk)
    assert exc.value.message == MSG_ALREADY_LINKED.format(accession=case.order.accession_number)


def test_a_different_patient_is_refused_with_a_clear_message(case, personas):
    report = unmatched(case, patient_id="TEMP-4711")

    with pytest.raises(ValidationFailed) as exc:
        dose_report_link(
            actor=personas["technologist"], report_id=report.pk, order_id=case.order.pk
        )

    expected = MSG_PATIENT_MISMATCH.format(
        dicom_id="TEMP-4711", patient=case.patient, mrn=case.patient.mrn
    )
    assert exc.value.errors == {"order_id": [expected]}
    report.refresh_from_db()
    assert report.order is None


def test_a_different_patient_links_only_with_a_reason_which_is_kept(case, personas):
    report = unmatched(case, patient_id="TEMP-4711")

    linked = dose_report_link(
        actor=personas["attending"],
        report_id=report.pk,
        order_id=case.order.pk,
        mismatch_reason="Emergency registered at the modality under a temporary ID",
    )

    assert linked.order == case.order
    assert "TEMP-4711" in linked.link_problem and "temporary ID" in linked.link_problem


def test_only_technologists_and_physicians_reconcile(case, personas):
    report = unmatched(case)

    for name in ("nurse", "trainee", "qi_lead", "scheduler"):
        with pytest.raises(Forbidden):
            dose_report_link(actor=personas[name], report_id=report.pk, order_id=case.order.pk)
