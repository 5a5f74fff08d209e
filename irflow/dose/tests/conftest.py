"""Fixtures of the dose tests: a booked procedure and synthetic dose reports that match it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.dicom.rdsr_builder import ProjectionRdsr, XrayEvent, make_events
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

STUDY_AT = datetime(2025, 3, 14, 9, 20, 0)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """Received objects are written under a throwaway DATA_DIR."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@dataclass
class Case:
    patient: object
    order: object
    booking: object
    operator: object

    def rdsr(self, events: tuple[XrayEvent, ...] | None = None, **overrides) -> ProjectionRdsr:
        """A projection RDSR of this procedure (its patient ID, accession and Study UID)."""
        values = {
            "patient_id": self.patient.mrn,
            "accession_number": self.order.accession_number,
            "study_instance_uid": self.order.study_instance_uid,
            "mpps_uid": None,
            "study_datetime": STUDY_AT,
            "timezone_offset": None,
        }
        values.update(overrides)
        return ProjectionRdsr(events=events if events is not None else make_events(4), **values)


@pytest.fixture
def case(personas, patient, angio_room) -> Case:
    """A TACE ordered and booked in the angio suite with the attending as primary operator."""
    from irflow.catalogue.models import ProcedureType
    from irflow.catalogue.seed import catalogue_seed

    catalogue_seed(ProcedureType)  # in case a transactional test flushed the migration data
    attending = personas["attending"]
    order = make_order(attending, patient, code="TACE")
    booking = make_booking(
        personas["scheduler"], order, angio_room, next_weekday_at(9), primary_operator=attending
    )
    return Case(patient=patient, order=order, booking=booking, operator=attending)


def scaled(events: tuple[XrayEvent, ...], *, dose_rp_mgy: float, **values) -> tuple[XrayEvent, ...]:
    """The same events, each with the given Dose (RP) (to reach or stay under a threshold)."""
    return tuple(dataclasses.replace(e, dose_rp_mgy=dose_rp_mgy, **values) for e in events)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def ingest(data: bytes, *, channel: str = "dicom"):
    """Store, record and read one object as the listener and the worker would."""
    from irflow.dose import storage
    from irflow.dose.services import received_process, received_record

    received = received_record(stored=storage.store_durably(data), channel=channel)
    return received_process(actor=SYSTEM, received_id=received.pk)
