"""dcmtk's findscu, as a modality would run it, against the real listener.

Every answer is checked against the bookings in the database, read independently of the
worklist code: which steps, and the identifiers and names each one carries.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.synthetic import worklist_fill
from irflow.dicomserver.tests.conftest import findscu
from irflow.patients.services import patient_create
from irflow.scheduling.models import Booking
from irflow.testing.fixtures import make_booking, make_order

pytestmark = pytest.mark.e2e

FIRST_DAY = date(2026, 3, 26)
SPS = "ScheduledProcedureStepSequence[0]"
RETURN_KEYS = (
    "PatientName",
    "PatientID",
    "AccessionNumber",
    "StudyInstanceUID",
    "RequestedProcedureID",
    f"{SPS}.ScheduledProcedureStepID",
    f"{SPS}.ScheduledStationAETitle",
    f"{SPS}.ScheduledProcedureStepStartDate",
    f"{SPS}.ScheduledProcedureStepStartTime",
)
LIVE = ["booked", "arrived", "in_preparation", "in_room"]


@pytest.fixture
def worklist(listener):
    worklist_fill(count=240, first_day=FIRST_DAY, seed=5, stations=4, slots_per_day=6)
    return listener


def expected(**filters) -> dict[str, Booking]:
    """Bookings on the worklist, straight from the table, by SPS ID."""
    qs = Booking.objects.filter(active=True, status__in=LIVE, **filters).select_related(
        "order", "patient"
    )
    return {b.sps_id: b for b in qs}


def check_against_bookings(responses, bookings: dict[str, Booking]) -> None:
    """The responses are exactly these bookings, each with its own identifiers."""
    by_sps = {r.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID: r for r in responses}
    assert len(by_sps) == len(responses)
    assert set(by_sps) == set(bookings)
    for sps_id, response in by_sps.items():
        booking = bookings[sps_id]
        assert response.AccessionNumber == booking.order.accession_number
        assert response.StudyInstanceUID == booking.order.study_instance_uid
        assert response.RequestedProcedureID == booking.order.requested_procedure_id
        assert response.PatientID == booking.patient.mrn
        family, _, given = str(response.PatientName).partition("^")
        assert (family, given) == (booking.patient.family_name, booking.patient.given_name)
        sps = response.ScheduledProcedureStepSequence[0]
        assert sps.ScheduledStationAETitle == booking.station_ae_title
        local = booking.start.astimezone(ZoneInfo(settings.TIME_ZONE))
        assert sps.ScheduledProcedureStepStartDate == local.strftime("%Y%m%d")
        assert sps.ScheduledProcedureStepStartTime == local.strftime("%H%M%S")


def local_day(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    after = day + timedelta(days=1)
    return datetime.combine(day, time.min, tz), datetime.combine(after, time.min, tz)


def test_station_and_date_range(worklist, tmp_path):
    first, _ = local_day(date(2026, 3, 27))
    _, last = local_day(date(2026, 3, 30))
    process, responses = findscu(
        worklist,
        *RETURN_KEYS,
        f"{SPS}.ScheduledStationAETitle=STN02",
        f"{SPS}.ScheduledProcedureStepStartDate=20260327-20260330",
        out=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    bookings = expected(station_ae_title="STN02", start__gte=first, start__lt=last)
    assert len(bookings) > 10
    check_against_bookings(responses, bookings)
    # Only requested keys come back (and the character set).
    keys = {element.keyword for element in responses[0]}
    assert keys == {"SpecificCharacterSet", *(k.split("[")[0] for k in RETURN_KEYS)}


def test_date_and_time_range_combined(worklist, tmp_path):
    tz = ZoneInfo(settings.TIME_ZONE)
    process, responses = findscu(
        worklist,
        *RETURN_KEYS,
        f"{SPS}.ScheduledProcedureStepStartDate=20260328-20260329",
        f"{SPS}.ScheduledProcedureStepStartTime=1000-0830",  # overnight: 28th 10:00 to 29th 08:30
        out=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    bookings = expected(
        start__gte=datetime(2026, 3, 28, 10, 0, tzinfo=tz),
        start__lte=datetime(2026, 3, 29, 8, 30, 59, 999999, tzinfo=tz),
    )
    assert bookings
    check_against_bookings(responses, bookings)


def test_wildcards_on_names_and_identifiers(worklist, tmp_path):
    # PN matches case-insensitively, beyond ASCII: "mü*" finds "Müller" and "MÜLLER".
    process, responses = findscu(
        worklist,
        *RETURN_KEYS,
        "SpecificCharacterSet=ISO_IR 192",
        "PatientName=mü*",
        f"{SPS}.ScheduledStationAETitle=STN0?",
        out=tmp_path / "names",
        calling="UTF8SCU",
    )
    assert process.returncode == 0, process.stderr
    bookings = {
        sps: b
        for sps, b in expected(station_ae_title__startswith="STN0").items()
        if b.patient.family_name.lower().startswith("mü")
    }
    assert {b.patient.family_name for b in bookings.values()} == {"Müller", "MÜLLER"}
    check_against_bookings(responses, bookings)

    # Other keys match case-sensitively; `?` is exactly one character.
    process, responses = findscu(
        worklist, *RETURN_KEYS, "AccessionNumber=A05000000?2", out=tmp_path / "accession"
    )
    assert process.returncode == 0, process.stderr
    ten = {
        sps: b
        for sps, b in expected().items()
        if b.order.accession_number[:-2] == "A05000000" and b.order.accession_number[-1] == "2"
    }
    assert ten
    check_against_bookings(responses, ten)
    _, none = findscu(worklist, *RETURN_KEYS, "AccessionNumber=a05*", out=tmp_path / "lower")
    assert none == []


@pytest.mark.parametrize(
    ("charset", "encoded"),
    [("ISO_IR 100", "Müller^Jörg".encode("latin-1")), ("ISO_IR 192", "Müller^Jörg".encode())],
)
def test_non_ascii_name_round_trips_in_the_remote_ae_charset(
    listener, tmp_path, personas, angio_room, charset, encoded
):
    RemoteAE.objects.create(ae_title="MODALITY", charset=charset, room=angio_room)
    attending = personas["attending"]
    patient = patient_create(
        actor=attending,
        mrn="T0000009",
        family_name="Müller",
        given_name="Jörg",
        birth_date=date(1956, 4, 12),
        sex="M",
    )
    other = patient_create(
        actor=attending,
        mrn="T0000010",
        family_name="Łukasiewicz",
        given_name="Zoë",
        birth_date=date(1960, 1, 1),
        sex="F",
    )
    start = datetime.combine(date.today() + timedelta(days=1), time(9), ZoneInfo("UTC"))
    for index, who in enumerate((patient, other)):
        order = make_order(attending, who, priority="emergent")
        make_booking(attending, order, angio_room, start + timedelta(hours=index))
    # The query names the patient in the AE's character set; the answer comes back in it.
    process, responses = findscu(
        listener,
        "PatientName",
        "PatientID",
        f"SpecificCharacterSet={charset}",
        f"{SPS}.ScheduledStationAETitle=ANGIO1",
        out=tmp_path,
        calling="MODALITY",
    )
    assert process.returncode == 0, process.stderr
    by_id = {r.PatientID: r for r in responses}
    assert set(by_id) == {"T0000009", "T0000010"}
    answer = by_id["T0000009"]
    assert answer.SpecificCharacterSet == charset
    assert answer["PatientName"].value == "Müller^Jörg"
    raw = tmp_path / "raw.dcm"
    answer.save_as(raw)
    assert encoded in raw.read_bytes()
    # A name the charset cannot hold is transliterated, not garbled.
    expected_other = "Lukasiewicz^Zoë" if charset == "ISO_IR 100" else "Łukasiewicz^Zoë"
    assert by_id["T0000010"]["PatientName"].value == expected_other

    latin1_query = [
        b"SpecificCharacterSet=ISO_IR 100",
        b"PatientName=M\xfcller*",
        b"PatientID",
    ]
    process, responses = findscu(
        listener, *latin1_query, out=tmp_path / "latin1", calling="MODALITY"
    )
    assert process.returncode == 0, process.stderr
    assert [r.PatientID for r in responses] == ["T0000009"]


@pytest.mark.filterwarnings("ignore:Unknown encoding")
def test_refusals_and_the_listener_keeps_serving(worklist, tmp_path):
    process, responses = findscu(
        worklist,
        "PatientName",
        f"{SPS}.ScheduledProcedureStepStartDate=20261345",
        out=tmp_path / "bad",
        debug=True,
    )
    assert responses == []
    assert "0xa900" in (process.stdout + process.stderr).lower()
    assert "ScheduledProcedureStepStartDate: invalid date" in process.stdout + process.stderr
    process, responses = findscu(
        worklist,
        "PatientName",
        "SpecificCharacterSet=ISO_IR 999",
        out=tmp_path / "charset",
        debug=True,
    )
    assert responses == []
    assert "0xc000" in (process.stdout + process.stderr).lower()
    process, responses = findscu(
        worklist, *RETURN_KEYS, f"{SPS}.ScheduledStationAETitle=STN01", out=tmp_path / "ok"
    )
    assert process.returncode == 0 and len(responses) == len(expected(station_ae_title="STN01"))
