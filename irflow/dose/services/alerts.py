"""Dose alerts from the clinical rule data, and the skin follow-up a substantial dose calls for.

Thresholds come from ``irflow.clinical`` (NCRP 168 / SIR rule set) under the site policy;
nothing here knows a number. The cumulative review uses the patient's summed reference air
kerma over the site's window as the estimate of skin dose: Ka,r is measured at a reference
point, not on the skin, and usually overstates the dose to any one skin field, so the review
errs on the side of looking.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.clinical import (
    Crossing,
    Exposure,
    SitePolicy,
    cumulative_crossings,
    cumulative_window_days,
    radiation_alerts,
    rule,
    skin_followup_window_days,
)
from irflow.clinical.cumulative_dose import CUMULATIVE_SRDL, contribution_text, in_window
from irflow.clinical.radiation import SKIN_FOLLOWUP, Alert
from irflow.dose.models import AlertLevel, DoseAlert, RadiationDoseReport
from irflow.dose.policy import site_policy
from irflow.followup.models import FollowUpKind, FollowUpTask
from irflow.followup.services import followup_create
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Order
from irflow.patients.selectors import patient_get

MSG_ALERT_NOT_FOUND = "No such dose alert."
MSG_ALREADY_ACKNOWLEDGED = "This alert has already been acknowledged."
MSG_SKIN_CHECK = (
    "Skin check after a substantial radiation dose. {alerts} Tell the patient what to look "
    "for (redness, itching, hair loss or a sore at the beam entrance, usually the back) and "
    "examine the skin {start}–{end} days after the procedure ({date:%d %b %Y})."
)


MSG_SKIN_CHECK_CUMULATIVE = (
    "Skin check after a substantial cumulative radiation dose. {alert} Procedures: "
    "{procedures}. Tell the patient what to look for (redness, itching, hair loss or a sore "
    "at the beam entrance, usually the back) and examine the skin {start}–{end} days after "
    "the last of them ({date:%d %b %Y})."
)
MSG_CUMULATIVE_WITHDRAWN = "No longer reached after a correction of the doses. {message}"


def order_dose_totals(*, order_id: int) -> dict[str, Any]:
    """The procedure's de-duplicated totals (sum of its reports' counted values)."""
    return RadiationDoseReport.objects.filter(order_id=order_id).aggregate(
        ka_r_mgy=Sum("ka_r_counted_mgy"),
        dap_gy_cm2=Sum("dap_counted_gy_cm2"),
        fluoro_time_s=Sum("fluoro_time_counted_s"),
        dlp_mgy_cm=Sum("dlp_counted_mgy_cm"),
        last_at=Max("performed_at"),
    )


def patient_cumulative_ka_r(*, patient_id: int, end: datetime, window_days: int) -> float | None:
    """The patient's summed counted Ka,r (mGy) over the window ending on `end`'s day: reports
    performed at most `window_days` calendar days before it (the boundary day counts), as
    the cumulative SRDL counts them."""
    last_day = timezone.localtime(end).date()
    total = None
    for row in RadiationDoseReport.objects.filter(
        patient_id=patient_id,
        performed_at__gt=end - timedelta(days=window_days + 1),
        performed_at__lte=end,
    ).values("performed_at", "ka_r_counted_mgy"):
        day = timezone.localtime(row["performed_at"]).date()
        if row["ka_r_counted_mgy"] is not None and in_window(day, last_day, window_days):
            total = (total or 0.0) + row["ka_r_counted_mgy"]
    return total


def patient_exposures(*, patient_id: int) -> list[Exposure]:
    """Each linked procedure of the patient with its counted Ka,r, on the day of its last
    report (site's time zone). irflow records no peak skin dose: PSD is not known."""
    rows = (
        RadiationDoseReport.objects.filter(patient_id=patient_id, order__isnull=False)
        .values("order_id", "order__accession_number", "order__procedure_type__name")
        .annotate(ka_r_mgy=Sum("ka_r_counted_mgy"), last_at=Max("performed_at"))
        .order_by("order_id")
    )
    return [
        Exposure(
            key=row["order_id"],
            on=timezone.localtime(row["last_at"]).date(),
            ka_r_mgy=row["ka_r_mgy"],
            label=f"{row['order__procedure_type__name']} ({row['order__accession_number']})",
        )
        for row in rows
    ]


def _operator(order: Order, report: RadiationDoseReport | None) -> User | None:
    """The follow-up's owner: the booking's primary operator, else the ordering physician."""
    booking = report.booking if report is not None and report.booking_id else None
    if booking is None:
        booking = order.bookings.order_by("-active", "-start").first()
    if booking is not None and booking.primary_operator_id:
        return booking.primary_operator
    creator = order.created_by
    if creator is not None and creator.is_active and creator.role == Role.PHYSICIAN:
        return creator
    return None


def _upsert(order: Order, report: RadiationDoseReport | None, alert: Alert) -> DoseAlert:
    existing = DoseAlert.objects.filter(order=order, rule_id=alert.rule_id).first()
    values = {
        "patient_id": order.patient_id,
        "report": report,
        "level": alert.level,
        "rule_set_version": rule(alert.rule_id).rule_set_version,
        "quantity": alert.quantity,
        "value": alert.value,
        "threshold": alert.threshold,
        "unit": alert.unit,
        "message": alert.message[:300],
        "confidence": alert.confidence,
        "verified": alert.verified,
        "source": alert.source,
    }
    if existing is None:
        return DoseAlert.objects.create(order=order, rule_id=alert.rule_id, **values)
    if existing.threshold != alert.threshold:
        # A higher level reached: it needs acknowledging again.
        values.update(acknowledged_at=None, acknowledged_by=None, acknowledgement_note="")
    elif existing.value == alert.value:
        return existing
    for name, value in values.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def _skin_check(
    actor: Actor,
    order: Order,
    report: RadiationDoseReport | None,
    srdl: list[DoseAlert],
    policy: SitePolicy,
) -> FollowUpTask:
    task = FollowUpTask.objects.filter(
        order=order, kind=FollowUpKind.SKIN_CHECK, source_rule_id=SKIN_FOLLOWUP
    ).first()
    if task is not None:
        return task
    start, end = skin_followup_window_days(policy)
    performed = timezone.localtime(report.performed_at if report else timezone.now()).date()
    owner = _operator(order, report)
    return followup_create(
        actor=actor,
        patient_id=order.patient_id,
        order_id=order.pk,
        kind=FollowUpKind.SKIN_CHECK,
        description=MSG_SKIN_CHECK.format(
            alerts=" ".join(a.message.rstrip(".") + "." for a in srdl),
            start=start,
            end=end,
            date=performed,
        ),
        window_start=performed + timedelta(days=start),
        due_date=performed + timedelta(days=end),
        owner_id=owner.pk if owner is not None else None,
        source=f"dose report {report.pk}" if report is not None else "dose alert",
        source_rule_id=SKIN_FOLLOWUP,
        source_rule_version=rule(SKIN_FOLLOWUP).rule_set_version,
    )


def dose_alerts_refresh(
    *, actor: Actor, order_id: int, report_id: int | None = None
) -> list[DoseAlert]:
    """Re-evaluate an order's alerts after a report was linked; create the skin follow-up
    when a substantial radiation dose level is reached (once per order). The rules' work:
    callers act as the system."""
    order = Order.objects.select_related("created_by").get(pk=order_id)
    report = (
        RadiationDoseReport.objects.select_related("booking__primary_operator").get(pk=report_id)
        if report_id is not None
        else None
    )
    policy = site_policy()
    totals = order_dose_totals(order_id=order.pk)
    reached = radiation_alerts(
        ka_r_mgy=totals["ka_r_mgy"],
        kap_gy_cm2=totals["dap_gy_cm2"],
        fluoro_time_s=totals["fluoro_time_s"],
        policy=policy,
    )
    end = totals["last_at"] or timezone.now()
    cumulative = patient_cumulative_ka_r(
        patient_id=order.patient_id, end=end, window_days=cumulative_window_days(policy)
    )
    if cumulative is not None:
        reached += [
            a
            for a in radiation_alerts(cumulative_skin_dose_mgy=cumulative, policy=policy)
            if a.level == "review"
        ]
    stored = [_upsert(order, report, alert) for alert in reached]
    srdl = [a for a in stored if a.level == AlertLevel.SRDL]
    if srdl:
        task = _skin_check(actor, order, report, srdl, policy)
        for alert in srdl:
            _attach_task(alert, task)
    return stored + patient_cumulative_refresh(
        actor=actor, patient_id=order.patient_id, report=report, policy=policy
    )


def _attach_task(alert: DoseAlert, task: FollowUpTask) -> None:
    if alert.followup_task_id != task.pk:
        alert.followup_task = task
        alert.save(update_fields=["followup_task", "updated_at"])


def patient_cumulative_refresh(
    *,
    actor: Actor,
    patient_id: int,
    report: RadiationDoseReport | None = None,
    policy: SitePolicy | None = None,
) -> list[DoseAlert]:
    """Re-evaluate the patient's cumulative SRDL alerts over all their linked procedures
    (after any link or correction): one alert per crossing, naming every contributing
    procedure; one skin follow-up per crossing unless a contributing procedure already has
    one. A stored crossing the doses no longer reach is kept and says so. The rules' work:
    callers act as the system."""
    policy = policy or site_policy()
    crossings = cumulative_crossings(patient_exposures(patient_id=patient_id), policy=policy)
    existing = list(
        DoseAlert.objects.filter(patient_id=patient_id, rule_id__in=CUMULATIVE_SRDL.values())
    )
    stored: list[DoseAlert] = []
    for crossing in crossings:
        alert = _cumulative_match(existing, crossing)
        if alert is not None:
            existing.remove(alert)
        alert = _cumulative_upsert(alert, patient_id, crossing, report)
        _attach_task(alert, _cumulative_skin_check(actor, alert, crossing, report, policy))
        stored.append(alert)
    for stale in existing:  # the doses were corrected below the level
        if not stale.message.startswith(MSG_CUMULATIVE_WITHDRAWN.format(message="")):
            stale.message = MSG_CUMULATIVE_WITHDRAWN.format(message=stale.message)[:300]
            stale.save(update_fields=["message", "updated_at"])
    return stored


def _contributor_orders(alert: DoseAlert) -> set[int]:
    return {c["order_id"] for c in alert.contributions}


def _cumulative_match(alerts: list[DoseAlert], crossing: Crossing) -> DoseAlert | None:
    """The stored alert of this crossing: one sharing a procedure, else one on its order."""
    for alert in alerts:
        if alert.rule_id == crossing.rule_id and _contributor_orders(alert) & crossing.keys:
            return alert
    for alert in alerts:
        if alert.rule_id == crossing.rule_id and alert.order_id == crossing.crossed_by.key:
            return alert
    return None


def _cumulative_upsert(
    alert: DoseAlert | None,
    patient_id: int,
    crossing: Crossing,
    report: RadiationDoseReport | None,
) -> DoseAlert:
    contributions = [
        {**e.to_dict(), "order_id": e.key, "text": contribution_text(e)}
        for e in crossing.contributors
    ]
    values: dict[str, Any] = {
        "patient_id": patient_id,
        "level": AlertLevel.SRDL,
        "rule_set_version": rule(crossing.rule_id).rule_set_version,
        "quantity": crossing.quantity,
        "value": crossing.value,
        "threshold": crossing.threshold,
        "unit": "mGy",
        "message": crossing.message[:300],
        "confidence": crossing.confidence,
        "verified": crossing.verified,
        "source": crossing.source,
        "contributions": contributions,
    }
    if report is not None and report.order_id in crossing.keys:
        values["report"] = report
    if alert is None:
        return DoseAlert.objects.create(
            order_id=crossing.crossed_by.key, rule_id=crossing.rule_id, **values
        )
    if alert.contributions == contributions and alert.message == values["message"]:
        return alert
    if not crossing.keys <= _contributor_orders(alert):
        # Another procedure adds to the crossing: it needs acknowledging again.
        values.update(acknowledged_at=None, acknowledged_by=None, acknowledgement_note="")
    for name, value in values.items():
        setattr(alert, name, value)
    alert.save()
    return alert


def _cumulative_skin_check(
    actor: Actor,
    alert: DoseAlert,
    crossing: Crossing,
    report: RadiationDoseReport | None,
    policy: SitePolicy,
) -> FollowUpTask:
    """The crossing's skin follow-up: its own, else one a contributing procedure already
    has (a single-procedure SRDL of the same episode), else a new one on the alert's
    procedure, due from the day of the procedure that crossed."""
    if alert.followup_task is not None:
        return alert.followup_task
    task = (
        FollowUpTask.objects.filter(
            order_id__in=crossing.keys,
            kind=FollowUpKind.SKIN_CHECK,
            source_rule_id=SKIN_FOLLOWUP,
        )
        .order_by("-due_date", "-pk")
        .first()
    )
    if task is not None:
        return task
    order = Order.objects.select_related("created_by").get(pk=alert.order_id)
    start, end = skin_followup_window_days(policy)
    last = crossing.contributors[-1].on
    owner = _operator(order, report if report is not None and report.order_id == order.pk else None)
    return followup_create(
        actor=actor,
        patient_id=order.patient_id,
        order_id=order.pk,
        kind=FollowUpKind.SKIN_CHECK,
        description=MSG_SKIN_CHECK_CUMULATIVE.format(
            alert=crossing.message,
            procedures="; ".join(contribution_text(e) for e in crossing.contributors),
            start=start,
            end=end,
            date=last,
        ),
        window_start=last + timedelta(days=start),
        due_date=last + timedelta(days=end),
        owner_id=owner.pk if owner is not None else None,
        source=f"dose report {report.pk}" if report is not None else "cumulative dose alert",
        source_rule_id=SKIN_FOLLOWUP,
        source_rule_version=rule(SKIN_FOLLOWUP).rule_set_version,
    )


@transaction.atomic
def dose_alert_acknowledge(*, actor: Actor, alert_id: int, note: str = "") -> DoseAlert:
    """A physician acknowledges a dose alert (who, when and the note are audited)."""
    require(actor, "dose.acknowledge")
    alert = DoseAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(MSG_ALERT_NOT_FOUND)
    patient_get(actor=actor, patient_id=alert.patient_id, what="dose alert acknowledgement")
    if alert.acknowledged_at is not None:
        raise ValidationFailed({"alert": MSG_ALREADY_ACKNOWLEDGED})
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = person(actor)
    alert.acknowledgement_note = note.strip()[:300]
    with history_actor(actor):
        alert.save(
            update_fields=[
                "acknowledged_at",
                "acknowledged_by",
                "acknowledgement_note",
                "updated_at",
            ]
        )
    return alert
