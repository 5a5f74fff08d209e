"""The registry export (dataset values on a small fixed dataset, validation, de-identification,
the hashed key; the demo department's export is in test_demo_export) and the M&M review
(selection, pages by role, agenda)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings

from irflow.audit.models import AccessLog
from irflow.dayofcase import services as day
from irflow.dose.models import RadiationDoseReport
from irflow.lib.errors import Forbidden
from irflow.outcomes import services as outcomes
from irflow.patients.services import patient_create
from irflow.recovery.services import recovery_discharge
from irflow.registry import export, mm, selectors
from irflow.registry.export import registry_export
from irflow.testing.cases import booked, fresh_room, ready_to_complete
from irflow.testing.fixtures import login
from irflow.testing.outcomes import ae_facts
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.django_db

TZ = ZoneInfo(settings.TIME_ZONE)
DAY = date(2025, 3, 3)  # a Monday
PERIOD = {"start": date(2025, 3, 1), "end": date(2025, 3, 31)}


def _case(actor, patient, code: str, *, hour: int, sedation: str | None = "moderate"):
    booking = booked(
        actor,
        patient,
        fresh_room(),
        code=code,
        start=datetime.combine(DAY, datetime.min.time(), TZ).replace(hour=hour),
    )
    record = ready_to_complete(actor, booking)
    if sedation is not None:
        day.case_record_update(
            actor=actor,
            procedure_id=record.pk,
            group="sedation",
            values={"sedation_depth": sedation, "asa_class": "II"},
        )
    return day.case_complete(actor=actor, procedure_id=record.pk)


def _dose(record, n: int, dap: float, kar: float, fluoro: float) -> None:
    RadiationDoseReport.objects.create(
        sop_instance_uid=f"1.2.826.0.1.3680043.10.1.{record.pk}.{n}",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        template="xa",
        performed_at=record.started_at,
        patient=record.patient,
        order=record.order,
        link_status="linked",
        dap_counted_gy_cm2=dap,
        ka_r_counted_mgy=kar,
        fluoro_time_counted_s=fluoro,
    )


def _event(actor, record, **overrides):
    values = {
        "procedure_id": record.pk,
        "onset_at": record.ended_at + timedelta(minutes=30),
        "detection": "recovery",
        "description": "Groin haematoma, 4 cm",
        "sir_grade": "moderate",
        "legacy_sir_class": "C",
        "cirse_grade": "3",
        "attribution": "procedure",
        "management": "Manual compression, overnight observation.",
        "outcome": "resolved",
        **ae_facts(therapy="substantial", care_level="observation", hospital_stay="lt_48h"),
    }
    values.update(overrides)
    return outcomes.adverse_event_record(actor=actor, **values)


@pytest.fixture
def fixed(personas, patient):
    """Two IVC filter placements on 3 March 2025 (one without its sedation recorded), a PICC,
    two linked dose reports on the first, and a moderate adverse event."""
    attending = personas["attending"]
    first = _case(attending, patient, "IVCF-IN", hour=9)
    _dose(first, 1, 12.5, 80.0, 300.0)
    _dose(first, 2, 7.25, 40.5, 120.0)
    _event(personas["nurse"], first)
    other = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Okafor",
        given_name="Ada",
        birth_date=date(1980, 3, 3),
        sex="F",
    )
    second = _case(attending, other, "IVCF-IN", hour=11, sedation="")
    picc = _case(attending, other, "PICC", hour=14)
    return {"first": first, "second": second, "picc": picc, "other": other}


def test_each_element_of_a_fixed_case_is_the_hand_computed_value(personas, patient, fixed):
    qi = personas["qi_lead"]
    result = selectors.registry_validation(actor=qi, family="ivc_filter", **PERIOD)
    assert [c.record_id for c in result.cases] == [fixed["first"].pk, fixed["second"].pk]
    (row,) = result.rows()  # the second lacks its sedation
    key = selectors.patient_key(patient.pk, selectors.site_key())
    assert row == {
        "patient_key": key,
        "age_years": 68,  # born 12 April 1956, treated 3 March 2025
        "sex": "M",
        "procedure_date": "2025-03-03",
        "procedure_code": "IVCF-IN",
        "procedure_name": "IVC filter placement",
        "urgency": "routine",
        "asa_class": "II",
        "sedation": "moderate",
        "access_sites": "none",
        "technical_success": "success",
        "clinical_success": "",
        "contrast_ml": None,
        "fluoro_time_s": 420.0,  # 300 + 120
        "dap_gy_cm2": 19.75,  # 12.5 + 7.25
        "ka_r_mgy": 120.5,  # 80 + 40.5
        "adverse_events": 1,
        "worst_sir_grade": "moderate",
        "admitted": None,  # still in recovery
        "filter_action": "placement",
        "device": "IVC filter",
    }
    assert len(key) == 24
    # Born on the day of the procedure's month and day: the birthday has come.
    assert result.cases[1].age_years == 45
    assert result.missing == {fixed["second"].pk: ["sedation"]}
    assert result.exclusions() == [("required elements missing", 1)]


def test_the_fhir_age_is_positive_in_the_largest_whole_unit():
    born = date(2024, 3, 15)
    ages = {
        day: export.age_at_procedure(born, day)
        for day in (
            date(2025, 3, 15),  # first birthday
            date(2025, 3, 14),  # the day before: 11 full months (Apr 15 … Feb 15, Mar 15 not yet)
            date(2024, 4, 15),  # one month to the day
            date(2024, 4, 14),  # 16 days left in March + 14 in April
            date(2024, 3, 16),  # the day after birth
            born,
        )
    }
    assert [(a["value"], a["code"]) if a else None for a in ages.values()] == [
        (1, "a"),
        (11, "mo"),
        (1, "mo"),
        (30, "d"),
        (1, "d"),
        None,  # FHIR's Age is positive: none on the day of birth
    ]
    # Born on 29 February: on 28 February of the next year, not yet one.
    assert export.age_at_procedure(date(2000, 2, 29), date(2001, 2, 28))["code"] == "mo"


def test_validation_report_and_export_archive(personas, fixed):
    qi = personas["qi_lead"]
    name, data = registry_export(actor=qi, family="ivc_filter", **PERIOD)
    assert name == "registry-ivc_filter-20250301-20250331-deidentified.zip"
    z = zipfile.ZipFile(io.BytesIO(data))
    base = name.removesuffix(".zip")
    rows = list(csv.DictReader(io.StringIO(z.read(f"{base}/ivc_filter.csv").decode())))
    assert len(rows) == 1 and rows[0]["dap_gy_cm2"] == "19.75" and rows[0]["admitted"] == ""
    excluded = list(csv.DictReader(io.StringIO(z.read(f"{base}/excluded.csv").decode())))
    assert excluded == [
        {
            "procedure_record": str(fixed["second"].pk),
            "procedure_date": "2025-03-03",
            "procedure_code": "IVCF-IN",
            "missing_required": "sedation",
        }
    ]
    manifest = json.loads(z.read(f"{base}/manifest.json"))
    assert manifest["cases_exported"] == 1
    assert manifest["cases_excluded"] == {"required elements missing": 1}
    assert manifest["identified"] is False
    lines = [json.loads(x) for x in z.read(f"{base}/ivc_filter.ndjson").splitlines()]
    assert [r["resourceType"] for r in lines] == ["Patient", "Procedure"]
    patient_res, procedure = lines
    assert patient_res == {
        "resourceType": "Patient",
        "id": rows[0]["patient_key"],
        "gender": "male",
    }
    assert procedure["subject"] == {"reference": f"Patient/{rows[0]['patient_key']}"}
    assert procedure["performedDateTime"] == "2025-03-03"
    assert procedure["extension"][0]["valueAge"]["value"] == 68
    # The PICC is in its own family.
    picc = selectors.registry_validation(actor=qi, family="central_venous_access", **PERIOD)
    assert [c.record_id for c in picc.included] == [fixed["picc"].pk]
    assert picc.rows()[0]["line_kind"] == "picc"


def test_the_hashed_key_is_stable_per_secret(personas, patient, fixed):
    qi = personas["qi_lead"]

    def keys(secret=None):
        result = selectors.registry_validation(actor=qi, family="ivc_filter", **PERIOD)
        return [c.patient_key for c in result.cases]

    first = keys()
    assert first == keys()
    assert first[0] != first[1]  # two patients, two keys
    with override_settings(SECRET_KEY="another site's secret " * 3):
        other = keys()
    assert set(other).isdisjoint(first)
    explicit = selectors.registry_validation(
        actor=qi, family="ivc_filter", secret="s" * 50, **PERIOD
    )
    assert explicit.cases[0].patient_key == selectors.patient_key(
        patient.pk, selectors.site_key("s" * 50)
    )


def test_identified_export_needs_its_permission_and_logs_each_patient(personas, patient, fixed):
    with pytest.raises(Forbidden):
        registry_export(actor=personas["admin"], family="ivc_filter", identified=True, **PERIOD)
    for name in ("attending", "nurse", "scheduler", "referrer", "auditor"):
        with pytest.raises(Forbidden):
            selectors.registry_validation(actor=personas[name], family="ivc_filter", **PERIOD)
    before = AccessLog.objects.count()
    name, data = registry_export(
        actor=personas["qi_lead"], family="ivc_filter", identified=True, **PERIOD
    )
    assert name.endswith("-identified.zip")
    text = (
        data
        and zipfile.ZipFile(io.BytesIO(data))
        .read(f"{name.removesuffix('.zip')}/ivc_filter.csv")
        .decode()
    )
    assert "Müller" in text and "T0000001" in text and "1956-04-12" in text
    logged = AccessLog.objects.order_by("pk")[before:]
    assert patient.pk in {e.patient_id for e in logged}


def test_mm_selection_on_a_fixed_dataset(personas, patient, fixed):
    nurse = personas["nurse"]
    # A mild event with no admission: not for M&M.
    _event(
        nurse,
        fixed["picc"],
        sir_grade="mild",
        legacy_sir_class="B",
        cirse_grade="2",
        description="Vasovagal episode",
        **ae_facts(care_level="observation"),
    )
    # A mild event that needed an unplanned admission: for M&M.
    _event(
        nurse,
        fixed["second"],
        sir_grade="mild",
        legacy_sir_class="",
        cirse_grade="",
        description="Pain needing admission",
        grade_reason="Graded by the team as mild: admitted for pain control overnight only.",
        **ae_facts(care_level="admission"),
    )
    # A third patient admitted from recovery without a planned overnight stay.
    third = patient_create(
        actor=personas["attending"],
        mrn="T0000003",
        family_name="Lind",
        given_name="Eva",
        birth_date=date(1949, 7, 1),
        sex="F",
    )
    admitted = _case(personas["attending"], third, "PICC", hour=16)
    recovery_discharge(
        actor=nurse,
        procedure_id=admitted.pk,
        disposition="admitted",
        admitted_to="Ward 7",
        discharged_at=admitted.out_at + timedelta(hours=2),
    )
    cases = mm.mm_cases(actor=personas["attending"], **PERIOD)
    summary = [(c.record.pk if c.record else None, c.reasons) for c in cases]
    assert summary == [
        (fixed["first"].pk, ["adverse event moderate or worse"]),
        (fixed["second"].pk, ["unplanned admission"]),
        (admitted.pk, ["unplanned admission"]),
    ]
    first = cases[0]
    assert first.events[0].grades == ["SIR 2017 Moderate", "legacy SIR class C", "CIRSE Grade 3"]
    assert (first.dap_gy_cm2, first.ka_r_mgy) == (19.75, 120.5)
    assert (
        mm.mm_cases(actor=personas["attending"], start=date(2025, 4, 1), end=date(2025, 4, 30))
        == []
    )


def test_pages_by_role_and_the_agenda_pdf(client, personas, patient, fixed):
    query = "start=2025-03-01&end=2025-03-31"
    expect = {
        "qi_lead": (200, 200),
        "admin": (200, 403),
        "attending": (403, 200),
        "nurse": (403, 403),
        "scheduler": (403, 403),
        "referrer": (403, 403),
    }
    for name, (registry, review) in expect.items():
        login(client, personas[name])
        got = client.get(f"/registry/?family=ivc_filter&{query}").status_code
        assert got == registry, (name, "registry", got)
        got = client.get(f"/registry/mm/?{query}").status_code
        assert got == review, (name, "mm", got)
    login(client, personas["qi_lead"])
    page = client.get(f"/registry/?family=ivc_filter&{query}").content.decode()
    assert "1</strong> case will be exported" in page
    assert "required elements missing" in page and "<code>sedation</code>" in page
    assert 'name="identified"' in page
    login(client, personas["admin"])
    assert 'name="identified"' not in client.get(f"/registry/?{query}").content.decode()
    bad = client.get("/registry/?family=ivc_filter&start=2025-03-31&end=2025-03-01")
    assert bad.status_code == 422 and "must end on or after" in bad.content.decode()
    download = client.get(f"/registry/export.zip?family=ivc_filter&{query}")
    assert download["Content-Type"] == "application/zip"
    login(client, personas["attending"])
    review = client.get(f"/registry/mm/?{query}").content.decode()
    assert "MÜLLER, Jörg" in review and "Agenda (PDF)" in review
    before = AccessLog.objects.count()
    pdf = client.get(f"/registry/mm/agenda.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert patient.pk in {e.patient_id for e in AccessLog.objects.order_by("pk")[before:]}
    pdftotext = require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    text = " ".join(text.split())
    assert "Morbidity and mortality meeting" in text
    assert "MÜLLER, Jörg" in text and "Groin haematoma, 4 cm" in text
    assert "DAP 19.75 Gy·cm²" in text


def test_the_registry_export_command(personas, fixed, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command(
        "registry-export",
        "--family",
        "ivc_filter",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
        "--user",
        "qi_lead",
        "--out",
        str(tmp_path),
        stdout=out,
    )
    text = out.getvalue()
    assert "1 case(s) to export" in text and "excluded: 1 — required elements missing" in text
    assert f"procedure record {fixed['second'].pk} (2025-03-03, IVCF-IN): missing sedation" in text
    archive = tmp_path / "registry-ivc_filter-20250301-20250331-deidentified.zip"
    assert zipfile.ZipFile(archive).namelist()
    with pytest.raises(CommandError, match="may not validate and export"):
        call_command(
            "registry-export",
            "--family",
            "biopsy",
            "--from",
            "2025-03-01",
            "--to",
            "2025-03-31",
            "--user",
            "nurse",
            stdout=io.StringIO(),
        )
