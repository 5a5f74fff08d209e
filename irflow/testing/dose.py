"""Dose data for the API permission walk (irflow/accounts/tests/test_api_permission_walk.py)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from django.test import override_settings


def dose_world(attending, patient) -> dict:
    """A TACE of `patient` over the SRDL (alert and skin follow-up), an unmatched report of
    the same patient, and a quarantined object whose file is gone."""
    from irflow.accounts.actors import SYSTEM
    from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
    from irflow.dose import storage
    from irflow.dose.models import DoseAlert, RadiationDoseReport
    from irflow.dose.services import received_process, received_record
    from irflow.followup.models import FollowUpTask
    from irflow.testing.fixtures import make_order

    order = make_order(attending, patient, "TACE")
    events = tuple(dataclasses.replace(e, dose_rp_mgy=1500.0) for e in make_events(4, seed=99))
    linked = ProjectionRdsr(
        events=events,
        seed=98,
        patient_id=patient.mrn,
        study_instance_uid=order.study_instance_uid,
        accession_number=order.accession_number,
        mpps_uid=None,
    )
    unmatched = ProjectionRdsr(
        events=make_events(2, seed=97),
        seed=97,
        patient_id=patient.mrn,
        study_instance_uid=None,
        accession_number="WALK0000",
        mpps_uid=None,
    )
    with tempfile.TemporaryDirectory() as folder, override_settings(DATA_DIR=Path(folder)):
        ids = []
        for data in (linked.to_bytes(), unmatched.to_bytes(), b"not dicom"):
            stored = storage.store_durably(data)
            received = received_record(stored=stored, channel="import")
            ids.append(received_process(actor=SYSTEM, received_id=received.pk).received.pk)
    return {
        "order_id": order.pk,
        "dose_order_id": order.pk,
        "dose_report_id": RadiationDoseReport.objects.get(link_status="unmatched").pk,
        "dose_alert_id": DoseAlert.objects.get(order=order, level="srdl").pk,
        "received_object_id": ids[2],
        "followup_task_id": FollowUpTask.objects.get(order=order).pk,
    }


def dose_examples(ids: dict) -> dict[tuple[str, str], dict | None]:
    """A valid request for each dose and follow-up route."""
    task = "/api/followup/tasks/{followup_task_id}"
    return {
        ("GET", "/api/dose/reports"): None,
        ("GET", "/api/dose/reports/{dose_report_id}"): None,
        ("POST", "/api/dose/reports/{dose_report_id}/link"): {"order_id": ids["dose_order_id"]},
        ("GET", "/api/dose/orders/{order_id}"): None,
        ("POST", "/api/dose/alerts/{dose_alert_id}/acknowledge"): {"note": "Patient told"},
        ("GET", "/api/dose/received"): None,
        ("POST", "/api/dose/received/{received_object_id}/reprocess"): None,
        ("GET", "/api/followup/due"): None,
        ("GET", "/api/followup/patients/{patient_id}"): None,
        ("POST", "/api/followup/tasks"): {
            "patient_id": ids["patient_id"],
            "kind": "call",
            "description": "Telephone call about the puncture site",
            "due_date": "2026-02-01",
        },
        ("POST", task + "/acknowledge"): {"note": "Mine"},
        ("POST", task + "/complete"): {"outcome": "Skin intact, no erythema"},
    }
