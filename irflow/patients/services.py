"""Writes of patient data. Each function checks permission, validates, and writes in one
transaction with history attributed to the actor."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.permissions import OWN, require
from irflow.accounts.roles import Role
from irflow.clinical import DEFAULT_POLICY, SitePolicy
from irflow.clinical.inputs import Analyte as AnalyteKey
from irflow.clinical.plausibility import lab_plausibility
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, NotFound, ValidationFailed, from_django_validation
from irflow.lib.history import history_actor
from irflow.lib.versions import check_version, locked, save_changes
from irflow.patients.drugs import ANTITHROMBOTICS
from irflow.patients.models import (
    ANALYTE_UNITS,
    Allergy,
    CareRelation,
    Condition,
    IdentifierKind,
    LabResult,
    Medication,
    Patient,
    PatientIdentifier,
    PatientMerge,
    Reconciliation,
)
from irflow.patients.reported import MAX_LINE, MAX_LINES, allergy_from_text, lines
from irflow.patients.reported import medication_from_text as medication_fields
from irflow.patients.selectors import patient_get
from irflow.patients.signals import site_policy_wanted

MSG_MRN_TAKEN = "MRN {mrn} is already used by another patient (issuer {issuer})."
MSG_MRN_REQUIRED = "An MRN is required."
MSG_BIRTH_IN_FUTURE = "The date of birth cannot be in the future."
MSG_COLLECTED_IN_FUTURE = "The collection time cannot be in the future."
MSG_LAB_NEGATIVE = "A lab value cannot be negative."
MSG_LAB_CONFIRM = "Confirm that the value is right as typed to save it anyway."
MSG_MERGE_SELF = "A record cannot be merged into itself."
MSG_MERGE_INACTIVE = "Both records must be active to merge."
MSG_MERGE_REASON = "Give a reason for the merge."
MSG_DOSE_TIME = "“{value}” is not a time (use HH:MM)."
MSG_NOT_NULL = "This field cannot be null."
MSG_SEVERITY = "Choose the severity: mild, moderate or severe."
MSG_NOT_TO_CONFIRM = "This entry is not waiting for confirmation (it is {state})."
MSG_NO_ENTRY = "No such entry on the chart."
MSG_DECISION = "Choose confirm or reject."
MSG_TOO_MANY_LINES = "At most {limit} lines."
MSG_LINE_TOO_LONG = "Line {n} is longer than {limit} characters."

PATIENT_FIELDS = (
    "family_name",
    "given_name",
    "birth_date",
    "sex",
    "weight_kg",
    "height_cm",
    "phone",
    "address",
    "language",
)


def _clean_and_save(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    obj.save()


def _check_birth_date(birth_date: Any) -> None:
    if isinstance(birth_date, date) and birth_date > timezone.localdate():
        raise ValidationFailed({"birth_date": MSG_BIRTH_IN_FUTURE})


@transaction.atomic
def patient_create(
    *,
    actor: Actor,
    mrn: str,
    family_name: str,
    given_name: str,
    birth_date: date,
    sex: str,
    issuer: str | None = None,
    **fields: Any,
) -> Patient:
    """Register a patient with a hospital MRN (unique per issuer)."""
    scope = require(actor, "patient.create")
    issuer = issuer or settings.IRFLOW_MRN_ISSUER
    mrn = (mrn or "").strip()
    errors: dict[str, str] = {
        f: "Unknown field." for f in sorted(set(fields) - set(PATIENT_FIELDS))
    }
    if not mrn:
        errors["mrn"] = MSG_MRN_REQUIRED
    elif PatientIdentifier.objects.filter(issuer=issuer, value=mrn).exists():
        errors["mrn"] = MSG_MRN_TAKEN.format(mrn=mrn, issuer=issuer)
    if isinstance(birth_date, date) and birth_date > timezone.localdate():
        errors["birth_date"] = MSG_BIRTH_IN_FUTURE
    if errors:
        raise ValidationFailed(errors)
    patient = Patient(
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        birth_date=birth_date,
        sex=sex,
        created_by=person(actor),
        **fields,
    )
    with history_actor(actor):
        _clean_and_save(patient)
        try:
            with transaction.atomic():
                PatientIdentifier.objects.create(
                    patient=patient, kind=IdentifierKind.MRN, issuer=issuer, value=mrn
                )
        except IntegrityError as exc:  # a concurrent registration took the MRN
            if not violates(
                exc,
                constraints=("identifier_unique_per_issuer",),
                unique=[("issuer", "value")],
            ):
                raise
            raise ValidationFailed({"mrn": MSG_MRN_TAKEN.format(mrn=mrn, issuer=issuer)}) from exc
        if scope is OWN or actor.role == Role.REFERRER:
            # Their own registration: a referral of theirs later cancelled does not end it.
            CareRelation.objects.get_or_create(
                patient=patient, clinician=person_only(actor), defaults={"reason": "registered"}
            )
    return patient


@transaction.atomic
def patient_update(
    *, actor: Actor, patient_id: int, expected_version: int | None = None, **changes: Any
) -> Patient:
    """Change demographics; unknown fields are refused, not ignored.

    The row is locked and only the changed fields are written, so a concurrent change of
    another field is kept; with `expected_version` (If-Match, a form's hidden version) a
    record changed since is refused with VersionConflict and nothing is written."""
    patient_get(actor=actor, patient_id=patient_id, what="edit", action="patient.edit")
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationFailed({f: "This field cannot be changed here." for f in sorted(unknown)})
    patient = locked(Patient, patient_id)
    check_version(patient, expected_version)
    # full_clean() lets None through for blank text fields, and the database then refuses it.
    nulls = [f for f, v in changes.items() if v is None and not Patient._meta.get_field(f).null]
    if nulls:
        raise ValidationFailed({f: MSG_NOT_NULL for f in sorted(nulls)})
    if "birth_date" in changes:
        _check_birth_date(changes["birth_date"])
    cleaned = {f: v.strip() if isinstance(v, str) else v for f, v in changes.items()}
    with history_actor(actor):
        save_changes(patient, cleaned, exclude=["merged_into"])
    return patient


@transaction.atomic
def identifier_add(
    *, actor: Actor, patient_id: int, issuer: str, value: str, kind: str
) -> PatientIdentifier:
    patient = patient_get(actor=actor, patient_id=patient_id, what="edit", action="patient.edit")
    if PatientIdentifier.objects.filter(issuer=issuer, value=value).exists():
        raise ValidationFailed({"value": MSG_MRN_TAKEN.format(mrn=value, issuer=issuer)})
    ident = PatientIdentifier(patient=patient, issuer=issuer, value=value, kind=kind)
    with history_actor(actor):
        _clean_and_save(ident)
    return ident


MSG_IDENTIFIER_UNKNOWN = "No patient has identifier {value} (issuer {issuer})."


@transaction.atomic
def identifier_change(
    *, actor: Actor, issuer: str, value: str, new_value: str, new_issuer: str | None = None
) -> PatientIdentifier:
    """Correct a patient's identifier (the hospital's "change identifier", HL7 A47): the same
    row gets the new value, its history says what it was."""
    new_issuer = new_issuer or issuer
    ident = PatientIdentifier.objects.select_for_update().filter(issuer=issuer, value=value).first()
    if ident is None:
        raise ValidationFailed({"value": MSG_IDENTIFIER_UNKNOWN.format(value=value, issuer=issuer)})
    patient_get(actor=actor, patient_id=ident.patient_id, what="edit", action="patient.edit")
    if (new_issuer, new_value) == (issuer, value):
        return ident
    if PatientIdentifier.objects.filter(issuer=new_issuer, value=new_value).exists():
        raise ValidationFailed(
            {"new_value": MSG_MRN_TAKEN.format(mrn=new_value, issuer=new_issuer)}
        )
    ident.issuer, ident.value = new_issuer, new_value.strip()
    with history_actor(actor):
        _clean_and_save(ident)
    return ident


def _clinical_patient(actor: Actor, patient_id: int) -> Patient:
    require(actor, "patient.clinical_edit")
    return patient_get(
        actor=actor, patient_id=patient_id, what="clinical edit", action="patient.clinical_edit"
    )


@transaction.atomic
def allergy_add(
    *, actor: Actor, patient_id: int, agent: str, category: str, severity: str, reaction: str = ""
) -> Allergy:
    """Record an allergy or prior reaction (contrast reactions drive premedication)."""
    patient = _clinical_patient(actor, patient_id)
    if not severity:
        raise ValidationFailed({"severity": MSG_SEVERITY})
    allergy = Allergy(
        patient=patient,
        agent=agent.strip(),
        category=category,
        severity=severity,
        reaction=reaction,
    )
    with history_actor(actor):
        _clean_and_save(allergy)
    return allergy


@transaction.atomic
def allergy_deactivate(*, actor: Actor, allergy_id: int) -> Allergy:
    allergy = Allergy.objects.select_related("patient").get(pk=allergy_id)
    _clinical_patient(actor, allergy.patient_id)
    allergy.is_active = False
    with history_actor(actor):
        allergy.save(update_fields=["is_active"])
    return allergy


def _parse_dose_times(values: list[str]) -> list[str]:
    cleaned = []
    for value in values:
        try:
            cleaned.append(datetime.strptime(value.strip(), "%H:%M").strftime("%H:%M"))
        except (ValueError, AttributeError) as exc:
            raise ValidationFailed({"dose_times": MSG_DOSE_TIME.format(value=value)}) from exc
    return sorted(cleaned)


@transaction.atomic
def medication_add(
    *,
    actor: Actor,
    patient_id: int,
    name: str,
    drug: str = "",
    dose: Decimal | None = None,
    dose_unit: str = "",
    frequency: str = "",
    dose_times: list[str] | None = None,
    is_antithrombotic: bool | None = None,
    loading_dose: bool = False,
    started_on: date | None = None,
) -> Medication:
    """Record a current medication; antithrombotics carry frequency and usual dose times."""

    patient = _clinical_patient(actor, patient_id)
    drug = drug.strip().lower()
    med = Medication(
        patient=patient,
        name=name.strip(),
        drug=drug,
        dose=dose,
        dose_unit=dose_unit,
        frequency=frequency,
        dose_times=_parse_dose_times(dose_times or []),
        is_antithrombotic=(drug in ANTITHROMBOTICS)
        if is_antithrombotic is None
        else is_antithrombotic,
        loading_dose=loading_dose,
        started_on=started_on,
    )
    with history_actor(actor):
        _clean_and_save(med)
    return med


@transaction.atomic
def medication_stop(
    *, actor: Actor, medication_id: int, stopped_on: date | None = None
) -> Medication:
    med = Medication.objects.get(pk=medication_id)
    _clinical_patient(actor, med.patient_id)
    med.active = False
    med.stopped_on = stopped_on or timezone.localdate()
    with history_actor(actor):
        med.save(update_fields=["active", "stopped_on", "updated_at"])
    return med


def site_policy_now() -> SitePolicy:
    """The site's policy as the app that stores it answers (the published values if none)."""
    for _, answer in site_policy_wanted.send(sender=LabResult):
        if isinstance(answer, SitePolicy):
            return answer
    return DEFAULT_POLICY


