"""Readiness over REST: a booking's readiness and preparation, "is this case ready?" for other
systems, the rule sets (read-only, with sources) and the site policy. Thin: selectors and
services do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status

from irflow.clinical import (
    Allergy,
    CaseInput,
    InputError,
    Intake,
    Lab,
    Medication,
    PatientInput,
    ProcedureInput,
)
from irflow.clinical.findings import State
from irflow.clinical.findings import Status as FindingStatus
from irflow.clinical.inputs import (
    AllergyAgent,
    Analyte,
    ArterialAccess,
    BleedingRisk,
    Consent,
    ContrastRoute,
    IntakeKind,
    PremedicationRegimen,
    RiskChoice,
    Sedation,
    Severity,
    Sex,
    ThromboticRisk,
    Urgency,
)
from irflow.clinical.policy import ValueOrigin
from irflow.clinical.rules import Confidence
from irflow.lib.apischema import LocalTime, Moment, NestedIn, perm
from irflow.lib.errors import ValidationFailed
from irflow.readiness import selectors, services

router = Router()
API_PREFIX = "/readiness"
API_TAGS = ["readiness"]

# The core's vocabularies are the schema's (irflow.clinical: inputs, findings, rules).
Status_ = FindingStatus


class AcknowledgementOut(Schema):
    by: str
    at: str | None
    reason: str


class FindingOut(Schema):
    key: str
    rule_id: str
    rule_set: str
    rule_set_version: str
    source: str
    confidence: Confidence
    verified: bool
    site_default: bool
    status: Status_
    message: str
    inputs: dict[str, Any]
    acknowledgement: AcknowledgementOut | None


class RuleRef(Schema):
    rule_id: str
    rule_set: str
    rule_set_version: str
    source: str
    confidence: Confidence
    verified: bool
    site_default: bool


class PlanItemOut(RuleRef):
    drug: str
    label: str
    action: str
    message: str
    hold_amount: float | None
    hold_unit: str | None
    hold_from: datetime | None
    last_allowed_dose: datetime | None
    restart_not_before: datetime | None
    restart_at: datetime | None
    crcl_ml_min: float | None
    inr_max: float | None
    notes: list[str]


class DoseOut(RuleRef):
    drug: str
    dose_mg: float
    route: str
    at: datetime
    optional: bool
    alternative: str | None


class FastingOut(RuleRef):
    sedation: str
    solid_food_until: datetime
    clear_fluids_until: datetime
    latest: dict[str, datetime]
    message: str
    detail: str


class EvaluationOut(Schema):
    state: State
    blocking: bool
    emergent_override: bool
    urgency: str
    evaluated_at: datetime
    timezone: str
    rule_sets: dict[str, str]
    policy: dict[str, Any]
    findings: list[dict[str, Any]]
    medication_plan: list[PlanItemOut]
    premedication: list[DoseOut]
    fasting: FastingOut | None
    notice: str | None


class SnapshotOut(Schema):
    state: State
    effective_state: State
    evaluated_at: datetime


class BookingReadinessOut(Schema):
    booking_id: int
    state: State = Field(description="After physicians' acknowledgements.")
    rules_state: State = Field(description="The rules' verdict before acknowledgements.")
    blocking: bool
    emergent: bool
    evaluated_at: datetime
    valid_until: datetime | None
    rule_sets: dict[str, str]
    notice: str | None
    findings: list[FindingOut]
    medication_plan: list[PlanItemOut]
    premedication: list[DoseOut]
    fasting: FastingOut | None
    sign_in: SnapshotOut | None


class PreparationOut(Schema):
    booking_id: int
    sedation: str
    contrast_route: str
    premedication: str
    premedication_planned_at: datetime | None
    stay: str
    access_site: str
    consent: str
    medications_confirmed: bool
    allergies_confirmed: bool
    anuric: str
    thrombotic_risk: str
    intake_asked: bool
    last_clear_fluids_at: datetime | None
    last_breast_milk_at: datetime | None
    last_milk_at: datetime | None
    last_light_meal_at: datetime | None
    last_fatty_meal_at: datetime | None


class PreparationPatch(Schema):
    sedation: str | None = None
    contrast_route: str | None = None
    premedication: str | None = None
    stay: str | None = None
    access_site: str | None = None
    consent: str | None = None
    medications_confirmed: bool | None = None
    allergies_confirmed: bool | None = None
    anuric: str | None = None
    thrombotic_risk: str | None = None
    intake_asked: bool | None = None
    last_clear_fluids_at: Moment | None = None
    last_breast_milk_at: Moment | None = None
    last_milk_at: Moment | None = None
    last_light_meal_at: Moment | None = None
    last_fatty_meal_at: Moment | None = None


class LastDoseIn(Schema):
    medication_id: int
    taken_at: Moment


class LastDoseOut(Schema):
    id: int
    medication_id: int
    taken_at: datetime


class AcknowledgementIn(Schema):
    finding_key: str = Field("", max_length=64)
    rule_id: str = Field("", max_length=100)
    reason: str = Field(min_length=1, max_length=500)


class AcknowledgementCreated(Schema):
    id: int
    rule_id: str
    finding_key: str
    status: str
    message: str
    reason: str
    acknowledged_at: datetime


# ------------------------------------------------------------------ evaluation of sent inputs


class ProcedureIn(NestedIn):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field("", max_length=200)
    bleeding_risk: BleedingRisk | None
    operator_choice: RiskChoice | None = None
    arterial_access: ArterialAccess = "none"


class PatientFactsIn(NestedIn):
    age_years: float | None = Field(None, ge=0, le=130)
    weight_kg: float | None = Field(None, gt=0, le=500)
    sex: Sex | None = None
    chronic_liver_disease: bool = False
    on_dialysis: bool = False
    anuric: bool | None = None
    acute_kidney_injury: bool = False
    thrombotic_risk: ThromboticRisk | None = Field(
        None, description="low, moderate or high; decides bridging for warfarin"
    )
    high_thrombotic_risk: bool = Field(False, description="The same as thrombotic_risk “high”.")


class LabFactIn(NestedIn):
    analyte: Analyte
    value: float = Field(ge=0)
    collected_at: Moment


class MedicationFactIn(NestedIn):
    drug: str = Field(min_length=1, max_length=40)
    dose: str | None = None
    doses_per_day: float | None = Field(None, gt=0, le=48)
    interval_hours: float | None = Field(None, gt=0, le=24 * 14)
    dose_times: list[LocalTime] = Field(default_factory=list, max_length=24)
    loading_dose: bool = False
    last_dose_at: Moment | None = None
    antithrombotic: bool = True
    reported: bool = Field(
        False, description="Reported by a referrer, not yet confirmed (counts as present)."
    )


class AllergyFactIn(NestedIn):
    agent: AllergyAgent
    substance: str = ""
    severity: Severity | None = None
    reaction: str = ""
    reported: bool = Field(
        False, description="Reported by a referrer, not yet confirmed (counts as present)."
    )


class IntakeIn(NestedIn):
    kind: IntakeKind
    at: Moment


class CaseIn(Schema):
    procedure: ProcedureIn
    planned_start: Moment
    planned_end: Moment | None = None
    urgency: Urgency
    patient: PatientFactsIn | None = None
    labs: list[LabFactIn] = Field(default_factory=list, max_length=500)
    medications: list[MedicationFactIn] | None = Field(None, max_length=100)
    allergies: list[AllergyFactIn] | None = Field(None, max_length=100)
    contrast_route: ContrastRoute | None = None
    premedication: PremedicationRegimen | None = None
    premedication_planned_at: Moment | None = Field(
        None, description="When the regimen was chosen (default: the evaluation time)."
    )
    sedation: Sedation | None = None
    last_intake: list[IntakeIn] | None = Field(None, max_length=10)
    consent: Consent | None = None
    now: Moment | None = Field(None, description="Evaluate as of this moment (default: now).")


def _patient(facts: PatientFactsIn | None) -> PatientInput:
    if facts is None:
        return PatientInput()
    values = facts.dict()
    if values.pop("high_thrombotic_risk") and values["thrombotic_risk"] is None:
        values["thrombotic_risk"] = "high"
    return PatientInput(**values)


def _case(payload: CaseIn) -> CaseInput:
    try:
        return CaseInput(
            procedure=ProcedureInput(**payload.procedure.dict()),
            planned_start=payload.planned_start,
            planned_end=payload.planned_end,
            urgency=payload.urgency,
            patient=_patient(payload.patient),
            labs=tuple(Lab(**lab.dict()) for lab in payload.labs),
            medications=None
            if payload.medications is None
            else tuple(
                Medication(**{**m.dict(), "dose_times": tuple(m.dose_times)})
                for m in payload.medications
            ),
            allergies=None
            if payload.allergies is None
            else tuple(Allergy(**a.dict()) for a in payload.allergies),
            contrast_route=payload.contrast_route,
            premedication=payload.premedication,
            premedication_planned_at=payload.premedication_planned_at,
            sedation=payload.sedation,
            last_intake=None
            if payload.last_intake is None
            else tuple(Intake(**i.dict()) for i in payload.last_intake),
            consent=payload.consent,
        )
    except InputError as exc:
        raise ValidationFailed({exc.field: str(exc)}) from exc


# ------------------------------------------------------------------ rule sets and policy


class CitationOut(Schema):
    key: str
    text: str


class RuleOut(Schema):
    id: str
    rule_set: str
    rule_set_version: str
    title: str
    description: str
    confidence: Confidence
    verified: bool
    site_default: bool
    source: str
    citations: list[str]
    values: dict[str, dict[str, Any]]
    attributes: dict[str, Any]


class RuleSetOut(Schema):
    id: str
    version: str
    title: str
    summary: str
    citations: list[CitationOut]
    rules: list[RuleOut]


class PolicyValueOut(Schema):
    rule_id: str
    param: str
    title: str
    rule_set: str
    rule_set_version: str
    source: str
    confidence: Confidence
    kind: str
    value: Any
    default: Any
    origin: ValueOrigin
    unit: str
    range: list[float] | None
    verified: bool
    site_default: bool


class PolicyOut(Schema):
    overrides: dict[str, dict[str, Any]]
    timezone: str
    arrival_lead_min: int
    letterhead: dict[str, str]
    version: int
    updated_at: datetime | None
    values: list[PolicyValueOut]


class LetterheadIn(Schema):
    hospital_name: str = Field("", max_length=200)
    department_name: str = Field("", max_length=200)
    department_phone: str = Field("", max_length=40)
    out_of_hours_phone: str = Field("", max_length=40)
    department_address: str = Field("", max_length=500)


class PolicyIn(Schema):
    overrides: dict[str, dict[str, Any]]
    arrival_lead_min: int | None = Field(None, ge=0, le=480)
    letterhead: LetterheadIn | None = Field(
        None, description="Hospital and department printed on patient letters (blank: left out)."
    )


def _readiness_out(view: selectors.BookingReadiness) -> dict[str, Any]:
    data = view.data
    snap = view.snapshot
    return {
        "booking_id": view.booking.pk,
        "state": snap.effective_state,
        "rules_state": snap.state,
        "blocking": snap.blocking,
        "emergent": snap.emergent,
        "evaluated_at": snap.evaluated_at,
        "valid_until": snap.valid_until,
        "rule_sets": snap.rule_sets,
        "notice": data.get("notice"),
        "findings": data["findings"],
        "medication_plan": data["medication_plan"],
        "premedication": data["premedication"],
        "fasting": data["fasting"],
        "sign_in": view.sign_in,
    }


@router.get(
    "/bookings/{booking_id}", response=BookingReadinessOut, openapi_extra=perm("readiness.view")
)
def booking_readiness(request, booking_id: int):
    """Is this booked patient ready? Every finding names its rule, source and confidence."""
    return _readiness_out(selectors.booking_readiness(actor=request.auth, booking_id=booking_id))


@router.get(
    "/bookings/{booking_id}/preparation",
    response=PreparationOut,
    openapi_extra=perm("readiness.view"),
)
def preparation_get(request, booking_id: int):
    view = selectors.booking_readiness(
        actor=request.auth, booking_id=booking_id, what="preparation"
    )
    return view.preparation


@router.patch(
    "/bookings/{booking_id}/preparation",
    response=PreparationOut,
    openapi_extra=perm("preparation.edit"),
)
def preparation_update(request, booking_id: int, payload: PreparationPatch):
    """Record sedation, contrast, premedication, access site, consent, intake (partial)."""
    changes = payload.dict(exclude_unset=True)
    return services.preparation_update(actor=request.auth, booking_id=booking_id, **changes)


@router.post(
    "/bookings/{booking_id}/last-doses",
    response={201: LastDoseOut},
    openapi_extra=perm("preparation.edit"),
)
def last_dose_record(request, booking_id: int, payload: LastDoseIn):
    """When the patient last took one of their antithrombotics."""
    dose = services.last_dose_record(actor=request.auth, booking_id=booking_id, **payload.dict())
    return Status(201, dose)


@router.post(
    "/bookings/{booking_id}/acknowledgements",
    response={201: AcknowledgementCreated},
    openapi_extra=perm("readiness.acknowledge"),
)
def finding_acknowledge(request, booking_id: int, payload: AcknowledgementIn):
    """A physician overrides one finding (by key, or by rule id when it has one finding)."""
    ack = services.finding_acknowledge(actor=request.auth, booking_id=booking_id, **payload.dict())
    return Status(201, ack)


@router.post("/evaluate", response=EvaluationOut, openapi_extra=perm("readiness.evaluate"))
def case_evaluate(request, payload: CaseIn):
    """Evaluate a case sent by another system; nothing is stored."""
    return selectors.case_evaluate(actor=request.auth, case=_case(payload), now=payload.now)


@router.get("/rulesets", response=list[RuleSetOut], openapi_extra=perm("ruleset.view"))
def rulesets_list(request):
    """Every rule set with its rules, sources, confidence and this site's values."""
    return selectors.rulesets_list(actor=request.auth)


@router.get("/rulesets/{ruleset_id}", response=RuleSetOut, openapi_extra=perm("ruleset.view"))
def ruleset_get(request, ruleset_id: str):
    return selectors.ruleset_get(actor=request.auth, ruleset_id=ruleset_id)


@router.get("/policy", response=PolicyOut, openapi_extra=perm("ruleset.view"))
def policy_get(request):
    """The site policy: each configurable value, where it comes from, and its source."""
    return selectors.policy_view(actor=request.auth)


@router.put("/policy", response=PolicyOut, openapi_extra=perm("policy.manage"))
def policy_put(request, payload: PolicyIn):
    """Replace the site's overrides; a value outside the published range is refused."""
    services.policy_update(actor=request.auth, **payload.dict())
    return selectors.policy_view(actor=request.auth)
