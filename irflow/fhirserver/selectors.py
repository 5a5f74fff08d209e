"""Read and search of FHIR resources for an actor: the permission matrix decides which sources
they may read (`Source.action`) and whose rows (a referrer: the patients in their care, and the
referrals they sent); as in every selector, the records of inactive (merged) patients are not
shown, a merged Patient itself stays readable to those who see every patient. Every patient
whose data is shown goes to the access log, as any other read does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, Scope, scope
from irflow.audit.services import access_log_record, access_log_refused
from irflow.fhir.base import ORGANIZATION_ID, Resource, Site
from irflow.fhir.organization import organization_resource
from irflow.fhirserver.gather import RESOURCE_TYPES, Source, fhir_site, sources_of
from irflow.lib.errors import Forbidden, NotFound, ValidationFailed
from irflow.patients.models import Patient
from irflow.referrals.models import PatientMatch

MSG_UNKNOWN_TYPE = "irflow serves no resource type “{type}”."
MSG_NOT_FOUND = "No {type} with id “{id}”, or you may not see it."
MSG_FORBIDDEN = "Your role ({role}) may not read {type} resources."
MSG_UNKNOWN_PARAMETER = "irflow does not support the search parameter “{name}” on {type}."
MSG_BAD_DATE = "“{value}” is not a date (YYYY-MM-DD or a dateTime), with an optional prefix "
MSG_BAD_DATE += "eq, ne, ge, le, gt, lt."
MSG_BAD_COUNT = "_count must be a whole number from 0 to {max}."
MSG_BAD_INCLUDE = "_include supports only {allowed}."
MAX_COUNT = 500
DEFAULT_COUNT = 50
PREFIXES = ("eq", "ne", "ge", "le", "gt", "lt", "sa", "eb")


@dataclass
class Search:
    """Parsed search parameters (each list: the values of repeated parameters, ANDed; a value
    with commas: ORed)."""

    ids: list[str] = field(default_factory=list)
    patient: list[str] = field(default_factory=list)
    identifier: list[tuple[str | None, str]] = field(default_factory=list)
    date: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    last_updated: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    status: list[list[str]] = field(default_factory=list)
    code: list[list[tuple[str | None, str]]] = field(default_factory=list)
    include_patient: bool = False
    count: int = DEFAULT_COUNT
    offset: int = 0


@dataclass
class SearchResult:
    total: int
    matches: list[Resource]
    included: list[Resource]


def _kind(resource_type: str) -> list[Source]:
    if resource_type not in RESOURCE_TYPES:
        raise NotFound(MSG_UNKNOWN_TYPE.format(type=resource_type), code="unknown_type")
    return sources_of(resource_type)


def _scoped(actor: Actor, source: Source) -> tuple[QuerySet, Scope] | None:
    """The source's rows `actor` may read, or None when the matrix refuses the source."""
    held = scope(actor, source.action)
    if held is None:
        return None
    qs = source.queryset()
    if source.patient not in (None, "pk"):
        # As every selector: the record of an inactive patient (merged away) is not shown.
        qs = qs.filter(**{f"{source.patient}__is_active": True})
    if held is OWN:
        if source.patient is None:
            return None
        if source.patient == "pk":
            # A merged record stays readable (with its `replaced-by` link) to those who see
            # every patient; a referrer sees the active records in their care.
            return qs.filter(is_active=True, care_relations__clinician=person(actor)), held
        if source.action == "referral.view":
            # As the referrals app: the referrals they sent, once IR has confirmed the patient
            # (until then they see what they typed, not the record — not in FHIR).
            mine = qs.filter(referrer=person(actor))
            return mine.exclude(patient_match=PatientMatch.PENDING), held
        qs = qs.filter(**{f"{source.patient}__care_relations__clinician": person(actor)})
    return qs, held


def _patient_ids(resources: Sequence[Resource]) -> list[int]:
    ids = []
    for r in resources:
        ref = r.get("subject") or r.get("patient") or r.get("for") or {}
        if r["resourceType"] == "Patient":
            ids.append(int(r["id"]))
        elif isinstance(ref, dict) and str(ref.get("reference", "")).startswith("Patient/"):
            ids.append(int(ref["reference"].split("/", 1)[1]))
    return ids


