"""Follow-up rules of the procedure catalogue: when a procedure is completed (and again at
discharge, harmlessly), each rule of its catalogue entry — e.g. “imaging 30 days after an
ablation” — becomes a follow-up task with an owner and a due date.

A task names its rule (`catalogue:<code>:<n>`), so it is created once per procedure however
often the rules are applied, and anyone can see why it exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.followup.models import FollowUpKind, FollowUpTask
from irflow.followup.services import followup_create
from irflow.lib.db import violates
from irflow.procedures.models import ProcedureRecord

# Tasks fall due in a window ending on the due date: a clinic visit can be booked in the
# week before it.
WINDOW_DAYS = 7
RULE_SET_VERSION = "catalogue"


def rule_id(code: str, index: int) -> str:
    return f"catalogue:{code}:{index}"


def _owner(record: ProcedureRecord) -> User | None:
    """The procedure's primary operator (physician), else whoever completed the record."""
    operator = record.booking.primary_operator
    if operator is not None and operator.is_active:
        return operator
    member = record.team.filter(role="primary_operator", entered_in_error=False).first()
    if member is not None:
        return member.user
    return record.completed_by


def followup_rules_apply(*, actor: Actor, procedure_id: int) -> list[FollowUpTask]:
    """Create the catalogue's follow-up tasks for a completed procedure (once each). The rules
    create them, not whoever completed the procedure: callers act as the system."""
    record = ProcedureRecord.objects.select_related(
        "order__procedure_type", "booking__primary_operator", "completed_by"
    ).get(pk=procedure_id)
    procedure_type = record.order.procedure_type
    base = timezone.localtime(record.ended_at or record.completed_at or timezone.now()).date()
    owner = _owner(record)
    created = []
    for index, rule in enumerate(procedure_type.follow_up_rules or []):
        rid = rule_id(procedure_type.code, index)
        kind = rule.get("kind", FollowUpKind.OTHER)
        if kind not in FollowUpKind.values:
            kind = FollowUpKind.OTHER
        if FollowUpTask.objects.filter(order=record.order, kind=kind, source_rule_id=rid).exists():
            continue
        due = base + timedelta(days=int(rule.get("after_days", 30)))
        try:
            with transaction.atomic():
                task = followup_create(
                    actor=actor,
                    patient_id=record.patient_id,
                    kind=kind,
                    description=str(rule.get("description") or FollowUpKind(kind).label),
                    due_date=due,
                    window_start=max(base, due - timedelta(days=WINDOW_DAYS)),
                    owner_id=owner.pk if owner is not None else None,
                    order_id=record.order_id,
                    source=f"{procedure_type.name} ({record.order.accession_number})",
                    source_rule_id=rid,
                    source_rule_version=RULE_SET_VERSION,
                )
        except IntegrityError as exc:  # created a moment ago by a concurrent discharge
            if not violates(
                exc,
                constraints=("followup_once_per_rule_and_order",),
                unique=[("order_id", "kind", "source_rule_id")],
            ):
                raise
            continue
        created.append(task)
    return created