@transaction.atomic
def lab_result_record(
    *,
    actor: Actor,
    patient_id: int,
    analyte: str,
    value: Decimal | float | str,
    collected_at: datetime,
    source: str = "manual",
    confirm_implausible: bool = False,
) -> LabResult:
    """Record one lab value in the analyte's canonical unit. A value outside the plausibility
    limits (rule data `lab-plausibility`) is refused with the unit it was probably typed in,
    unless `confirm_implausible` says it is right as typed; it is never converted."""
    patient = _clinical_patient(actor, patient_id)
    errors: dict[str, str] = {}
    implausible = False
    if analyte not in ANALYTE_UNITS:
        errors["analyte"] = f"“{analyte}” is not a lab irflow records."
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["value"] = f"“{value}” is not a number."
    else:
        if not number.is_finite():
            errors["value"] = f"“{value}” is not a number."
        elif number < 0:
            errors["value"] = MSG_LAB_NEGATIVE
        elif analyte in ANALYTE_UNITS:
            found = lab_plausibility(cast(AnalyteKey, analyte), float(number), site_policy_now())
            implausible = found is not None
            if found is not None and not confirm_implausible:
                errors["value"] = found.message
                errors["confirm_implausible"] = MSG_LAB_CONFIRM
    if timezone.is_naive(collected_at):
        errors["collected_at"] = "Give the collection time with its time zone."
    elif collected_at > timezone.now() + timedelta(minutes=5):
        errors["collected_at"] = MSG_COLLECTED_IN_FUTURE
    if errors:
        raise ValidationFailed(errors)
    lab = LabResult(
        patient=patient,
        analyte=analyte,
        value=number,
        unit=ANALYTE_UNITS[analyte],
        collected_at=collected_at,
        recorded_by=person(actor),
        source=source,
        implausible_confirmed=implausible,
    )
    with history_actor(actor):
        _clean_and_save(lab)
    return lab


