"""The system actor: the work irflow does itself, held to the matrix like any role. It holds
exactly what it does and is refused the rest; its history names no user but says it was the
system; no person acts as it; and no service goes on without an actor."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from irflow.accounts.actors import SYSTEM, person, person_only
from irflow.accounts.models import User
from irflow.accounts.permissions import MATRIX, MSG_FORBIDDEN, can, require, scope
from irflow.accounts.roles import PERSON_ROLES, Role
from irflow.accounts.services import privilege_grant, user_create
from irflow.lib.errors import Forbidden, ValidationFailed

# Moving bookings from the modality's reports; follow-up tasks from dose alerts and the
# catalogue's rules; re-reading quarantined dose reports; users, privileges and API tokens
# made by the set-up commands and the demo; patients, orders and referrals from HL7.
SYSTEM_ACTIONS = {
    "booking.progress",
    "followup.manage",
    "dose.reconcile",
    "user.manage",
    "apitoken.manage",
    # Applying HL7 from the hospital: ADT and orders (irflow.hl7server.apply).
    "patient.view",
    "patient.create",
    "patient.edit",
    "patient.merge",
    "order.create",
    "order.view",
    "order.cancel",
    "booking.manage",
    "referral.create",
    "referral.cancel",
    # Trainees' logbook entries when a procedure completes (irflow.training.handlers).
    "logbook.record",
}


def test_the_system_holds_exactly_what_it_does():
    assert {action for action in MATRIX if can(SYSTEM, action)} == SYSTEM_ACTIONS
    assert all(scope(SYSTEM, action) is not None for action in SYSTEM_ACTIONS)


def test_the_system_is_refused_like_anyone():
    with pytest.raises(Forbidden) as exc:
        require(SYSTEM, "report.sign")
    assert exc.value.message == MSG_FORBIDDEN.format(
        role="System", action="sign procedure reports and addenda"
    )
    with pytest.raises(Forbidden):
        person_only(SYSTEM)
    assert person(SYSTEM) is None


@pytest.mark.django_db
def test_a_service_without_an_actor_is_refused():
    with pytest.raises(Forbidden):
        user_create(actor=None, username="nobody", role=Role.NURSE)  # type: ignore[arg-type]
    assert not User.objects.filter(username="nobody").exists()


@pytest.mark.django_db
def test_history_written_by_the_system_names_no_user_but_says_so():
    user = user_create(actor=SYSTEM, username="set-up", role=Role.PHYSICIAN)
    privilege = privilege_grant(
        actor=SYSTEM, user_id=user.pk, category="vascular", granted_at=user.date_joined.date()
    )
    assert privilege.granted_by is None
    for entry in (
        LogEntry.objects.get_for_object(user).get(),
        LogEntry.objects.get_for_object(privilege).get(),
    ):
        assert entry.actor is None and entry.actor_email == "system"


@pytest.mark.django_db
def test_no_person_acts_as_the_system(personas):
    assert Role.SYSTEM not in dict(PERSON_ROLES)
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=personas["admin"], username="impostor", role=Role.SYSTEM)
    assert "role" in exc.value.errors
    nurse = personas["nurse"]
    User.objects.filter(pk=nurse.pk).update(role=Role.SYSTEM)
    nurse.refresh_from_db()
    assert not any(can(nurse, action) for action in MATRIX)
