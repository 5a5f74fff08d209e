"""Who may associate: the called AE title must be irflow's; off loopback (and on loopback with
IRFLOW_DICOM_REFUSE_UNKNOWN_AE) the calling AE must be configured, active and call from its
host; without a configured AE irflow refuses to listen beyond loopback at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    Verification,
)

from irflow.dicomserver import server
from irflow.dicomserver.handlers.association import AccessPolicy
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.tests.conftest import findscu
from irflow.dicomserver.transport import Limits, Slots
from irflow.testing.service import free_port
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.e2e

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - never bound here: the point is that irflow refuses


def echoscu(listener, *, calling: str = "ANGIO1", called: str | None = None):
    binary = require_tool("echoscu", "dcmtk")
    return subprocess.run(
        [
            *(binary, "-v", "-aet", calling, "-aec", called or listener.ae_title),
            *(listener.host, str(listener.port)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def echo(listener, *, calling: str = "ANGIO1", called: str | None = None):
    ae = AE(ae_title=calling)
    ae.add_requested_context(Verification)
    return ae.associate(listener.host, listener.port, ae_title=called or listener.ae_title)


def rejection(assoc) -> tuple[int, int, int]:
    primitive = assoc.acceptor.primitive
    return (primitive.result, primitive.result_source, primitive.diagnostic)


def test_a_wrong_called_ae_title_is_rejected(listener):
    assoc = echo(listener, called="NOT_IRFLOW")
    assert assoc.is_rejected
    assert rejection(assoc) == (0x01, 0x01, 0x07)  # permanent, called AE not recognised
    process = echoscu(listener, called="NOT_IRFLOW")
    assert process.returncode != 0
    assert "Called AE Title Not Recognized" in process.stdout + process.stderr
    # irflow's own title, spaces and all, is served.
    assert echoscu(listener).returncode == 0


def test_an_unconfigured_calling_ae_is_rejected_when_required(listener, settings, tmp_path):
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = True
    RemoteAE.objects.create(ae_title="ANGIO1", host="127.0.0.1")
    assoc = echo(listener, calling="EVIL_SCANNER")
    assert assoc.is_rejected
    assert rejection(assoc) == (0x01, 0x01, 0x03)  # permanent, calling AE not recognised
    process = echoscu(listener, calling="EVIL_SCANNER")
    assert process.returncode != 0
    assert "Calling AE Title Not Recognized" in process.stdout + process.stderr
    found, answers = findscu(listener, "PatientName=*", calling="EVIL_SCANNER", out=tmp_path)
    assert found.returncode != 0 and answers == []
    assert "Calling AE Title Not Recognized" in found.stdout + found.stderr
    # The configured one still gets in, from its host.
    assert echoscu(listener, calling="ANGIO1").returncode == 0
    ok, _ = findscu(listener, "PatientName=*", calling="ANGIO1", out=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_configured_ae_is_offered_only_the_services_it_may_use(listener, tmp_path):
    RemoteAE.objects.create(ae_title="ANGIO1", may_query_worklist=False)
    ae = AE(ae_title="ANGIO1")
    for context in (ModalityWorklistInformationFind, ModalityPerformedProcedureStep, Verification):
        ae.add_requested_context(context)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    accepted = {cx.abstract_syntax for cx in assoc.accepted_contexts}
    assert accepted == {ModalityPerformedProcedureStep, Verification}
    assoc.release()
    process, answers = findscu(listener, "PatientName=*", calling="ANGIO1", out=tmp_path)
    assert process.returncode != 0 and answers == []
    # Another AE (unknown, on loopback without the setting) is offered everything.
    other, _ = findscu(listener, "PatientName=*", calling="CT2", out=tmp_path)
    assert other.returncode == 0, other.stdout + other.stderr


def test_configured_aes_are_required_whenever_the_listener_is_not_on_loopback(settings):
    slots = Slots(Limits(10, 5, 200, 40, 60))
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = False
    assert AccessPolicy("IRFLOW", loopback_only=False, slots=slots).requires_configured_aes()
    assert not AccessPolicy("IRFLOW", loopback_only=True, slots=slots).requires_configured_aes()
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = True
    assert AccessPolicy("IRFLOW", loopback_only=True, slots=slots).requires_configured_aes()
    for host, loopback in [("127.0.0.1", True), ("::1", True), ("localhost", True)]:
        assert server.is_loopback(host) is loopback
    for host in [EVERY_ADDRESS, "", "10.1.2.3", "::", "pacs.example.org"]:
        assert not server.is_loopback(host)


@pytest.mark.django_db
def test_irflow_dicom_refuses_to_listen_beyond_loopback_without_a_configured_ae():
    config = server.ListenerConfig.from_settings(host=EVERY_ADDRESS, port=free_port())
    assert server.refusal(config) == server.MSG_OPEN_WITHOUT_AES.format(host=EVERY_ADDRESS)
    with pytest.raises(CommandError, match="no calling AE is configured"):
        call_command("dicom", "--host", EVERY_ADDRESS, "--port", str(config.port), "--quiet")
    RemoteAE.objects.create(ae_title="ANGIO1", host="10.0.0.7", active=False)
    assert server.refusal(config) is not None  # an inactive AE does not count
    RemoteAE.objects.create(ae_title="ANGIO2", host="10.0.0.8")
    assert server.refusal(config) is None
    loopback = server.ListenerConfig.from_settings(host="127.0.0.1", port=config.port)
    RemoteAE.objects.all().delete()
    assert server.refusal(loopback) is None


def test_irflow_up_refuses_to_listen_beyond_loopback_without_a_configured_ae(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.pop("DATABASE_URL", None)  # the refusal comes before anything is served: SQLite
    env.update(IRFLOW_DATA_DIR=str(tmp_path), IRFLOW_DICOM_HOST=EVERY_ADDRESS, PYTHONUNBUFFERED="1")
    process = subprocess.run(
        [
            *(sys.executable, "-m", "irflow", "up", "--no-demo"),
            *("--port", str(free_port()), "--dicom-port", str(free_port())),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode != 0
    assert "no calling AE is configured" in process.stdout + process.stderr
    assert "irflow is running" not in process.stdout
