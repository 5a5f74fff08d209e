"""Remote AEs in the admin (permission-checked, audited), and the simulator's refusals (the
conformance statement's tables are checked with every generated doc: tests/test_docs.py)."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from irflow.dicomserver.models import RemoteAE
from irflow.testing.fixtures import login
from irflow.testing.service import free_port

pytestmark = pytest.mark.django_db


def test_administrator_configures_a_remote_ae(client, personas, angio_room):
    admin = personas["admin"]
    login(client, admin)
    page = client.get("/admin/dicomserver/remoteae/add/")
    assert page.status_code == 200
    saved = client.post(
        "/admin/dicomserver/remoteae/add/",
        {
            "ae_title": " ANGIO1 ",
            "room": angio_room.pk,
            "host": "10.0.0.7",
            "charset": "ISO_IR 100",
            "active": "on",
            "description": "Biplane angio",
        },
    )
    assert saved.status_code == 302, saved.content[:2000]
    remote = RemoteAE.objects.get()
    assert remote.ae_title == "ANGIO1" and remote.charset == "ISO_IR 100"
    entry = LogEntry.objects.get_for_object(remote).get()
    assert entry.actor == admin and entry.action == LogEntry.Action.CREATE

    changed = client.post(
        f"/admin/dicomserver/remoteae/{remote.pk}/change/",
        {"ae_title": "ANGIO1", "room": angio_room.pk, "charset": "ISO_IR 192", "host": ""},
    )
    assert changed.status_code == 302
    remote.refresh_from_db()
    assert remote.charset == "ISO_IR 192" and not remote.active
    assert LogEntry.objects.get_for_object(remote).count() == 2


def test_invalid_ae_titles_are_refused(client, personas):
    login(client, personas["admin"])
    for title in ["", "A" * 17, "BAD\\AE", "ÄNGIO"]:
        page = client.post(
            "/admin/dicomserver/remoteae/add/", {"ae_title": title, "charset": "ISO_IR 100"}
        )
        assert page.status_code == 200, title  # the form again, with the error
    assert not RemoteAE.objects.exists()


@pytest.mark.parametrize("persona", ["attending", "technologist", "auditor"])
def test_only_administrators_configure_remote_aes(client, personas, persona):
    user = personas[persona]
    user.is_staff = True  # even with admin-site access, the matrix decides
    user.save()
    login(client, user)
    assert client.get("/admin/dicomserver/remoteae/").status_code == 403


def test_simulator_reports_a_listener_that_does_not_answer():
    with pytest.raises(CommandError, match="No association with IRFLOW"):
        call_command("simulate-modality", "--station", "ANGIO1", "--port", str(free_port()))