@transaction.atomic
def condition_add(
    *, actor: Actor, patient_id: int, code: str, note: str = "", onset: date | None = None
) -> Condition:
    patient = _clinical_patient(actor, patient_id)
    condition = Condition(patient=patient, code=code, note=note, onset=onset)
    with history_actor(actor):
        _clean_and_save(condition)
    return condition


@transaction.atomic
def condition_resolve(*, actor: Actor, condition_id: int) -> Condition:
    condition = locked(Condition, condition_id)
    _clinical_patient(actor, condition.patient_id)
    condition.active = False
    with history_actor(actor):
        condition.save(update_fields=["active"])
    return condition


@transaction.atomic
def care_relation_add(
    *, patient_id: int, clinician_id: int, reason: str = "referral"
) -> CareRelation:
    """Let a clinician outside IR see a patient (called when they refer them)."""
    relation, _ = CareRelation.objects.get_or_create(
        patient_id=patient_id, clinician_id=clinician_id, defaults={"reason": reason}
    )
    return relation


@transaction.atomic
def patient_merge(*, actor: Actor, source_id: int, target_id: int, reason: str) -> PatientMerge:
    """Merge a duplicate record into the surviving one.

    Every row that points at the duplicate — in any app, present or future — is re-pointed;
    the duplicate stays, inactive, with `merged_into` set, and the merge lists what moved.
    """
    require(actor, "patient.merge")
    errors: dict[str, str] = {}
    if source_id == target_id:
        errors["target_id"] = MSG_MERGE_SELF
    if not reason.strip():
        errors["reason"] = MSG_MERGE_REASON
    if errors:
        raise ValidationFailed(errors)
    # Lock both rows so that two merges of the same records cannot interleave.
    rows = {
        p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[source_id, target_id])
    }
    for field, pk in (("source_id", source_id), ("target_id", target_id)):
        if pk not in rows:
            raise NotFound(f"{field}: no patient {pk}.", code=f"{field}_not_found")
    source, target = rows[source_id], rows[target_id]
    if not (source.is_active and target.is_active):
        raise Conflict(MSG_MERGE_INACTIVE)
    patient_get(actor=actor, patient_id=source_id, what="merge (source)", action="patient.merge")
    patient_get(actor=actor, patient_id=target_id, what="merge (target)", action="patient.merge")
    moved: dict[str, list[int]] = {}
    with history_actor(actor):
        for rel in Patient._meta.related_objects:
            if rel.related_model is Patient or rel.related_model is PatientMerge:
                continue
            if not (rel.one_to_many or rel.one_to_one):
                continue
            model = rel.related_model
            fk = rel.field.name
            ids = list(model._default_manager.filter(**{fk: source}).values_list("pk", flat=True))
            if not ids:
                continue
            if model is CareRelation:
                # The same clinician may already care for the target.
                already = set(
                    CareRelation.objects.filter(patient=target).values_list(
                        "clinician_id", flat=True
                    )
                )
                CareRelation.objects.filter(patient=source, clinician_id__in=already).delete()
                ids = list(CareRelation.objects.filter(patient=source).values_list("pk", flat=True))
            model._default_manager.filter(pk__in=ids).update(**{fk: target})
            moved[model._meta.label] = ids
        source.is_active = False
        source.merged_into = target
        source.save(update_fields=["is_active", "merged_into", "updated_at"])
        merge = PatientMerge.objects.create(
            source=source,
            target=target,
            moved=moved,
            reason=reason.strip(),
            merged_by=person(actor),
        )
    return merge


