"""Typed, frozen inputs of a readiness evaluation; each validates itself on construction.

Units: INR ratio; platelets 10^9/L; haemoglobin g/L; creatinine µmol/L; eGFR mL/min/1.73 m²
as reported by the laboratory; fibrinogen g/L (the rule data keep the published mg/dL value
and the comparison converts). `None` always means "not recorded" and never passes a rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal, get_args

import irflow.clinical.messages as msg
from irflow.clinical.timeutil import utc

BleedingRisk = Literal["low", "high", "operator_decides"]
RiskChoice = Literal["low", "high"]
Urgency = Literal["emergent", "urgent", "routine"]
Analyte = Literal["inr", "platelets", "haemoglobin", "creatinine", "egfr", "fibrinogen"]
Sex = Literal["female", "male"]
ArterialAccess = Literal["none", "femoral", "radial", "unspecified"]
ContrastRoute = Literal["none", "iv", "ia_first_pass", "ia_second_pass"]
Sedation = Literal["none", "local", "minimal", "moderate", "deep", "general"]
Consent = Literal["signed", "pending", "not_required"]
IntakeKind = Literal["clear", "breast_milk", "non_human_milk", "light_meal", "fatty_meal"]
AllergyAgent = Literal[
    "iodinated_contrast", "gadolinium", "latex", "shellfish", "iodine", "drug", "food", "other"
]
Severity = Literal["mild", "moderate", "severe"]
PremedicationRegimen = Literal["prednisone", "methylprednisolone", "accelerated_iv"]
ThromboticRisk = Literal["low", "moderate", "high"]

ANALYTES: tuple[Analyte, ...] = get_args(Analyte)
INTAKE_KINDS: tuple[IntakeKind, ...] = get_args(IntakeKind)
SEDATION_LEVELS: tuple[Sedation, ...] = get_args(Sedation)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
CONTRAST_ROUTES: tuple[ContrastRoute, ...] = get_args(ContrastRoute)
CONSENT_STATES: tuple[Consent, ...] = get_args(Consent)
PREMEDICATION_REGIMENS: tuple[PremedicationRegimen, ...] = get_args(PremedicationRegimen)
ARTERIAL_ACCESSES: tuple[ArterialAccess, ...] = get_args(ArterialAccess)
THROMBOTIC_RISKS: tuple[ThromboticRisk, ...] = get_args(ThromboticRisk)
ANALYTE_UNITS: dict[Analyte, str] = {
    "inr": "",
    "platelets": "×10⁹/L",
    "haemoglobin": "g/L",
    "creatinine": "µmol/L",
    "egfr": "mL/min/1.73m²",
    "fibrinogen": "g/L",
}


class InputError(ValueError):
    """An input value is malformed; names the field."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(msg.INPUT_INVALID.format(field=field_name, reason=reason))
        self.field = field_name


def _choice(name: str, value: object, allowed: Iterable[object], optional: bool = False) -> None:
    if optional and value is None:
        return
    options = tuple(allowed)
    if value not in options:
        raise InputError(name, msg.INPUT_NOT_ONE_OF.format(options=", ".join(map(str, options))))


