"""Worklist matching in the database, held to the reference matcher over generated queries.

The fill spans a daylight-saving change (Europe/London, 29 March 2026), names with accents,
mixed case, `%` and `_`, second MRNs from other issuers, and steps that are off the worklist.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydicom.dataset import Dataset

from irflow.dicom.worklist import MATCHING_KEYS, matches, parse_worklist_query
from irflow.dicom.worklist.keys import TOP_KEYS
from irflow.dicomserver.selectors import (
    Requestor,
    worklist_find,
    worklist_items,
    worklist_queryset,
)
from irflow.dicomserver.synthetic import worklist_fill
from irflow.dicomserver.worklist.filters import COLUMNS
from irflow.dicomserver.worklist.items import ITEM_FIELDS
from irflow.scheduling.models import Booking

pytestmark = pytest.mark.django_db

FIRST_DAY = date(2026, 3, 26)
STATION = "ScheduledProcedureStepSequence"
SEQUENCE_KEYS = {
    "ScheduledStationAETitle",
    "ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepStartTime",
    "Modality",
    "ScheduledPerformingPhysicianName",
    "ScheduledStationName",
    "ScheduledProcedureStepID",
    "ScheduledProcedureStepStatus",
    "ScheduledProcedureStepDescription",
}
REQUESTOR = Requestor("TESTSCU", "127.0.0.1")


@pytest.fixture
def filled(db):
    worklist_fill(count=300, first_day=FIRST_DAY, seed=3, stations=6, slots_per_day=6)
    rows = list(worklist_queryset().values(*ITEM_FIELDS))
    items = worklist_items(rows, allergies=False, alerts=False)
    assert len(items) > 220
    return items


def identifier(keys: dict[str, str]) -> Dataset:
    """A worklist identifier: SPS keys go inside the sequence, code keys in theirs."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    sps = Dataset()
    code = Dataset()
    for keyword, value in keys.items():
        if keyword in SEQUENCE_KEYS:
            setattr(sps, keyword, value)
        elif keyword in ("CodeValue", "CodingSchemeDesignator"):
            setattr(code, keyword, value)
        else:
            setattr(ds, keyword, value)
    ds.ScheduledProcedureStepSequence = [sps]
    if len(code):
        ds.RequestedProcedureCodeSequence = [code]
    return ds


def _mangle(rng: random.Random, text: str) -> str:
    """Turn a stored value into a wildcard pattern that may or may not match it."""
    if not text:
        return "*"
    choice = rng.randrange(6)
    if choice == 0:
        return text[: rng.randint(1, len(text))] + "*"
    if choice == 1:
        return "*" + text[rng.randint(0, len(text) - 1) :]
    if choice == 2:
        i = rng.randrange(len(text))
        return text[:i] + "?" + text[i + 1 :]
    if choice == 3:
        return text.upper()
    if choice == 4:
        return text.lower()
    return text