# ---------------------------------------------------------------- reported by a referrer


def _reported_lines(field: str, given: str | Iterable[str]) -> list[str]:
    found = lines(given)
    if len(found) > MAX_LINES:
        raise ValidationFailed({field: MSG_TOO_MANY_LINES.format(limit=MAX_LINES)})
    for n, line in enumerate(found, start=1):
        if len(line) > MAX_LINE:
            raise ValidationFailed({field: MSG_LINE_TOO_LONG.format(n=n, limit=MAX_LINE)})
    return found


@transaction.atomic
def reported_entries_add(
    *,
    actor: Actor,
    patient_id: int,
    reported_by: str,
    medications: str | Iterable[str] = (),
    allergies: str | Iterable[str] = (),
) -> tuple[list[Medication], list[Allergy]]:
    """Put the medications and allergies a referrer wrote (one per line) on the chart as
    "reported — to confirm": the rules count them as present until the team decides."""
    require(actor, "patient.report")
    med_lines = _reported_lines("medications", medications)
    allergy_lines = _reported_lines("allergies", allergies)
    patient = patient_get(actor=actor, patient_id=patient_id, what="reported entries")
    common = {
        "patient": patient,
        "reconciliation": Reconciliation.REPORTED,
        "reported_by": reported_by.strip()[:200],
    }
    meds = [Medication(reported_text=t, **common, **medication_fields(t)) for t in med_lines]
    found = [Allergy(reported_text=t, **common, **allergy_from_text(t)) for t in allergy_lines]
    with history_actor(actor):
        for row in [*meds, *found]:
            _clean_and_save(row)
    return meds, found


