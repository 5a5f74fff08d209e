"""The Storage SCP for dose reports in this process: dcmtk's storescu and a pynetdicom client
as the modality."""

from __future__ import annotations

import subprocess

import pytest
from django_tasks_db.models import DBTaskResult
from pydicom import dcmread
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGLosslessSV1,
    RLELossless,
)
from pynetdicom import AE

from irflow.accounts.actors import SYSTEM
from irflow.dicom.rdsr_builder import CtRdsr, ProjectionRdsr, make_ct_scans, make_events
from irflow.dicomserver import server
from irflow.dicomserver.handlers.storage import (
    ENHANCED_SR,
    STATUS_OUT_OF_RESOURCES,
    X_RAY_RADIATION_DOSE_SR,
)
from irflow.dose import storage
from irflow.dose.models import ReceivedObject, ReceivedStatus
from irflow.dose.services import received_process
from irflow.testing.service import free_port
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """Received objects are written under a throwaway DATA_DIR."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def listener():
    config = server.ListenerConfig.from_settings(host="127.0.0.1", port=free_port())
    running = server.start(config, block=False)
    yield config
    # The associations' threads finish (and close their database connections) before the
    # database is flushed for the next test.
    server.stop(running)


def storescu(config, path, *options: str) -> subprocess.CompletedProcess:
    tool = require_tool("storescu", "dcmtk")
    return subprocess.run(
        [
            tool,
            "-aet",
            "ANGIO1",
            "-aec",
            config.ae_title,
            *options,
            "127.0.0.1",
            str(config.port),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"TCP_NODELAY": "1", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("stored_as", "options"),
    [
        # (Explicit VR Little Endian, storescu's default: tests/e2e/test_dose_listener.py.)
        (ExplicitVRLittleEndian, ("-xi",)),
        (ExplicitVRLittleEndian, ("-xd",)),
        (JPEGLosslessSV1, ("-xs",)),
        (RLELossless, ("-xr",)),
    ],
)
def test_storescu_object_is_durable_recorded_and_queued(listener, tmp_path, stored_as, options):
    rdsr = ProjectionRdsr(events=make_events(3, seed=60))
    path = rdsr.write(tmp_path / "dose.dcm", transfer_syntax=stored_as)

    result = storescu(listener, path, *options)

    assert result.returncode == 0, result.stderr
    received = ReceivedObject.objects.get()
    assert received.status == ReceivedStatus.RECEIVED
    assert received.calling_ae_title == "ANGIO1" and received.channel == "dicom"
    assert received.sop_class_uid == X_RAY_RADIATION_DOSE_SR
    stored = storage.absolute(received.file_path)
    assert dcmread(stored).SOPInstanceUID == received.sop_instance_uid
    task = DBTaskResult.objects.get(task_path="irflow.dose.tasks.received_process_task")
    assert task.args_kwargs["args"] == [received.pk]
    outcome = received_process(actor=SYSTEM, received_id=received.pk)
    assert outcome.status == "imported"
    assert outcome.report.ka_r_total_mgy == pytest.approx(sum(e.dose_rp_mgy for e in rdsr.events))
    if options == ("-xi",):
        assert received.transfer_syntax_uid == ImplicitVRLittleEndian
    if options == ("-xd",):
        assert received.transfer_syntax_uid == DeflatedExplicitVRLittleEndian


def send(config, data_path, sop_class=X_RAY_RADIATION_DOSE_SR) -> int:
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context(sop_class, [ExplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", config.port, ae_title=config.ae_title)
    assert assoc.is_established
    try:
        status = assoc.send_c_store(dcmread(data_path))
    finally:
        assoc.release()
    return status.Status


def test_enhanced_sr_ct_report_is_accepted(listener, tmp_path):
    path = CtRdsr(scans=make_ct_scans(2), enhanced_sr=True).write(tmp_path / "ct.dcm")

    assert send(listener, path, ENHANCED_SR) == 0x0000
    assert ReceivedObject.objects.get().sop_class_uid == ENHANCED_SR


def test_write_failure_answers_out_of_resources_and_records_nothing(listener, tmp_path, settings):
    path = ProjectionRdsr(events=make_events(2, seed=61)).write(tmp_path / "dose.dcm")
    # A data "folder" that is a file: nothing can be written under it (even as root).
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    settings.DATA_DIR = blocked

    status = send(listener, path)

    assert status == STATUS_OUT_OF_RESOURCES
    assert not ReceivedObject.objects.exists()


def test_verification_still_answers(listener):
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate("127.0.0.1", listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