def random_keys(rng: random.Random, items) -> dict[str, str]:
    item = rng.choice(items)
    other = rng.choice(items)
    start = item.sps_start
    day = start.date()
    generators = {
        "PatientName": lambda: rng.choice(
            [
                _mangle(rng, item.patient_name),
                _mangle(rng, item.patient_name.split("^")[0]) + "^*",
                "*^" + _mangle(rng, item.patient_name.partition("^")[2] or "x"),
                item.patient_name + "=*",
                "=" + item.patient_name,
                "Percent%*",
                "brown_e*",
                "*",
            ]
        ),
        "PatientID": lambda: _mangle(rng, item.patient_id),
        "AccessionNumber": lambda: _mangle(rng, item.accession_number),
        "RequestedProcedureID": lambda: _mangle(rng, item.requested_procedure_id),
        "StudyInstanceUID": lambda: rng.choice(
            [
                item.study_instance_uid,
                f"{item.study_instance_uid}\\{other.study_instance_uid}",
                "1.2.3.4",
            ]
        ),
        "PatientBirthDate": lambda: rng.choice(
            [
                item.patient_birth_date.strftime("%Y%m%d"),
                f"{item.patient_birth_date:%Y%m%d}-",
                f"-{item.patient_birth_date:%Y%m%d}",
                "19500101-19700101",
            ]
        ),
        "PatientSex": lambda: rng.choice(["F", "M", "O", "?", "*", "U"]),
        "ScheduledStationAETitle": lambda: _mangle(rng, item.sps_station_ae_title),
        "Modality": lambda: rng.choice(["XA", "CT", "US", "X?", "*A", "xa"]),
        "ScheduledProcedureStepStartDate": lambda: rng.choice(
            [
                f"{day:%Y%m%d}",
                f"{day:%Y%m%d}-{day + timedelta(days=rng.randint(0, 3)):%Y%m%d}",
                f"-{day:%Y%m%d}",
                f"{day:%Y%m%d}-",
            ]
        ),
        "ScheduledProcedureStepStartTime": lambda: rng.choice(
            [
                f"{start:%H%M}",
                f"{start:%H%M%S}",
                f"{start:%H}",
                "0800-1000",
                f"{start:%H%M}-",
                f"-{start:%H%M}",
                "1130-0900",  # reversed: refused alone, an overnight range with a date
            ]
        ),
        "ScheduledPerformingPhysicianName": lambda: rng.choice(
            ["khan*", "ØDEGÅRD^SVEN", "ng", "*jörg", "Müller^Jörg", "*"]
        ),
        "ScheduledStationName": lambda: _mangle(rng, item.sps_station_name),
        "ScheduledProcedureStepID": lambda: _mangle(rng, item.sps_id),
        "ScheduledProcedureStepStatus": lambda: rng.choice(
            ["SCHEDULED", "ARRIVED", "READY", "STARTED", "S*", "COMPLETED", "*D"]
        ),
        "CodeValue": lambda: _mangle(rng, item.requested_procedure_code.value),
        "CodingSchemeDesignator": lambda: rng.choice(["99IRFLOW", "99IRF*", "SCT"]),
        "ReferringPhysicianName": lambda: rng.choice(
            ["", "smith*", "ŁUKASIEWICZ^JAN", "garcía", _mangle(rng, item.referring_physician_name)]
        ),
    }
    chosen = rng.sample(sorted(generators), rng.randint(1, 4))
    keys = {keyword: generators[keyword]() for keyword in chosen}
    # Return keys, requested empty (universal).
    for keyword in ("PatientName", "PatientID", "ScheduledProcedureStepID"):
        keys.setdefault(keyword, "")
    return keys


def test_every_matching_key_has_a_column():
    from irflow.dicom.worklist.keys import specs_by_tag  # noqa: F401 - documents the source

    fields = set()

    def walk(specs, prefix=""):
        for spec in specs:
            if spec.items:
                nested = prefix if spec.flat else f"{prefix}{spec.field}." if spec.field else ""
                walk(spec.items, nested)
            elif spec.matching and spec.field:
                fields.add(prefix + spec.field)

    walk(TOP_KEYS)
    assert len(fields) == len(MATCHING_KEYS)
    assert fields | {"sps_start"} == set(COLUMNS)


def test_orders_from_referrals_name_the_referrer(filled):
    names = {item.referring_physician_name for item in filled}
    # Every other order came from a referral; the rest were made in IR and name nobody.
    assert names == {"Smith^Jane", "Łukasiewicz^Jan", "García", ""}


