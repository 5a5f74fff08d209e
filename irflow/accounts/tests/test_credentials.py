"""Privileges granted, renewed and revoked with their history; certifications with expiry and
the flags they raise (never a block)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry

from irflow.accounts import selectors, services
from irflow.accounts.models import Privilege
from irflow.lib.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


def test_grant_renew_revoke_keeps_the_history(personas):
    admin, attending = personas["admin"], personas["attending"]
    privilege = Privilege.objects.get(user=attending, category="oncology")
    services.privilege_renew(
        actor=admin,
        privilege_id=privilege.pk,
        renewed_on=DAY,
        expires_at=DAY + timedelta(days=365),
        granted_by_id=attending.pk,
    )
    privilege.refresh_from_db()
    assert (privilege.granted_at, privilege.expires_at, privilege.granted_by) == (
        DAY,
        DAY + timedelta(days=365),
        attending,
    )
    assert services.user_holds_privilege(user=attending, category="oncology", on=DAY)
    with pytest.raises(ValidationFailed) as exc:
        services.privilege_revoke(actor=admin, privilege_id=privilege.pk, on=DAY, reason="")
    assert "reason" in exc.value.errors
    services.privilege_revoke(
        actor=admin, privilege_id=privilege.pk, on=DAY + timedelta(days=10), reason="Review."
    )
    assert services.user_holds_privilege(user=attending, category="oncology", on=DAY)
    assert not services.user_holds_privilege(
        user=attending, category="oncology", on=DAY + timedelta(days=10)
    )
    privilege.refresh_from_db()
    assert privilege.state(DAY + timedelta(days=10)) == "revoked"
    # Renewed again: held again, the revocation cleared; every change is in the history.
    services.privilege_renew(
        actor=admin, privilege_id=privilege.pk, renewed_on=DAY + timedelta(days=20), expires_at=None
    )
    assert services.user_holds_privilege(
        user=attending, category="oncology", on=DAY + timedelta(days=20)
    )
    changes = LogEntry.objects.get_for_object(privilege).count()
    assert changes >= 4  # created, renewed, revoked, renewed


def test_grant_refuses_bad_input_naming_the_field(personas):
    admin, trainee = personas["admin"], personas["trainee"]
    cases = [
        ({"category": "cardiac"}, "category"),
        ({"expires_at": DAY}, "expires_at"),
        ({"granted_by_id": personas["nurse"].pk}, "granted_by"),
    ]
    for extra, field in cases:
        kwargs = {"category": "vascular", "granted_at": DAY, **extra}
        with pytest.raises(ValidationFailed) as exc:
            services.privilege_grant(actor=admin, user_id=trainee.pk, **kwargs)
        assert field in exc.value.errors
    assert not Privilege.objects.filter(user=trainee).exists()


def test_only_administrators_manage_credentials(personas):
    privilege = Privilege.objects.filter(user=personas["attending"]).first()
    for name in ("attending", "scheduler", "qi_lead"):
        with pytest.raises(Forbidden):
            services.privilege_revoke(
                actor=personas[name], privilege_id=privilege.pk, on=DAY, reason="x"
            )
        with pytest.raises(Forbidden):
            selectors.credentials_expiring(actor=personas[name], on=DAY)


def test_certification_flags_expired_and_soon_expiring(personas):
    admin, attending, nurse = personas["admin"], personas["attending"], personas["nurse"]
    # Radiation training expired yesterday; a renewal recorded later wins over the old row.
    services.certification_record(
        actor=admin, user_id=attending.pk, kind="radiation",
        obtained_on=DAY - timedelta(days=800), expires_on=DAY - timedelta(days=1),
    )  # fmt: skip
    services.certification_record(
        actor=admin, user_id=attending.pk, kind="life_support",
        obtained_on=DAY - timedelta(days=300), expires_on=DAY + timedelta(days=60),
    )  # fmt: skip
    services.certification_record(
        actor=admin, user_id=nurse.pk, kind="sedation",
        obtained_on=DAY - timedelta(days=300), expires_on=DAY + timedelta(days=61),
    )  # fmt: skip
    flags = selectors.credential_flags(
        actor=personas["scheduler"], user_ids=[attending.pk, nurse.pk], on=DAY
    )
    assert flags == {
        attending.pk: [
            "Fluoroscopy / radiation protection training expired on 28 Feb 2026",
            "Life support (e.g. ALS) expires on 30 Apr 2026",
        ]
    }
    rows = selectors.credentials_expiring(actor=admin, on=DAY)
    assert [(r.user, r.expired) for r in rows] == [(attending, True), (attending, False)]
    services.certification_record(
        actor=admin, user_id=attending.pk, kind="radiation",
        obtained_on=DAY, expires_on=DAY + timedelta(days=3 * 365),
    )  # fmt: skip
    flags = selectors.credential_flags(actor=personas["scheduler"], user_ids=[attending.pk], on=DAY)
    assert flags == {attending.pk: ["Life support (e.g. ALS) expires on 30 Apr 2026"]}
    with pytest.raises(ValidationFailed) as exc:
        services.certification_record(
            actor=admin, user_id=nurse.pk, kind="sedation", obtained_on=DAY,
            expires_on=DAY - timedelta(days=1),
        )  # fmt: skip
    assert "expires_on" in exc.value.errors
