"""Reads about logbooks (no patient identifiers: a logbook names procedures, never patients),
programme progress, the verification queue and per-operator practice evaluation figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from django.db.models import Count, Q, QuerySet, Sum

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS
from irflow.dose.models import RadiationDoseReport
from irflow.lib.errors import Forbidden, NotFound
from irflow.procedures.models import ProcedureRecord, RecordStatus, Success
from irflow.training.models import (
    Enrolment,
    EntryStatus,
    LogbookEntry,
    LogbookRole,
    Programme,
    Requirement,
)

LABELS: dict[str, str] = {str(k): v for k, v in PROCEDURE_CATEGORY_LABELS.items()}
MSG_OWN_ONLY = "A trainee sees their own logbook only."


def _trainee(actor: Actor, trainee_id: int) -> User:
    require(actor, "logbook.view")
    if getattr(actor, "role", "") == Role.TRAINEE and getattr(actor, "pk", None) != trainee_id:
        raise Forbidden(MSG_OWN_ONLY, code="forbidden")
    trainee = User.objects.filter(pk=trainee_id, role=Role.TRAINEE).first()
    if trainee is None:
        raise NotFound("There is no such trainee.")
    return trainee


def logbook(*, actor: Actor, trainee_id: int) -> tuple[User, QuerySet[LogbookEntry]]:
    """A trainee's logbook entries, newest first, with their supervisor and verifier."""
    trainee = _trainee(actor, trainee_id)
    return trainee, LogbookEntry.objects.filter(trainee=trainee).select_related(
        "supervisor", "verified_by"
    )


def trainees(*, actor: Actor) -> list[User]:
    """The trainees whose logbooks `actor` may open (a trainee: only themselves)."""
    require(actor, "logbook.view")
    qs = User.objects.filter(role=Role.TRAINEE, is_active=True)
    if getattr(actor, "role", "") == Role.TRAINEE:
        qs = qs.filter(pk=getattr(actor, "pk", 0) or 0)
    return list(qs)


@dataclass(frozen=True)
class CountRow:
    category: str
    label: str
    first_operator: int
    assistant: int
    verified: int


def logbook_counts(*, actor: Actor, trainee_id: int) -> list[CountRow]:
    """Entries by procedure category and role (every entry; `verified`: those verified)."""
    trainee = _trainee(actor, trainee_id)
    rows = (
        LogbookEntry.objects.filter(trainee=trainee)
        .values("category")
        .annotate(
            first=Count("pk", filter=Q(role=LogbookRole.FIRST_OPERATOR)),
            assist=Count("pk", filter=Q(role=LogbookRole.ASSISTANT)),
            verified=Count("pk", filter=Q(status=EntryStatus.VERIFIED)),
        )
    )
    by = {r["category"]: r for r in rows}
    order = [c for c in PROCEDURE_CATEGORIES if c in by] + sorted(
        c for c in by if c not in PROCEDURE_CATEGORIES
    )
    return [
        CountRow(
            c,
            LABELS.get(c, c),
            by[c]["first"],
            by[c]["assist"],
            by[c]["verified"],
        )
        for c in order
    ]


@dataclass(frozen=True)
class RequirementProgress:
    requirement: Requirement
    count: int

    @property
    def met(self) -> bool:
        return self.count >= self.requirement.minimum

    @property
    def missing(self) -> int:
        return max(0, self.requirement.minimum - self.count)


def requirement_count(requirement: Requirement, entries: QuerySet[LogbookEntry]) -> int:
    qs = entries
    if requirement.role:
        qs = qs.filter(role=requirement.role)
    if requirement.categories:
        qs = qs.filter(category__in=requirement.categories)
    if requirement.verified_only:
        qs = qs.filter(status=EntryStatus.VERIFIED)
    return qs.count()


def programme_progress(
    *, actor: Actor, trainee_id: int
) -> list[tuple[Programme, list[RequirementProgress]]]:
    """For each programme the trainee follows: each requirement and the trainee's count."""
    trainee = _trainee(actor, trainee_id)
    entries = LogbookEntry.objects.filter(trainee=trainee)
    result = []
    for enrolment in Enrolment.objects.filter(trainee=trainee).select_related("programme"):
        programme = enrolment.programme
        result.append(
            (
                programme,
                [
                    RequirementProgress(r, requirement_count(r, entries))
                    for r in programme.requirements.all()
                ],
            )
        )
    return result


def programmes(*, actor: Actor) -> QuerySet[Programme]:
    require(actor, "logbook.view")
    return Programme.objects.filter(active=True).prefetch_related("requirements")


def verification_queue(*, actor: Actor) -> QuerySet[LogbookEntry]:
    """The entries waiting for `actor` (their supervisor) to verify, oldest first; queried ones
    too (they wait for the trainee's answer)."""
    require(actor, "logbook.verify")
    return (
        LogbookEntry.objects.filter(
            supervisor_id=getattr(actor, "pk", None),
            status__in=[EntryStatus.PENDING, EntryStatus.QUERIED],
        )
        .select_related("trainee")
        .order_by("performed_on", "pk")
    )


@dataclass(frozen=True)
class PracticeRow:
    """An operator's figures over a period (completed records where they were the primary
    operator)."""

    operator: User
    volume: int
    success_known: int
    technical_success: int
    with_adverse_event: int
    dap_median_gy_cm2: float | None

    @property
    def success_rate(self) -> float | None:
        return self.technical_success / self.success_known if self.success_known else None

    @property
    def ae_rate(self) -> float | None:
        return self.with_adverse_event / self.volume if self.volume else None


def practice_figures(*, actor: Actor, start: date, end: date) -> list[PracticeRow]:
    """Per primary operator, procedures completed from `start` to `end` (days, inclusive):
    volume; technical success (fully achieved) among those with it recorded; procedures with at
    least one adverse event (not entered in error); the median total DAP of those with a dose
    report."""
    require(actor, "practice.view")
    records = ProcedureRecord.objects.filter(
        status=RecordStatus.COMPLETED,
        booking__primary_operator__isnull=False,
        booking__start__date__gte=start,
        booking__start__date__lte=end,
    )
    rows = records.values("booking__primary_operator").annotate(
        volume=Count("pk", distinct=True),
        known=Count("pk", filter=~Q(technical_success=""), distinct=True),
        success=Count("pk", filter=Q(technical_success=Success.SUCCESS), distinct=True),
        with_ae=Count("pk", filter=Q(adverse_events__entered_in_error=False), distinct=True),
    )
    doses: dict[int, list[float]] = {}
    dose_rows = (
        RadiationDoseReport.objects.filter(
            booking__procedure_record__in=records, dap_total_gy_cm2__isnull=False
        )
        .values("booking__primary_operator", "booking")
        .annotate(dap=Sum("dap_total_gy_cm2"))
    )
    for d in dose_rows:
        doses.setdefault(d["booking__primary_operator"], []).append(d["dap"])
    users = {
        u.pk: u for u in User.objects.filter(pk__in=[r["booking__primary_operator"] for r in rows])
    }
    result = [
        PracticeRow(
            users[r["booking__primary_operator"]],
            r["volume"],
            r["known"],
            r["success"],
            r["with_ae"],
            median(doses[r["booking__primary_operator"]])
            if doses.get(r["booking__primary_operator"])
            else None,
        )
        for r in rows
    ]
    return sorted(result, key=lambda r: str(r.operator))
