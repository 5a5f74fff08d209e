"""Shared by the report tests: a completed procedure, a fully recorded one (sedation, access,
contrast, devices, specimens, an adverse event and an ingested dose report), and drafts."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.catalogue.models import Room
from irflow.dayofcase import services as day
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose import storage
from irflow.dose.services import received_process, received_record
from irflow.outcomes.services import adverse_event_record
from irflow.procedures import services as procedures
from irflow.reports import services
from irflow.reports.models import Report
from irflow.testing.cases import GOOD_UDI, booked, checklist, completed, documented, past_weekday_at
from irflow.testing.fixtures import make_booking, make_order
from irflow.testing.outcomes import ae_facts

IMPRESSION = "Retrievable infrarenal IVC filter placed."
INDICATION = "Pulmonary embolism; anticoagulation contraindicated after surgery."


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """Dose reports received in a test are written under a throwaway DATA_DIR."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


@pytest.fixture
def any_day_room(db) -> Room:
    """A room open every day of the week (bookings today, whatever day the tests run)."""
    return Room.objects.create(
        code="ANY1", name="Any-day room", kind="angio", modality="XA", open_weekdays=[*range(1, 8)]
    )


def drafted(actor, record, *, impression: str = IMPRESSION) -> Report:
    """The report of `record` started by `actor`, with the IVC filter fields and an impression."""
    report = services.report_start(actor=actor, procedure_id=record.pk)
    return services.report_update(
        actor=actor,
        report_id=report.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal"},
        sections={"impression": impression},
    )


def today_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate(), time(hour), timezone.get_current_timezone())


def case(actor, patient, room, start: datetime, *, operator=None, team=()):
    """An IVC filter ordered by `actor` (a physician), booked at `start` with `operator`
    (default `actor`) as primary operator and `team`, then completed by `actor`."""
    order = make_order(actor, patient, "IVCF-IN")
    booking = make_booking(
        actor, order, room, start, primary_operator=operator or actor, team=list(team)
    )
    # Completed: out of the room, so that the next case may go in.
    return completed(actor, booking)


def dose_ingested(record, *, dose_rp_mgy: float = 1500.0, events: int = 4):
    """A projection RDSR of the procedure (its patient, accession and Study UID) received and
    read as the listener and the worker would: stored, linked, alerts raised."""
    rdsr = ProjectionRdsr(
        events=tuple(
            dataclasses.replace(e, dose_rp_mgy=dose_rp_mgy) for e in make_events(events, seed=7)
        ),
        patient_id=record.patient.mrn,
        accession_number=record.order.accession_number,
        study_instance_uid=record.order.study_instance_uid,
        mpps_uid=None,
    )
    stored = storage.store_durably(rdsr.to_bytes())
    received = received_record(stored=stored, channel="import")
    return received_process(actor=SYSTEM, received_id=received.pk)


def fully_recorded(actor, patient, room):
    """An IVC filter placement with everything the report draws on recorded through the
    procedure, outcome and dose services."""
    order = make_order(actor, patient, "IVCF-IN", clinical_indication=INDICATION)
    booking = make_booking(actor, order, room, past_weekday_at(9), primary_operator=actor)
    record = documented(actor, booking)
    pk = record.pk
    for group, values in (
        ("sedation", {"sedation_depth": "moderate"}),
        ("access", {"access_sites": ["right_cfv"]}),
        (
            "contrast",
            {"contrast_agent": "Iohexol 300", "contrast_ml": "30", "contrast_route": "iv"},
        ),
        ("findings", {"intra_procedure_events": "Brief vasovagal episode, settled with fluids."}),
    ):
        procedures.procedure_record_update(actor=actor, procedure_id=pk, group=group, values=values)
    procedures.sedation_agent_add(
        actor=actor, procedure_id=pk, agent="Midazolam", dose="2", unit="mg"
    )
    procedures.sedation_agent_add(
        actor=actor, procedure_id=pk, agent="Fentanyl", dose="50", unit="microgram"
    )
    wrong = procedures.sedation_agent_add(
        actor=actor, procedure_id=pk, agent="Propofol", dose="100", unit="mg"
    )
    procedures.record_part_strike(actor=actor, procedure_id=pk, kind="sedation", part_id=wrong.pk)
    procedures.device_add(
        actor=actor,
        procedure_id=pk,
        udi=GOOD_UDI,
        device_type="IVC filter",
        manufacturer="Cook",
        implanted=True,
        in_situ_kind="ivc_filter",
    )
    procedures.device_add(actor=actor, procedure_id=pk, device_type="Sheath 10 Fr", lot="SH981")
    procedures.specimen_add(
        actor=actor, procedure_id=pk, label="A1", specimen_type="Thrombus", sent_to="Histopathology"
    )
    checklist(actor, booking, "sign_out")
    record = day.case_complete(actor=actor, procedure_id=pk)
    adverse_event_record(
        actor=actor,
        procedure_id=pk,
        onset_at=record.out_at + timedelta(minutes=20),
        detection="recovery",
        description="Groin haematoma",
        sir_grade="mild",
        legacy_sir_class="A",
        cirse_grade="1",
        attribution="procedure",
        management="Manual compression for 10 minutes",
        outcome="resolved",
        **ae_facts(),
    )
    dose_ingested(record)
    return record
