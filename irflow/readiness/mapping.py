"""From the database to the core's CaseInput: the one place that says which stored fact feeds
which rule input.

- procedure: the catalogue's bleeding-risk category, the operator's recorded choice on the
  order, arterial access from the preparation (catalogue `arterial_access` -> "unspecified",
  so the stricter femoral limit applies until the site is recorded);
- planned start and end: the booking; urgency: the order's priority;
- patient: age on the day of the procedure, weight, sex (O/U -> not recorded), conditions;
  the thrombotic risk from the preparation, else "high" when the chart lists a high
  thrombotic risk, else not recorded;
- labs with their collection times (fibrinogen is stored in g/L, as the core expects);
- medications and allergies a referrer reported count as present (marked unconfirmed) until
  the team confirms or rejects them;
- medications: recorded as "none" only when the list was confirmed for this booking;
  frequency -> doses per day, usual dose times, and the last dose asked for this booking;
- allergies by category (an empty list counts only once allergies were asked about);
- contrast route, premedication, sedation, last intake and consent: the preparation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast

from django.utils import timezone

from irflow.clinical import (
    Allergy,
    CaseInput,
    Intake,
    Lab,
    Medication,
    PatientInput,
    ProcedureInput,
    SitePolicy,
    rulesets,
)
from irflow.clinical.findings import jsonable
from irflow.clinical.inputs import ANALYTES, ArterialAccess, ContrastRoute
from irflow.clinical.labs import validity_days
from irflow.patients.models import DOSES_PER_DAY, ConditionCode
from irflow.patients.models import Allergy as AllergyRow
from irflow.patients.models import Condition as ConditionRow
from irflow.patients.models import LabResult as LabRow
from irflow.patients.models import Medication as MedicationRow
from irflow.readiness.models import INTAKE_FIELDS, LastDose, Preparation

SEX = {"F": "female", "M": "male"}
# Labs older than the longest validity window (plus a margin for the procedure day) are
# never read; loading them would only slow the evaluation down.
LAB_MARGIN_DAYS = 2


@dataclass(frozen=True)
class Facts:
    """Everything stored that one booking's evaluation reads, loaded once."""

    booking: Any
    preparation: Preparation
    labs: tuple[LabRow, ...]
    medications: tuple[MedicationRow, ...]
    allergies: tuple[AllergyRow, ...]
    conditions: tuple[ConditionRow, ...]
    last_doses: tuple[LastDose, ...]


def preparation_defaults(procedure_type) -> dict[str, str]:
    """A new booking's preparation, from the catalogue: sedation, contrast route, access."""
    arterial = bool(procedure_type.arterial_access)
    route: ContrastRoute
    if not procedure_type.uses_contrast:
        route = "none"
    elif arterial:
        # Not knowing where the catheter sits, assume the riskier first-pass exposure.
        route = "ia_first_pass"
    else:
        route = "iv"
    return {
        "sedation": procedure_type.default_sedation or "",
        "contrast_route": route,
        "access_site": _default_access(procedure_type),
    }


def lab_window_start(planned_start: datetime, policy: SitePolicy) -> datetime:
    """The earliest collection time any lab rule can use for this booking."""
    longest = max(validity_days(a, policy) for a in ANALYTES)
    return planned_start - timedelta(days=longest + LAB_MARGIN_DAYS)


def _time(value: str) -> time | None:
    try:
        return datetime.strptime(value.strip(), "%H:%M").time()
    except (ValueError, AttributeError):
        return None


def _medication(row: MedicationRow, last_dose_at: datetime | None) -> Medication:
    per_day = DOSES_PER_DAY.get(row.frequency)
    dose = f"{row.dose.normalize():f} {row.dose_unit}".strip() if row.dose is not None else None
    times = tuple(t for t in (_time(v) for v in row.dose_times or []) if t is not None)
    return Medication(
        drug=row.drug or row.name.strip().lower() or "unknown",
        dose=dose,
        doses_per_day=per_day,
        dose_times=times,
        loading_dose=row.loading_dose,
        last_dose_at=last_dose_at,
        antithrombotic=row.is_antithrombotic,
        reported=row.to_confirm,
    )


