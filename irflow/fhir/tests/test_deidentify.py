"""The bulk export's de-identification, pure: names and free text gone, identifiers and ids
hashed per export (references still resolve), dates shifted by one offset per patient, the
birth date reduced to its year."""

from __future__ import annotations

from datetime import date

from irflow.fhir.deidentify import REMOVED, Deidentifier

PATIENT = {
    "resourceType": "Patient",
    "id": "7",
    "identifier": [{"system": "http://x/sid/patient/HOSP", "value": "D1010000"}, {"value": "X9"}],
    "name": [{"family": "Okafor", "given": ["Ada"]}],
    "telecom": [{"system": "phone", "value": "0123"}],
    "birthDate": "1950-06-30",
    "gender": "female",
    "meta": {"lastUpdated": "2026-03-04T10:00:00Z"},
}
PROCEDURE = {
    "resourceType": "Procedure",
    "id": "procedure-3",
    "status": "completed",
    "subject": {"reference": "Patient/7", "display": "OKAFOR, Ada"},
    "performedPeriod": {"start": "2026-03-01T09:30:00+00:00", "end": "2026-03-01T10:15:00+00:00"},
    "code": {"coding": [{"system": "http://x/cs", "code": "P1", "display": "Drain"}], "text": "x"},
    "reasonCode": [{"text": "Mrs Okafor's abscess"}],
    "note": [{"text": "Ada was calm"}],
    "text": {"status": "generated", "div": "<div>Okafor</div>"},
}
STUDY = {
    "resourceType": "ImagingStudy",
    "id": "9",
    "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:1.2.826.0.1.3680043.2"}],
    "subject": {"reference": "Patient/7"},
    "started": "2026-03-01",
}


def test_names_identifiers_and_free_text_go():
    deid = Deidentifier()
    patient = deid.resource(PATIENT, "7")
    text = repr(patient) + repr(deid.resource(PROCEDURE, "7"))
    for secret in ("Okafor", "Ada", "D1010000", "X9", "0123", "1950-06-30", "abscess", "calm"):
        assert secret not in text, secret
    assert patient["birthDate"] == "1950" and patient["gender"] == "female"
    assert "name" not in patient and "telecom" not in patient
    procedure = deid.resource(PROCEDURE, "7")
    assert procedure["reasonCode"] == [{"text": REMOVED}]
    assert procedure["code"] == {"coding": PROCEDURE["code"]["coding"]}
    assert "note" not in procedure and "text" not in procedure
    assert procedure["subject"] == {"reference": f"Patient/{patient['id']}"}
    uid = deid.resource(STUDY, "7")["identifier"][0]["value"]
    assert uid.startswith("urn:oid:2.25.") and uid.removeprefix("urn:oid:2.25.").isdigit()


def test_one_date_shift_per_patient_and_one_key_per_export():
    deid = Deidentifier()
    patient = deid.resource(PATIENT, "7")
    procedure = deid.resource(PROCEDURE, "7")
    study = deid.resource(STUDY, "7")
    shift = date.fromisoformat(study["started"]) - date(2026, 3, 1)
    assert shift.days != 0
    assert procedure["performedPeriod"]["start"][:10] == study["started"]
    assert procedure["performedPeriod"]["start"][10:] == "T09:30:00+00:00"
    assert patient["meta"]["lastUpdated"] == f"{date(2026, 3, 4) + shift}T10:00:00Z"
    other = Deidentifier()
    again = other.resource(PATIENT, "7")
    assert again["id"] != patient["id"]
    assert again["identifier"][0]["value"] != patient["identifier"][0]["value"]
    assert deid.resource(PATIENT, "7") == patient  # consistent within the export
    # A resource of no patient is not shifted.
    assert Deidentifier().resource(STUDY, None)["started"] == "2026-03-01"
