"""Translate the filters of a parsed worklist query into one ORM query over bookings.

Each matching key has a column: a SQL expression equal to the value `worklist_item` puts in
the item. Keys whose value comes from a small fixed set (the SPS status, the patient's sex, a
constant coding scheme) are matched by running the reference matcher over that set once per
query and filtering on the stored codes that qualify — never over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Substr, Trim
from django.db.models.lookups import Exact, In

from irflow.dicom.worklist import Code, Filter, MatchKind, WorklistItem, WorklistQuery
from irflow.dicom.worklist.matching import filter_matches
from irflow.dicomserver.worklist.items import CODING_SCHEME, DICOM_SEX, SH
from irflow.dicomserver.worklist.sql import Fold, Wildcard
from irflow.patients.models import IdentifierKind, PatientIdentifier
from irflow.scheduling.models import SPS_STATUS, Booking

# Booking statuses whose step is on the worklist (cancelled and completed steps are not).
ON_WORKLIST = tuple(status for status, sps in SPS_STATUS.items() if sps is not None)
NOTHING = Q(pk__in=[])


def pn_expression(family: str, given: str) -> Expression:
    """SQL for `person_name(family, given)`."""
    given_text = Trim(Coalesce(F(given), Value("")))
    return Concat(
        Trim(Coalesce(F(family), Value(""))),
        Case(
            When(Exact(given_text, Value("")), then=Value("")),
            default=Concat(Value("^"), given_text),
        ),
    )


def mrn_rows() -> QuerySet[PatientIdentifier]:
    """The patient's MRNs, the configured issuer's first (as `Patient.mrn` picks them)."""
    return PatientIdentifier.objects.filter(
        patient=OuterRef("patient_id"), kind=IdentifierKind.MRN
    ).order_by(Case(When(issuer=settings.IRFLOW_MRN_ISSUER, then=0), default=1), "pk")


def with_mrn(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    """Annotate `wl_mrn` and `wl_mrn_issuer`: the Patient ID the worklist shows."""
    return qs.annotate(
        wl_mrn=Subquery(mrn_rows().values("value")[:1]),
        wl_mrn_issuer=Subquery(mrn_rows().values("issuer")[:1]),
    )


@dataclass(frozen=True)
class Column:
    """How one WorklistItem field is matched in SQL."""

    kind: str  # text, pn, date, start_date, start_time, start, domain, mrn
    expression: str | Expression | None = None
    # For `domain` columns: (stored code, item showing the value it maps to).
    domain: Callable[[], list[tuple[str, WorklistItem]]] | None = None
    domain_field: str = ""


def _status_domain() -> list[tuple[str, WorklistItem]]:
    return [(status, WorklistItem(sps_status=SPS_STATUS[status] or "")) for status in ON_WORKLIST]


def _sex_domain() -> list[tuple[str, WorklistItem]]:
    return [(code, WorklistItem(patient_sex=value)) for code, value in DICOM_SEX.items()]


def _scheme_domain() -> list[tuple[str, WorklistItem]]:
    code = Code(value="", scheme=CODING_SCHEME)
    return [(CODING_SCHEME, WorklistItem(requested_procedure_code=code))]


COLUMNS: dict[str, Column] = {
    "sps_station_ae_title": Column("text", "station_ae_title"),
    "sps_modality": Column("text", "modality"),
    "sps_id": Column("text", "sps_id"),
    "sps_station_name": Column("text", Substr("room__code", 1, SH)),
    "sps_performing_physician_name": Column(
        "pn", pn_expression("primary_operator__last_name", "primary_operator__first_name")
    ),
    "sps_status": Column("domain", domain=_status_domain, domain_field="status"),
    "sps_start.date": Column("start_date"),
    "sps_start.time": Column("start_time"),
    "sps_start": Column("start"),
    "requested_procedure_id": Column("text", "order__requested_procedure_id"),
    "requested_procedure_code.value": Column("text", Substr("order__procedure_type__code", 1, SH)),
    "requested_procedure_code.scheme": Column("domain", domain=_scheme_domain),
    "study_instance_uid": Column("text", "order__study_instance_uid"),
    "accession_number": Column("text", "order__accession_number"),
    # The referrer of the referral the order came from; empty for orders made in IR.
    "referring_physician_name": Column(
        "pn",
        pn_expression(
            "order__referral__referrer__last_name", "order__referral__referrer__first_name"
        ),
    ),
    "patient_name": Column("pn", pn_expression("patient__family_name", "patient__given_name")),
    "patient_id": Column("mrn"),
    "patient_birth_date": Column("date", "patient__birth_date"),
    "patient_sex": Column("domain", domain=_sex_domain, domain_field="patient__sex"),
}


class UnknownMatchingKey(LookupError):
    """A filter on a field irflow has no column for (a new key in the core's key table)."""


def worklist_filter(query: WorklistQuery) -> Q:
    """The WHERE clause of `query`: every active filter, ANDed."""
    condition = Q()
    for f in query.active_filters:
        condition &= filter_q(f)
    return condition


def filter_q(f: Filter) -> Q:
    """One filter as a Q object."""
    column = COLUMNS.get(f.field)
    if column is None:
        raise UnknownMatchingKey(f.field)
    if f.kind is MatchKind.UNIVERSAL:
        return Q()
    if column.kind == "domain":
        return _domain_q(f, column)
    if column.kind in ("start_date", "start_time", "start"):
        return _start_q(f, column.kind)
    if column.kind == "date":
        return _date_q(f, str(column.expression))
    if column.kind == "mrn":
        # The indexed identifier value narrows the patients; the annotation makes it exact.
        candidates = PatientIdentifier.objects.filter(
            _value_q(f, F("value")), kind=IdentifierKind.MRN
        ).values("patient_id")
        return Q(patient_id__in=candidates) & _value_q(f, F("wl_mrn"))
    if column.kind == "pn":
        if f.pn_group != 0:
            return NOTHING  # irflow keeps alphabetic names only; other groups are empty
        return _value_q(f, Fold(_expression(column)))
    return _value_q(f, _expression(column))


def _expression(column: Column) -> Expression | F:
    expr = column.expression
    assert expr is not None
    return F(expr) if isinstance(expr, str) else expr


def _value_q(f: Filter, expression: Expression | F) -> Q:
    if f.kind is MatchKind.LIST:
        return Q(In(expression, list(f.values)))
    if f.kind is MatchKind.WILDCARD:
        return Q(Wildcard(expression, f.match_value))
    if f.kind is MatchKind.SINGLE:
        return Q(Exact(expression, f.match_value))
    raise UnknownMatchingKey(f"{f.field}: {f.kind}")


def _domain_q(f: Filter, column: Column) -> Q:
    assert column.domain is not None
    qualifying = [code for code, item in column.domain() if filter_matches(f, item)]
    if not column.domain_field:
        return Q() if qualifying else NOTHING
    return Q(**{f"{column.domain_field}__in": qualifying}) if qualifying else NOTHING


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(settings.TIME_ZONE))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def _start_q(f: Filter, kind: str) -> Q:
    if kind == "start_date":
        first = f.value if f.kind is MatchKind.SINGLE else f.start
        last = f.value if f.kind is MatchKind.SINGLE else f.end
        q = Q()
        if isinstance(first, date):
            q &= Q(start__gte=_local_midnight(first))
        if isinstance(last, date):
            q &= Q(start__lt=_local_midnight(last + timedelta(days=1)))
        return q
    if kind == "start_time":
        if f.kind is MatchKind.SINGLE:
            return Q(start__time=f.value)
        q = Q()
        if f.start is not None:
            q &= Q(start__time__gte=f.start)
        if f.end is not None:
            q &= Q(start__time__lte=f.end)
        return q
    q = Q()
    if isinstance(f.start, datetime):
        q &= Q(start__gte=_aware(f.start))
    if isinstance(f.end, datetime):
        q &= Q(start__lte=_aware(f.end))
    return q


def _date_q(f: Filter, field: str) -> Q:
    if f.kind is MatchKind.SINGLE:
        return Q(**{field: f.value})
    q = Q()
    if f.start is not None:
        q &= Q(**{f"{field}__gte": f.start})
    if f.end is not None:
        q &= Q(**{f"{field}__lte": f.end})
    return q
