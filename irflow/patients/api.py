"""Patients over REST: thin handlers over patients.services and patients.selectors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from irflow.lib.apischema import Day, Moment, if_match_version, perm
from irflow.lib.versions import etag
from irflow.patients import selectors, services
from irflow.patients.models import (
    AllergyCategory,
    Analyte,
    ConditionCode,
    Frequency,
    Patient,
    Severity,
    Sex,
)

router = Router()
API_PREFIX = "/patients"
API_TAGS = ["patients"]


class IdentifierOut(Schema):
    kind: str
    issuer: str
    value: str


class PatientOut(Schema):
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    weight_kg: Decimal | None
    height_cm: Decimal | None
    phone: str
    address: str
    language: str
    identifiers: list[IdentifierOut]
    version: int = Field(description="Grows by one on every change; the ETag carries it.")

    @staticmethod
    def resolve_identifiers(obj: Patient) -> list:
        return list(obj.identifiers.all())


class PatientIn(Schema):
    mrn: str = Field(min_length=1, max_length=64)
    issuer: str | None = Field(None, max_length=64)
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field(min_length=1, max_length=100)
    birth_date: Day
    sex: Sex
    weight_kg: Decimal | None = Field(None, gt=0, le=500)
    height_cm: Decimal | None = Field(None, ge=20, le=260)
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=300)
    language: str = Field("", max_length=10)


class PatientPatch(Schema):
    family_name: str | None = Field(None, min_length=1, max_length=100)
    given_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: Day | None = None
    sex: Sex | None = None
    weight_kg: Decimal | None = Field(None, gt=0, le=500)
    height_cm: Decimal | None = Field(None, ge=20, le=260)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)
    language: str | None = Field(None, max_length=10)


class AllergyIn(Schema):
    agent: str = Field(min_length=1, max_length=200)
    category: AllergyCategory
    severity: Severity
    reaction: str = Field("", max_length=300)


class AllergyOut(Schema):
    id: int
    agent: str
    category: str
    severity: str
    reaction: str
    is_active: bool


class MedicationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    drug: str = Field("", max_length=40)
    dose: Decimal | None = Field(None, ge=0)
    dose_unit: str = Field("", max_length=20)
    frequency: Frequency | Literal[""] = ""
    dose_times: list[str] = Field(default_factory=list, max_length=24)
    is_antithrombotic: bool | None = None
    loading_dose: bool = False
    started_on: Day | None = None


class MedicationOut(Schema):
    id: int
    name: str
    drug: str
    dose: Decimal | None
    dose_unit: str
    frequency: str
    dose_times: list[str]
    is_antithrombotic: bool
    active: bool


class LabIn(Schema):
    analyte: Analyte
    value: Decimal
    collected_at: Moment
    confirm_implausible: bool = Field(
        False,
        description="Save a value outside the plausibility limits as typed (it is refused "
        "with the likely unit otherwise).",
    )


class LabOut(Schema):
    id: int
    analyte: str
    value: Decimal
    unit: str
    collected_at: datetime
    implausible_confirmed: bool


class ConditionIn(Schema):
    code: ConditionCode
    note: str = Field("", max_length=300)
    onset: Day | None = None


class ConditionOut(Schema):
    id: int
    code: str
    note: str
    onset: date | None
    active: bool


class ChartOut(Schema):
    patient: PatientOut
    allergies: list[AllergyOut]
    medications: list[MedicationOut]
    labs: list[LabOut]
    conditions: list[ConditionOut]


class MergeIn(Schema):
    source_id: int
    target_id: int
    reason: str = Field(min_length=1, max_length=300)


class MergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    moved: dict[str, list[int]]


@router.get("", response=list[PatientOut], openapi_extra=perm("patient.view"))
def patient_search(
    request, q: str = "", birth_date: Day | None = None, limit: int = Query(50, ge=1, le=200)
):
    """Search by name ('smith jo'), MRN or date of birth."""
    return selectors.patient_search(actor=request.auth, q=q, birth_date=birth_date, limit=limit)


@router.post("", response={201: PatientOut}, openapi_extra=perm("patient.create"))
def patient_create(request, payload: PatientIn):
    patient = services.patient_create(actor=request.auth, **payload.dict())
    created = selectors.patient_get(actor=request.auth, patient_id=patient.pk, what="created")
    return Status(201, created)


@router.post("/merge", response={201: MergeOut}, openapi_extra=perm("patient.merge"))
def patient_merge(request, payload: MergeIn):
    """Merge a duplicate record (source) into the surviving one (target)."""
    return Status(201, services.patient_merge(actor=request.auth, **payload.dict()))


@router.get(
    "/{patient_id}",
    response=ChartOut,
    openapi_extra=perm("patient.view", etag="the patient record's version"),
)
def patient_chart(request, patient_id: int, response: HttpResponse):
    """The chart; the `ETag` header is the patient record's version (send it back as
    `If-Match` with a PATCH)."""
    chart = selectors.patient_chart(actor=request.auth, patient_id=patient_id)
    response["ETag"] = etag(chart.patient)
    return chart.__dict__


@router.patch(
    "/{patient_id}",
    response=PatientOut,
    openapi_extra=perm("patient.edit", if_match=True),
)
def patient_update(request, patient_id: int, payload: PatientPatch, response: HttpResponse):
    """Change demographics. With `If-Match: "<version>"` (the chart's ETag), a record changed
    since is refused with 412 and nothing is written; without it only the fields sent are
    written, so a concurrent change of another field is kept."""
    changes = payload.dict(exclude_unset=True)
    services.patient_update(
        actor=request.auth,
        patient_id=patient_id,
        expected_version=if_match_version(request),
        **changes,
    )
    patient = selectors.patient_get(actor=request.auth, patient_id=patient_id, what="updated")
    response["ETag"] = etag(patient)
    return patient


@router.post(
    "/{patient_id}/allergies",
    response={201: AllergyOut},
    openapi_extra=perm("patient.clinical_edit"),
)
def allergy_add(request, patient_id: int, payload: AllergyIn):
    allergy = services.allergy_add(actor=request.auth, patient_id=patient_id, **payload.dict())
    return Status(201, allergy)


@router.post(
    "/{patient_id}/medications",
    response={201: MedicationOut},
    openapi_extra=perm("patient.clinical_edit"),
)
def medication_add(request, patient_id: int, payload: MedicationIn):
    med = services.medication_add(actor=request.auth, patient_id=patient_id, **payload.dict())
    return Status(201, med)


@router.post(
    "/{patient_id}/labs", response={201: LabOut}, openapi_extra=perm("patient.clinical_edit")
)
def lab_record(request, patient_id: int, payload: LabIn):
    lab = services.lab_result_record(actor=request.auth, patient_id=patient_id, **payload.dict())
    return Status(201, lab)


@router.post(
    "/{patient_id}/conditions",
    response={201: ConditionOut},
    openapi_extra=perm("patient.clinical_edit"),
)
def condition_add(request, patient_id: int, payload: ConditionIn):
    condition = services.condition_add(actor=request.auth, patient_id=patient_id, **payload.dict())
    return Status(201, condition)