Decision = Literal["confirm", "reject"]
_MEDICATION_EDITS = ("name", "drug", "dose", "dose_unit", "frequency", "dose_times")
_ALLERGY_EDITS = ("agent", "category", "severity", "reaction")


def _reconcile(
    actor: Actor, row: Medication | Allergy, decision: str, edits: dict[str, Any]
) -> None:
    _clinical_patient(actor, cast(int, row.patient_id))
    if row.reconciliation != Reconciliation.REPORTED:
        state = row.get_reconciliation_display().lower()
        raise Conflict(MSG_NOT_TO_CONFIRM.format(state=state))
    if decision not in ("confirm", "reject"):
        raise ValidationFailed({"decision": MSG_DECISION})
    row.reconciled_by = person(actor)
    row.reconciled_at = timezone.now()
    if decision == "reject":
        row.reconciliation = Reconciliation.REJECTED
        if isinstance(row, Medication):
            row.active = False
            row.stopped_on = timezone.localdate()
        else:
            row.is_active = False
    else:
        row.reconciliation = Reconciliation.CONFIRMED
        for name, value in edits.items():
            setattr(row, name, value.strip() if isinstance(value, str) else value)
    with history_actor(actor):
        _clean_and_save(row)


@transaction.atomic
def medication_reconcile(
    *, actor: Actor, medication_id: int, decision: Decision, **edits: Any
) -> Medication:
    """Confirm (with the team's corrections) or reject a medication a referrer reported."""
    med = Medication.objects.select_for_update().filter(pk=medication_id).first()
    if med is None:
        raise NotFound(MSG_NO_ENTRY)
    unknown = set(edits) - set(_MEDICATION_EDITS)
    if unknown:
        raise ValidationFailed({name: "Not a medication field." for name in sorted(unknown)})
    if "dose_times" in edits:
        edits["dose_times"] = _parse_dose_times(edits["dose_times"] or [])
    if "drug" in edits:
        edits["drug"] = (edits["drug"] or "").strip().lower()
        edits["is_antithrombotic"] = edits["drug"] in ANTITHROMBOTICS
    _reconcile(actor, med, decision, edits)
    return med


@transaction.atomic
def allergy_reconcile(
    *, actor: Actor, allergy_id: int, decision: Decision, **edits: Any
) -> Allergy:
    """Confirm (with the team's corrections) or reject an allergy a referrer reported; a
    confirmed allergy needs its severity."""
    allergy = Allergy.objects.select_for_update().filter(pk=allergy_id).first()
    if allergy is None:
        raise NotFound(MSG_NO_ENTRY)
    unknown = set(edits) - set(_ALLERGY_EDITS)
    if unknown:
        raise ValidationFailed({name: "Not an allergy field." for name in sorted(unknown)})
    if decision == "confirm" and not edits.get("severity", allergy.severity):
        raise ValidationFailed({"severity": MSG_SEVERITY})
    _reconcile(actor, allergy, decision, edits)
    return allergy
