"""Reads of patient data, filtered by the reader's permissions and written to the access log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, require
from irflow.audit.services import access_log_record, access_log_refused
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.patients.models import (
    Allergy,
    Condition,
    LabResult,
    Medication,
    Patient,
    PatientIdentifier,
    normalise_name,
)

MSG_PATIENT_NOT_FOUND = "No such patient, or you may not see this patient."
MSG_QUERY_TOO_SHORT = "Type at least 2 characters of a name, or an MRN or date of birth."
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{2}/\d{2}/\d{4}$")


def patients_visible(*, actor: Actor, action: str = "patient.view") -> QuerySet[Patient]:
    """Active patients `actor` may see: all of them, or only those in their care (referrers)."""
    scope = require(actor, action)
    qs = Patient.objects.filter(is_active=True)
    if scope is OWN:
        qs = qs.filter(care_relations__clinician=person(actor))
    return qs


def _prefix(field: str, value: str) -> Q:
    # A prefix match that uses the B-tree index on both backends: PostgreSQL via the
    # varchar_pattern_ops index and LIKE; SQLite through a range (its LIKE is case-folding
    # and skips the index).
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def parse_search_date(text: str) -> date | None:
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        if "-" in text:
            return date.fromisoformat(text)
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


@dataclass(frozen=True)
class SearchTerms:
    names: list[str]
    birth_date: date | None
    identifier: str | None


def parse_search(q: str, birth_date: date | None = None) -> SearchTerms:
    """Split free text into name parts, a date of birth and an identifier candidate."""
    names: list[str] = []
    ident = None
    found_date = birth_date
    for token in re.split(r"[\s,]+", q.strip()):
        if not token:
            continue
        as_date = parse_search_date(token)
        if as_date is not None:
            found_date = as_date
        elif any(ch.isdigit() for ch in token):
            ident = token
        else:
            names.append(normalise_name(token))
    return SearchTerms(names=names, birth_date=found_date, identifier=ident)


def patient_search(
    *, actor: Actor, q: str = "", birth_date: date | None = None, limit: int = 50
) -> list[Patient]:
    """Find patients by name ('smith jo', 'smith, john'), MRN, and/or date of birth."""
    terms = parse_search(q, birth_date)
    if not terms.names and terms.identifier is None and terms.birth_date is None:
        raise ValidationFailed({"q": MSG_QUERY_TOO_SHORT})
    if terms.names and len("".join(terms.names)) < 2 and not terms.identifier:
        raise ValidationFailed({"q": MSG_QUERY_TOO_SHORT})
    qs = patients_visible(actor=actor)
    if terms.identifier is not None:
        ids = PatientIdentifier.objects.filter(
            value__in={terms.identifier, terms.identifier.upper()}
        ).values("patient_id")
        qs = qs.filter(pk__in=ids)
    if terms.names:
        first, *rest = terms.names
        if rest:
            # 'smith john': family then given, or given then family.
            second = rest[0]
            qs = qs.filter(
                (_prefix("family_name_key", first) & _prefix("given_name_key", second))
                | (_prefix("family_name_key", second) & _prefix("given_name_key", first))
            )
        else:
            qs = qs.filter(_prefix("family_name_key", first) | _prefix("given_name_key", first))
    if terms.birth_date is not None:
        qs = qs.filter(birth_date=terms.birth_date)
    results = list(
        qs.prefetch_related("identifiers").order_by("family_name_key", "given_name_key", "pk")[
            :limit
        ]
    )
    access_log_record(
        actor=actor, patient=None, what=f"search “{q.strip()[:80]}” ({len(results)})", shown=results
    )
    return results


def patient_get(
    *, actor: Actor, patient_id: int, what: str = "patient record", action: str = "patient.view"
) -> Patient:
    """One patient, if `actor` may see them; the read is written to the access log."""
    patient = (
        patients_visible(actor=actor, action=action)
        .prefetch_related("identifiers")
        .filter(pk=patient_id)
        .first()
    )
    if patient is None:
        refuse_patient(actor=actor, patient_id=patient_id, what=what, action=action)
    access_log_record(actor=actor, patient=patient, what=what)
    return patient


def refuse_patient(
    *, actor: Actor, patient_id: int, what: str, action: str = "patient.view"
) -> NoReturn:
    """Refuse a read of patient `patient_id` that `actor` may not see or that does not exist:
    the attempt goes to the access log, and the answer is the same 404 either way. A merged
    record names the record it was merged into only to a reader who may see that one."""
    existing = Patient.objects.filter(pk=patient_id).first()
    access_log_refused(
        actor=actor,
        what=what,
        patient_id=patient_id,
        label=str(existing) if existing is not None else "",
    )
    target = existing.merged_into_id if existing is not None else None
    if target is not None and patients_visible(actor=actor, action=action).filter(pk=target):
        raise NotFound(f"This record was merged into patient {target}.", code="merged")
    raise NotFound(MSG_PATIENT_NOT_FOUND)


@dataclass
class Chart:
    patient: Patient
    allergies: list[Allergy]
    medications: list[Medication]
    labs: list[LabResult]
    latest_labs: dict[str, LabResult]
    conditions: list[Condition]

    @property
    def to_confirm(self) -> list[Medication | Allergy]:
        """Entries a referrer reported that wait for the team: medications, then allergies."""
        entries: list[Medication | Allergy] = [*self.medications, *self.allergies]
        return [e for e in entries if e.to_confirm]


def patient_chart(*, actor: Actor, patient_id: int) -> Chart:
    """Everything the chart page shows about one patient (one access-log entry)."""
    patient = patient_get(actor=actor, patient_id=patient_id, what="chart")
    labs = list(LabResult.objects.filter(patient=patient).order_by("-collected_at")[:100])
    latest: dict[str, LabResult] = {}
    for lab in labs:
        latest.setdefault(lab.analyte, lab)
    return Chart(
        patient=patient,
        allergies=list(patient.allergies.all()),
        medications=list(patient.medications.all()),
        labs=labs,
        latest_labs=latest,
        conditions=list(patient.conditions.all()),
    )


def patient_banner_queryset() -> QuerySet[Patient]:
    """Patients with what the identity banner shows, prefetched."""
    return Patient.objects.prefetch_related(
        "identifiers", Prefetch("allergies", queryset=Allergy.objects.filter(is_active=True))
    )