def test_database_matching_agrees_with_the_reference_matcher(filled):
    rng = random.Random(20260326)
    checked = non_empty = refused = 0
    for _ in range(300):
        keys = random_keys(rng, filled)
        try:
            query = parse_worklist_query(identifier(keys))
        except ValueError:
            refused += 1  # e.g. a reversed time range without a date: the SCP refuses it
            continue
        found = [item.sps_id for item in worklist_find(query=query, requestor=REQUESTOR)]
        expected = [item.sps_id for item in filled if matches(query, item)]
        assert sorted(found) == sorted(expected), keys
        assert found == sorted(found, key=[i.sps_id for i in filled].index), "start order"
        checked += 1
        non_empty += bool(found)
    assert checked > 220 and refused > 0
    assert non_empty > checked // 4, "the generated queries should often match something"


def test_steps_off_the_worklist_never_appear(filled):
    gone = Booking.objects.exclude(status__in=["booked", "arrived", "in_preparation", "in_room"])
    assert gone.exists()
    query = parse_worklist_query(identifier({"ScheduledProcedureStepID": ""}))
    found = {item.sps_id for item in worklist_find(query=query, requestor=REQUESTOR)}
    assert found == {item.sps_id for item in filled}
    assert not found & set(gone.values_list("sps_id", flat=True))
    cancelled = Booking.objects.filter(active=False).first()
    assert cancelled is not None
    by_id = parse_worklist_query(identifier({"ScheduledProcedureStepID": cancelled.sps_id}))
    assert worklist_find(query=by_id, requestor=REQUESTOR) == []


@pytest.mark.parametrize(
    ("pattern", "family"),
    [
        ("müller^*", "Müller"),  # PN: case-insensitive beyond ASCII
        ("MÜLLER*", "Müller"),
        ("percent%*", "Percent%"),  # % and _ are literal characters, not SQL wildcards
        ("BROWN_E*", "Brown_e"),
    ],
)
def test_person_names_fold_case_and_escape_sql_wildcards(filled, pattern, family):
    query = parse_worklist_query(identifier({"PatientName": pattern}))
    found = worklist_find(query=query, requestor=REQUESTOR)
    assert found
    assert {i.patient_name.split("^")[0].lower() for i in found} == {family.lower()}
    # `%` must not act as "anything": "Percent" alone matches no one.
    literal = parse_worklist_query(identifier({"PatientName": pattern.replace("%", "x")}))
    if "%" in pattern:
        assert worklist_find(query=literal, requestor=REQUESTOR) == []


def test_other_keys_match_case_sensitively(filled):
    station = filled[0].sps_station_ae_title
    exact = parse_worklist_query(identifier({"ScheduledStationAETitle": station}))
    lower = parse_worklist_query(identifier({"ScheduledStationAETitle": station.lower() + "*"}))
    assert worklist_find(query=exact, requestor=REQUESTOR)
    assert worklist_find(query=lower, requestor=REQUESTOR) == []


def test_dates_are_local_days_across_daylight_saving(filled):
    # 29 March 2026: clocks go forward at 01:00 UTC; a 07:30 London step is 06:30 UTC.
    day = parse_worklist_query(identifier({"ScheduledProcedureStepStartDate": "20260330"}))
    found = worklist_find(query=day, requestor=REQUESTOR)
    assert found and {i.sps_start.date() for i in found} == {date(2026, 3, 30)}
    early = parse_worklist_query(
        identifier(
            {
                "ScheduledProcedureStepStartDate": "20260330",
                "ScheduledProcedureStepStartTime": "0730-0740",
            }
        )
    )
    times = {i.sps_start.strftime("%H%M") for i in worklist_find(query=early, requestor=REQUESTOR)}
    assert times and times <= {"0730", "0735"}


def test_one_query_per_find_whatever_the_number_of_matches(filled):
    query = parse_worklist_query(
        identifier({"PatientName": "", "Allergies": "", "MedicalAlerts": ""})
    )
    with CaptureQueriesContext(connection) as captured:
        found = worklist_find(query=query, requestor=REQUESTOR)
    assert len(found) > 220
    # The bookings, allergies, conditions, and one insert into the access log.
    assert len(captured) <= 4, [q["sql"][:80] for q in captured]
    assert any(item.allergies for item in found) and any(item.medical_alerts for item in found)