def _log(actor: Actor, what: str, patient_ids: Sequence[int]) -> None:
    labels = dict(
        (pk, f"{family.upper()}, {given}")
        for pk, family, given in Patient.objects.filter(pk__in=set(patient_ids)).values_list(
            "pk", "family_name", "given_name"
        )
    )
    access_log_record(
        actor=actor, patient=None, what=what, shown=[(pk, labels.get(pk, "")) for pk in patient_ids]
    )


def fhir_read(
    *, actor: Actor, resource_type: str, resource_id: str, site: Site | None = None
) -> Resource:
    """One resource by type and id, if `actor` may read it; a read of patient data is logged."""
    site = site or fhir_site()
    sources = _kind(resource_type)
    what = f"FHIR {resource_type}/{resource_id}"[:200]
    if resource_type == "Organization":
        if resource_id != ORGANIZATION_ID:
            raise NotFound(MSG_NOT_FOUND.format(type=resource_type, id=resource_id))
        return organization_resource(site)
    refused = False
    for source in sources:
        pk = source.pk_of(resource_id)
        if pk is None:
            continue
        scoped = _scoped(actor, source)
        if scoped is None:
            refused = True
            continue
        row = scoped[0].filter(pk=pk).first()
        if row is None:
            if source.patient is not None:
                access_log_refused(actor=actor, what=what)
            raise NotFound(MSG_NOT_FOUND.format(type=resource_type, id=resource_id))
        resource = source.resource(row, site)
        if source.patient is not None:
            _log(actor, what, _patient_ids([resource]))
        return resource
    if refused:
        raise Forbidden(MSG_FORBIDDEN.format(role=actor.role or "none", type=resource_type))
    raise NotFound(MSG_NOT_FOUND.format(type=resource_type, id=resource_id))


# Parsing ------------------------------------------------------------------------------------


def _moment_range(value: str, name: str) -> tuple[str, datetime, datetime]:
    """(prefix, start, end) of a date parameter: the interval its value stands for."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    tz = timezone.get_current_timezone()
    day: date | None = parse_date(text) if len(text) == 10 else None
    try:
        moment = None if day is not None else parse_datetime(text)
    except ValueError:
        moment = None
    if day is not None:
        start = datetime.combine(day, time(0), tz)
        return prefix, start, start + timedelta(days=1)
    if moment is not None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, tz)
        return prefix, moment, moment + timedelta(seconds=1)
    raise ValidationFailed({name: MSG_BAD_DATE.format(value=value)})


def _token(value: str) -> tuple[str | None, str]:
    if "|" in value:
        system, _, code = value.partition("|")
        return system or None, code
    return None, value


def parse_search(resource_type: str, params: Sequence[tuple[str, str]]) -> Search:
    """The query string's parameters as a `Search`; an unknown one is refused (400)."""
    s = Search()
    sources = _kind(resource_type)
    for name, value in params:
        if name in ("_format", "_pretty", "_summary"):
            continue
        if name == "_id":
            s.ids += [v for v in value.split(",") if v]
        elif name in ("patient", "subject") and any(x.patient not in (None, "pk") for x in sources):
            s.patient += [v.removeprefix("Patient/") for v in value.split(",") if v]
        elif name == "identifier" and any(x.identifier for x in sources):
            s.identifier.append(_token(value))
        elif name == "date" and any(x.date for x in sources):
            s.date.append(_moment_range(value, name))
        elif name == "_lastUpdated" and any(x.updated for x in sources):
            s.last_updated.append(_moment_range(value, name))
        elif name == "status" and any(x.status for x in sources):
            s.status.append([v for v in value.split(",") if v])
        elif name == "code" and any(x.code for x in sources):
            s.code.append([_token(v) for v in value.split(",") if v])
        elif name == "_include":
            allowed = {f"{resource_type}:patient", f"{resource_type}:subject"}
            if value not in allowed or all(x.patient in (None, "pk") for x in sources):
                raise ValidationFailed(
                    {name: MSG_BAD_INCLUDE.format(allowed=" or ".join(sorted(allowed)))}
                )
            s.include_patient = True
        elif name == "_count":
            if not value.isdigit() or int(value) > MAX_COUNT:
                raise ValidationFailed({name: MSG_BAD_COUNT.format(max=MAX_COUNT)})
            s.count = int(value)
        elif name == "_offset" and value.isdigit():
            s.offset = int(value)
        else:
            raise ValidationFailed(
                {name: MSG_UNKNOWN_PARAMETER.format(name=name, type=resource_type)},
                message=MSG_UNKNOWN_PARAMETER.format(name=name, type=resource_type),
            )
    return s


