"""The site's urgency targets: how soon a referral of each urgency should be triaged and
treated (waiting times are measured against them). Administrators set them; changes are kept
in the history."""

from __future__ import annotations

from django.db import transaction

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.lib.errors import ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Priority
from irflow.referrals.models import DEFAULT_TARGETS, UrgencyTarget

MAX_HOURS = 24 * 365
MSG_HOURS = "Give a number of hours between 1 and 8760."
MSG_ORDER = "The procedure target cannot come before the triage target."
MSG_URGENCY = "“{value}” is not an urgency (emergent, urgent or routine)."


def urgency_targets_list() -> list[UrgencyTarget]:
    """One target per urgency, most urgent first (the site defaults where none is stored)."""
    stored = {t.urgency: t for t in UrgencyTarget.objects.all()}
    rows = []
    for urgency in Priority.values:
        triage_h, procedure_h = DEFAULT_TARGETS[Priority(urgency)]
        rows.append(
            stored.get(urgency)
            or UrgencyTarget(
                urgency=urgency, triage_within_hours=triage_h, procedure_within_hours=procedure_h
            )
        )
    return sorted(rows, key=lambda t: t.procedure_within_hours)


def _problems(urgency: str, triage_h: int, procedure_h: int) -> dict[str, str]:
    if urgency not in Priority.values:
        return {"urgency": MSG_URGENCY.format(value=urgency)}
    errors = {}
    for field, value in (
        ("triage_within_hours", triage_h),
        ("procedure_within_hours", procedure_h),
    ):
        if not 1 <= value <= MAX_HOURS:
            errors[f"{urgency}.{field}"] = MSG_HOURS
    if not errors and procedure_h < triage_h:
        errors[f"{urgency}.procedure_within_hours"] = MSG_ORDER
    return errors


@transaction.atomic
def urgency_targets_set(*, actor: Actor, targets: dict[str, tuple[int, int]]) -> None:
    """Set how soon referrals of each urgency should be triaged and treated, in hours
    ({urgency: (triage, procedure)}); all or nothing. A wrong value is named
    `<urgency>.<field>`, e.g. `urgent.procedure_within_hours`."""
    require(actor, "referral.targets")
    errors: dict[str, str] = {}
    for urgency, (triage_h, procedure_h) in targets.items():
        errors.update(_problems(urgency, triage_h, procedure_h))
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        for urgency, (triage_h, procedure_h) in targets.items():
            UrgencyTarget.objects.update_or_create(
                urgency=urgency,
                defaults={"triage_within_hours": triage_h, "procedure_within_hours": procedure_h},
            )
