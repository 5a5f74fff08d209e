"""The pure mappers, without a database: what each element becomes, and the site's systems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from irflow.fhir.base import Site, prune
from irflow.fhir.device import DeviceData, device_resource
from irflow.fhir.diagnostic_report import DiagnosticReportData, diagnostic_report_resource
from irflow.fhir.imaging_study import ImagingStudyData, imaging_study_resource
from irflow.fhir.observation import DoseData, LabData, dose_observation, lab_observation
from irflow.fhir.patient import PatientData, PatientIdentifierData, patient_resource
from irflow.fhir.service_request import OrderData, ProcedureCode, order_resource

SITE = Site(
    system_base="https://hospital.example/fhir",
    mrn_issuer="HOSP",
    issuer_systems={"HOSP": "urn:oid:1.2.3.4"},
    base_url="https://irflow.hospital.example",
)
AT = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def test_patient_identifiers_take_the_sites_systems_and_a_merge_links_both_ways():
    data = PatientData(
        id=7,
        family_name="Müller",
        given_name="Jörg",
        birth_date=date(1956, 4, 12),
        sex="M",
        active=False,
        identifiers=(
            PatientIdentifierData("MR", "HOSP", "T0000001"),
            PatientIdentifierData("NI", "NHS", "9434765919"),
        ),
        merged_into_id=3,
    )
    r = patient_resource(data, SITE)
    assert r["identifier"][0] == {
        "system": "urn:oid:1.2.3.4",
        "value": "T0000001",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                    "code": "MR",
                    "display": "Medical record number",
                }
            ]
        },
        "use": "usual",
    }
    assert r["identifier"][1]["system"] == "https://hospital.example/fhir/sid/patient/NHS"
    assert r["link"] == [{"other": {"reference": "Patient/3"}, "type": "replaced-by"}]
    assert r["gender"] == "male" and r["active"] is False
    survivor = patient_resource(
        PatientData(3, "Müller", "Jörg", date(1956, 4, 12), "M", True, merged_from_ids=(7,)), SITE
    )
    assert survivor["link"] == [{"other": {"reference": "Patient/7"}, "type": "replaces"}]


def test_dose_summary_follows_the_radiation_dose_ig():
    r = dose_observation(
        DoseData(
            id=5,
            patient_id=1,
            performed_at=AT,
            order_id=9,
            dap_total_gy_cm2=77.1,
            ka_r_total_mgy=620.0,
            fluoro_time_total_s=312.0,
        ),
        SITE,
    )
    assert r["id"] == "dose-5"
    assert r["code"]["coding"][0]["code"] == "73569-6"
    assert r["partOf"] == [{"reference": "ImagingStudy/9"}]
    values = {
        c["code"]["coding"][0]["code"]: (c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in r["component"]
    }
    # DAP: irflow's Gy·cm² as DICOM's Gy·m².
    assert values == {
        "113725": (620.0, "mGy"),
        "113722": (0.00771, "Gy.m2"),
        "113730": (312.0, "s"),
    }


def test_a_report_with_a_signed_addendum_is_amended_and_links_its_pdf():
    data = DiagnosticReportData(
        id=4,
        patient_id=1,
        procedure_id=2,
        order_id=9,
        accession_number="IR00000009",
        procedure_name="PICC line insertion",
        signed_at=AT,
        signed_by_id=1,
        signed_by="Dr A. Khan",
        author_id=8,
        author="Dr T. Rainee",
        effective=AT,
        amended=True,
        amended_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
        pdf_url="/reports/4/pdf/",
    )
    r = diagnostic_report_resource(data, SITE)
    assert r["status"] == "amended" and r["issued"] == "2026-03-05T10:00:00+00:00"
    assert r["category"][0]["coding"][0]["code"] == "LP29684-5"
    assert r["presentedForm"] == [
        {
            "contentType": "application/pdf",
            "title": "PICC line insertion report",
            "url": "https://irflow.hospital.example/reports/4/pdf/",
        }
    ]
    assert [i["reference"] for i in r["resultsInterpreter"]] == ["Practitioner/1", "Practitioner/8"]
    final = diagnostic_report_resource(
        DiagnosticReportData(**{**data.__dict__, "amended": False, "pdf": b"%PDF-1.7"}), SITE
    )
    assert final["status"] == "final" and final["presentedForm"][0]["data"] == "JVBERi0xLjc="


def test_an_order_names_its_identifiers_and_priority():
    r = order_resource(
        OrderData(
            id=9,
            patient_id=1,
            status="scheduled",
            priority="emergent",
            procedure=ProcedureCode("PICC", "PICC line insertion"),
            accession_number="IR00000009",
            requested_procedure_id="RP0009",
            created_at=AT,
            placer_order_number="EHR-77",
            referral_id=12,
        ),
        SITE,
    )
    assert r["id"] == "order-9" and r["priority"] == "stat" and r["status"] == "active"
    assert [i["type"]["coding"][0]["code"] for i in r["identifier"]] == ["ACSN", "FILL", "PLAC"]
    assert r["basedOn"] == [{"reference": "ServiceRequest/referral-12"}]
    assert r["code"]["coding"][0]["system"] == "https://hospital.example/fhir/CodeSystem/procedure"


def test_the_study_uid_is_an_oid_urn():
    r = imaging_study_resource(
        ImagingStudyData(
            9, 1, "1.2.826.0.1.3680043.10.1293.9", "IR9", ("XA",), "TACE", "available"
        ),
        SITE,
    )
    assert r["identifier"][0] == {
        "system": "urn:dicom:uid",
        "value": "urn:oid:1.2.826.0.1.3680043.10.1293.9",
    }
    assert r["modality"][0]["code"] == "XA"


def test_a_device_carries_its_udi_and_a_lab_its_loinc_code():
    d = device_resource(
        DeviceData(
            id="used-1",
            patient_id=1,
            name="IVC filter",
            status="active",
            lot="L123",
            expiry=date(2027, 1, 31),
            udi="(01)00884521000011(17)270131(10)L123",
            udi_issuer="GS1",
            device_identifier="00884521000011",
        ),
        SITE,
    )
    assert d["udiCarrier"][0]["issuer"] == "http://hl7.org/fhir/NamingSystem/gs1-di"
    assert d["lotNumber"] == "L123" and d["expirationDate"] == "2027-01-31"
    lab = lab_observation(
        LabData(3, 1, "egfr", "eGFR", Decimal("54.00"), "mL/min/1.73m2", AT), SITE
    )
    assert lab["code"]["coding"][0]["code"] == "62238-1"
    assert lab["valueQuantity"]["code"] == "mL/min/{1.73_m2}"


def test_empty_elements_are_left_out():
    assert prune({"a": "", "b": [], "c": {"d": None}, "e": [{}], "f": 0, "g": False}) == {
        "f": 0,
        "g": False,
    }


def test_a_service_request_sent_as_a_referral():
    from irflow.fhir.referral_in import ResourceInvalid, referral_in

    sr = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "asap",
        "subject": {"reference": "Patient/12"},
        "code": {
            "coding": [
                {"system": "https://hospital.example/fhir/CodeSystem/procedure", "code": "PICC"}
            ]
        },
        "reasonCode": [{"text": "Long-term antibiotics."}],
        "note": [{"text": "Left arm preferred."}],
        "requester": {"display": "Dr Ng"},
    }
    wanted = referral_in(sr, SITE)
    assert (wanted.patient_id, wanted.urgency, wanted.procedure_code) == (12, "emergent", "PICC")
    assert (
        wanted.relevant_history == "Left arm preferred." and wanted.referring_clinician == "Dr Ng"
    )
    try:
        referral_in({**sr, "status": "draft", "subject": {"reference": "Group/1"}}, SITE)
    except ResourceInvalid as exc:
        assert set(exc.errors) == {"ServiceRequest.status", "ServiceRequest.subject"}
    else:
        raise AssertionError("a draft for a group is not a referral")