def case_input(facts: Facts) -> CaseInput:
    """The core's input for one booking (see the module docstring for each mapping)."""
    booking, prep = facts.booking, facts.preparation
    order = booking.order
    procedure_type = order.procedure_type
    patient = booking.patient
    active = {c.code for c in facts.conditions if c.active}
    on_dialysis = ConditionCode.DIALYSIS in active
    if ConditionCode.ANURIC in active:
        anuric: bool | None = True
    else:
        anuric = {"yes": True, "no": False}.get(prep.anuric)
    local_day = timezone.localtime(booking.start).date()
    medications = tuple(m for m in facts.medications if m.active)
    last_by_med = {d.medication_id: d.taken_at for d in facts.last_doses}
    allergies = tuple(a for a in facts.allergies if a.is_active)
    intakes = tuple(
        Intake(kind=cast(Any, kind), at=getattr(prep, field))
        for kind, field in INTAKE_FIELDS.items()
        if getattr(prep, field) is not None
    )
    intake_recorded = prep.intake_asked or bool(intakes)
    return CaseInput(
        procedure=ProcedureInput(
            code=procedure_type.code,
            name=procedure_type.name,
            bleeding_risk=procedure_type.bleeding_risk or None,
            operator_choice=order.bleeding_risk_choice or None,
            arterial_access=cast(Any, prep.access_site or _default_access(procedure_type)),
        ),
        planned_start=booking.start,
        planned_end=booking.end,
        urgency=order.priority,
        patient=PatientInput(
            age_years=patient.age_on(local_day),
            weight_kg=float(patient.weight_kg) if patient.weight_kg is not None else None,
            sex=cast(Any, SEX.get(patient.sex)),
            chronic_liver_disease=ConditionCode.CHRONIC_LIVER_DISEASE in active,
            on_dialysis=on_dialysis,
            anuric=anuric,
            acute_kidney_injury=ConditionCode.ACUTE_KIDNEY_INJURY in active,
            thrombotic_risk=cast(Any, prep.thrombotic_risk or None)
            or ("high" if ConditionCode.HIGH_THROMBOTIC_RISK in active else None),
        ),
        labs=tuple(
            Lab(
                analyte=cast(Any, lab.analyte),
                value=float(lab.value),
                collected_at=lab.collected_at,
            )
            for lab in facts.labs
        ),
        medications=(
            tuple(_medication(m, last_by_med.get(m.pk)) for m in medications)
            if medications or prep.medications_confirmed
            else None
        ),
        allergies=(
            tuple(
                Allergy(
                    agent=cast(Any, a.category),
                    substance=a.agent,
                    severity=cast(Any, a.severity or None),
                    reaction=a.reaction,
                    reported=a.to_confirm,
                )
                for a in allergies
            )
            if allergies or prep.allergies_confirmed
            else None
        ),
        contrast_route=cast(Any, prep.contrast_route or None),
        premedication=cast(Any, prep.premedication or None),
        premedication_planned_at=prep.premedication_planned_at if prep.premedication else None,
        sedation=cast(Any, prep.sedation or None),
        last_intake=intakes if intake_recorded else None,
        consent=cast(Any, prep.consent or None),
    )


def _default_access(procedure_type) -> ArterialAccess:
    return "unspecified" if procedure_type.arterial_access else "none"


def fingerprint(case: CaseInput, policy: SitePolicy, extra: Iterable[str] = ()) -> str:
    """A stable hash of every input, the policy and `extra` (acknowledgement keys)."""

    data = {
        "case": jsonable(asdict(case)),
        "policy": policy.to_mapping(),
        "timezone": policy.timezone,
        "rule_sets": {rs.id: rs.version for rs in rulesets()},
        "extra": sorted(extra),
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