def _date_q(field_name: str, prefix: str, start: datetime, end: datetime, is_date: bool) -> Q:
    lo: date | datetime = start.date() if is_date else start
    hi: date | datetime = end.date() if is_date else end
    if prefix == "eq":
        return Q(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi})
    if prefix == "ne":
        return ~Q(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi})
    if prefix == "ge":
        return Q(**{f"{field_name}__gte": lo})
    if prefix in ("gt", "sa"):
        return Q(**{f"{field_name}__gte": hi})
    if prefix == "le":
        return Q(**{f"{field_name}__lt": hi})
    return Q(**{f"{field_name}__lt": lo})  # lt, eb


def _is_date_field(qs: QuerySet, path: str) -> bool:
    model = qs.model
    for part in path.split("__"):
        f = model._meta.get_field(part)
        if f.is_relation:
            model = f.related_model
        else:
            return f.get_internal_type() == "DateField"
    return False


def _filtered(source: Source, qs: QuerySet, s: Search, site: Site) -> QuerySet | None:
    """`qs` narrowed by the search, or None when nothing of this source can match."""
    if s.ids:
        pks = [pk for pk in (source.pk_of(i) for i in s.ids) if pk is not None]
        if not pks:
            return None
        qs = qs.filter(pk__in=pks)
    if s.patient:
        if source.patient in (None, "pk"):
            return None
        pks = [int(p) for p in s.patient if p.isdigit()]
        qs = qs.filter(**{f"{source.patient}__in": pks})
    for system, value in s.identifier:
        if source.identifier is None:
            return None
        q = source.identifier(system, value, site)
        if q is None:
            return None
        qs = qs.filter(q)
    for prefix, start, end in s.date:
        if source.date is None:
            return None
        qs = qs.filter(_date_q(source.date, prefix, start, end, _is_date_field(qs, source.date)))
    for prefix, start, end in s.last_updated:
        if source.updated is None:
            return None
        qs = qs.filter(_date_q(source.updated, prefix, start, end, False))
    for values in s.status:
        if source.status is None:
            return None
        qs_status = [q for q in (source.status(v) for v in values) if q is not None]
        if not qs_status:
            return None
        either = Q()
        for q in qs_status:
            either |= q
        qs = qs.filter(either)
    for tokens in s.code:
        if source.code is None:
            return None
        codes = [q for q in (source.code(sys, v, site) for sys, v in tokens) if q is not None]
        if not codes:
            return None
        either = Q()
        for q in codes:
            either |= q
        qs = qs.filter(either)
    if s.date or s.status or s.identifier or s.code:
        qs = qs.distinct()
    return qs


def fhir_search(
    *, actor: Actor, resource_type: str, search: Search, site: Site | None = None
) -> SearchResult:
    """One page of the resources of `resource_type` that match `search` and that `actor` may
    read (`total` counts them all); the patients shown go to the access log."""
    site = site or fhir_site()
    sources = _kind(resource_type)
    if resource_type == "Organization":
        org = organization_resource(site)
        hit = not search.ids or ORGANIZATION_ID in search.ids
        shown = [org] if hit and search.offset == 0 and search.count else []
        return SearchResult(1 if hit else 0, shown, [])
    readable = [(source, _scoped(actor, source)) for source in sources]
    allowed = [(source, scoped[0]) for source, scoped in readable if scoped is not None]
    if not allowed:
        raise Forbidden(MSG_FORBIDDEN.format(role=actor.role or "none", type=resource_type))
    total = 0
    page: list[tuple[Source, Resource]] = []
    skip, want = search.offset, search.count
    for source, qs in allowed:
        narrowed = _filtered(source, qs, search, site)
        if narrowed is None:
            continue
        n = narrowed.count()
        total += n
        if want and skip < n:
            rows = list(narrowed[skip : skip + want])
            page += [(source, source.resource(row, site)) for row in rows]
            want -= len(rows)
            skip = 0
        else:
            skip = max(0, skip - n)
    matches = [r for _, r in page]
    included: list[Resource] = []
    patient_ids = _patient_ids(matches)
    if search.include_patient and patient_ids:
        patients = sources_of("Patient")[0]
        scoped = _scoped(actor, patients)
        if scoped is not None:
            found = scoped[0].filter(pk__in=set(patient_ids))
            included = [patients.resource(row, site) for row in found]
    if any(source.patient is not None for source, _ in allowed):
        _log(actor, f"FHIR search {resource_type} ({total})", patient_ids)
    return SearchResult(total, matches, included)
