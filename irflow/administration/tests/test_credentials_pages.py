"""The credentials pages: an administrator grants, renews and revokes privileges and records
certifications; the 60-day list; nobody else opens them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from irflow.accounts.models import Certification, Privilege
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def test_administrator_renews_and_revokes_a_privilege(client, personas):
    admin, attending = personas["admin"], personas["attending"]
    login(client, admin)
    assert "Credentials and privileges" in client.get("/administration/").content.decode()
    privilege = Privilege.objects.get(user=attending, category="vascular")
    url = f"/administration/credentials/{attending.pk}/"
    assert "Renew the privilege" in client.get(f"{url}?privilege={privilege.pk}").content.decode()
    today = timezone.localdate()
    response = client.post(
        f"{url}privileges/{privilege.pk}/renew/",
        {"renewed_on": today, "expires_at": today - timedelta(days=1), "privilege": privilege.pk},
    )
    assert response.status_code == 422
    assert "The expiry must come after the day of the grant." in response.content.decode()
    response = client.post(
        f"{url}privileges/{privilege.pk}/renew/",
        {"renewed_on": today, "expires_at": today + timedelta(days=30), "granted_by": attending.pk},
    )
    assert response.status_code == 302
    privilege.refresh_from_db()
    assert privilege.expires_at == today + timedelta(days=30)
    listing = client.get("/administration/credentials/").content.decode()
    assert "Privilege: Vascular" in listing  # expires within 60 days
    response = client.post(f"{url}privileges/{privilege.pk}/revoke/", {"on": today, "reason": ""})
    assert response.status_code == 422
    client.post(f"{url}privileges/{privilege.pk}/revoke/", {"on": today, "reason": "Review."})
    privilege.refresh_from_db()
    assert privilege.revoked_at == today and privilege.revoke_reason == "Review."


def test_administrator_records_a_certification_and_sees_it_flagged(client, personas):
    admin, nurse = personas["admin"], personas["nurse"]
    login(client, admin)
    today = timezone.localdate()
    response = client.post(
        f"/administration/credentials/{nurse.pk}/certifications/",
        {"kind": "sedation", "obtained_on": today - timedelta(days=700), "expires_on": today},
    )
    assert response.status_code == 302 and Certification.objects.filter(user=nurse).exists()
    listing = client.get("/administration/credentials/").content.decode()
    assert "Sedation expires on" in listing


def test_only_administrators_open_the_credentials_pages(client, personas):
    for name in ("attending", "scheduler", "qi_lead", "trainee"):
        login(client, personas[name])
        assert client.get("/administration/credentials/").status_code == 403
        assert (
            client.get(f"/administration/credentials/{personas['attending'].pk}/").status_code
            == 403
        )