def _aware(name: str, value: datetime | None, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InputError(name, msg.INPUT_NAIVE_DATETIME)


def _amount(name: str, value: float | None, optional: bool = True, positive: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(name, msg.INPUT_NOT_A_NUMBER)
    if value < 0:
        raise InputError(name, msg.INPUT_NEGATIVE)
    if positive and value == 0:
        raise InputError(name, msg.INPUT_NOT_POSITIVE)


@dataclass(frozen=True)
class ProcedureInput:
    """What the catalogue and the booking say about the procedure."""

    code: str
    name: str
    bleeding_risk: BleedingRisk | None
    operator_choice: RiskChoice | None = None
    arterial_access: ArterialAccess = "none"

    def __post_init__(self) -> None:
        _choice("bleeding_risk", self.bleeding_risk, get_args(BleedingRisk), optional=True)
        _choice("operator_choice", self.operator_choice, get_args(RiskChoice), optional=True)
        _choice("arterial_access", self.arterial_access, get_args(ArterialAccess))


@dataclass(frozen=True)
class PatientInput:
    """Demographics and the conditions that change the rules (False = not present).

    `thrombotic_risk` is the risk of thrombosis while an anticoagulant is interrupted (low,
    moderate or high); None means not recorded.
    """

    age_years: float | None = None
    weight_kg: float | None = None
    sex: Sex | None = None
    chronic_liver_disease: bool = False
    on_dialysis: bool = False
    anuric: bool | None = None
    acute_kidney_injury: bool = False
    thrombotic_risk: ThromboticRisk | None = None

    def __post_init__(self) -> None:
        _amount("age_years", self.age_years)
        _amount("weight_kg", self.weight_kg)
        _choice("sex", self.sex, get_args(Sex), optional=True)
        _choice("thrombotic_risk", self.thrombotic_risk, THROMBOTIC_RISKS, optional=True)


@dataclass(frozen=True)
class Lab:
    """One lab result: analyte, value in irflow's unit for it, time taken."""

    analyte: Analyte
    value: float
    collected_at: datetime

    def __post_init__(self) -> None:
        _choice("analyte", self.analyte, ANALYTES)
        _amount("value", self.value, optional=False)
        _aware("collected_at", self.collected_at)


@dataclass(frozen=True)
class Medication:
    """One medication; frequency as doses per day or an interval in hours (interval wins).

    `dose_times` are the patient's usual wall-clock dose times in the site's time zone.
    `last_dose_at` is when the patient last took it (or an infusion stopped), if recorded.
    `reported` marks one a referrer reported that the team has not confirmed yet: the rules
    treat it as present and say that it is unconfirmed.
    """

    drug: str
    dose: str | None = None
    doses_per_day: float | None = None
    interval_hours: float | None = None
    dose_times: tuple[time, ...] = ()
    loading_dose: bool = False
    last_dose_at: datetime | None = None
    antithrombotic: bool = True
    reported: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug:
            raise InputError("drug", msg.INPUT_EMPTY)
        _amount("doses_per_day", self.doses_per_day, positive=True)
        _amount("interval_hours", self.interval_hours, positive=True)
        if not all(isinstance(t, time) and t.tzinfo is None for t in self.dose_times):
            raise InputError("dose_times", msg.INPUT_DOSE_TIMES)
        object.__setattr__(self, "dose_times", tuple(sorted(set(self.dose_times))))
        _aware("last_dose_at", self.last_dose_at, optional=True)


@dataclass(frozen=True)
class Allergy:
    """One recorded allergy or prior reaction, by agent category (`reported`: reported by a
    referrer and not yet confirmed; the rules treat it as present)."""

    agent: AllergyAgent
    substance: str = ""
    severity: Severity | None = None
    reaction: str = ""
    reported: bool = False

    def __post_init__(self) -> None:
        _choice("agent", self.agent, get_args(AllergyAgent))
        _choice("severity", self.severity, get_args(Severity), optional=True)


@dataclass(frozen=True)
class Intake:
    """The last time the patient took this kind of food or drink, as they reported it."""

    kind: IntakeKind
    at: datetime

    def __post_init__(self) -> None:
        _choice("kind", self.kind, INTAKE_KINDS)
        _aware("at", self.at)


@dataclass(frozen=True)
class CaseInput:
    """Everything a readiness evaluation reads. Collections set to None were not recorded.

    An empty `medications` or `allergies` tuple means "recorded: none"; an empty
    `last_intake` means "nothing by mouth reported". The contrast is taken to be given at
    the planned start. `premedication_planned_at` is when the regimen was chosen (the patient
    can take no dose before being told); not recorded, the evaluation time stands in.
    """

    procedure: ProcedureInput
    planned_start: datetime
    urgency: Urgency
    patient: PatientInput = field(default_factory=PatientInput)
    planned_end: datetime | None = None
    labs: tuple[Lab, ...] = ()
    medications: tuple[Medication, ...] | None = None
    allergies: tuple[Allergy, ...] | None = None
    contrast_route: ContrastRoute | None = None
    premedication: PremedicationRegimen | None = None
    premedication_planned_at: datetime | None = None
    sedation: Sedation | None = None
    last_intake: tuple[Intake, ...] | None = None
    consent: Consent | None = None

    def __post_init__(self) -> None:
        _aware("planned_start", self.planned_start)
        _aware("planned_end", self.planned_end, optional=True)
        _aware("premedication_planned_at", self.premedication_planned_at, optional=True)
        if self.planned_end is not None and utc(self.planned_end) < utc(self.planned_start):
            raise InputError("planned_end", msg.INPUT_END_BEFORE_START)
        _choice("urgency", self.urgency, URGENCIES)
        _choice("contrast_route", self.contrast_route, CONTRAST_ROUTES, optional=True)
        _choice("premedication", self.premedication, PREMEDICATION_REGIMENS, optional=True)
        _choice("sedation", self.sedation, SEDATION_LEVELS, optional=True)
        _choice("consent", self.consent, CONSENT_STATES, optional=True)
        for name in ("labs", "medications", "allergies", "last_intake"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value))
