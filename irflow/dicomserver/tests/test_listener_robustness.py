"""Whatever a peer sends, the listener answers with a status and keeps serving."""

from __future__ import annotations

import random
import time
from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, evt
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.dsutils import encode
from pynetdicom.events import Event
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    Verification,
)

from irflow.dicomserver import server
from irflow.dicomserver.handlers.find import MSG_UNDECODABLE, handle_find
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.scu import Serial, hold_reactor
from irflow.dicomserver.synthetic import worklist_fill
from irflow.dicomserver.worklist.filters import ON_WORKLIST
from irflow.scheduling.models import Booking
from irflow.testing.service import free_port

pytestmark = pytest.mark.e2e

FAILURES = {0xA900, 0xC000}


@pytest.fixture
def worklist(listener):
    worklist_fill(count=300, first_day=date(2026, 3, 26), seed=7, stations=3, slots_per_day=8)
    return listener


def station_query(station: str = "") -> Dataset:
    ds = Dataset()
    ds.PatientName = ""
    ds.PatientID = ""
    sps = Dataset()
    sps.ScheduledStationAETitle = station
    sps.ScheduledProcedureStepID = ""
    ds.ScheduledProcedureStepSequence = [sps]
    return ds


def encoded(ds: Dataset) -> bytes:
    data = encode(ds, True, True)  # implicit VR little endian, the default context
    assert data is not None
    return data


def raw_find(
    assoc: Serial,
    identifier: bytes,
    msg_id: int = 7,
    transfer_syntax: str = ImplicitVRLittleEndian,
    cancel: bool = False,
) -> list[Dataset]:
    """Send a C-FIND whose identifier is `identifier`, byte for byte; collect the answers.
    With `cancel`, a C-CANCEL follows the request at once, before any answer is read."""
    context = next(
        cx
        for cx in assoc.accepted_contexts
        if cx.abstract_syntax == ModalityWorklistInformationFind
        and cx.transfer_syntax[0] == transfer_syntax
    )
    request = C_FIND()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = ModalityWorklistInformationFind
    request.Priority = 2
    request.Identifier = BytesIO(identifier)
    # As pynetdicom's own send_c_find does: pause the association's reactor, which would
    # otherwise take the responses off the queue first.
    hold_reactor(assoc.association)
    try:
        assoc.dimse.send_msg(request, context.context_id)
        if cancel:
            assoc.send_c_cancel(msg_id, context.context_id)
        statuses = []
        while True:
            _, response = assoc.dimse.get_msg(block=True)
            assert response is not None, "no answer"
            statuses.append(response)
            if response.Status not in (0xFF00, 0xFF01):
                return statuses
    finally:
        assoc._reactor_checkpoint.set()


def garbage(seed: int) -> bytes:
    rng = random.Random(seed)
    valid = encoded(station_query("STN01"))
    choices = [
        bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))),
        valid[: rng.randint(1, len(valid) - 1)],  # cut mid-element
        b"\x10\x00\x10\x00\xff\xff\xff\x7f" + b"Smith",  # a length far past the end
        b"\xff\xff\xff\xff\x08\x00\x00\x00ABCDEFGH",  # an impossible tag
        b"\x08\x00\x05\x00\x0a\x00\x00\x00ISO_IR 999" + valid,  # unknown character set
    ]
    return choices[seed % len(choices)]


@pytest.fixture
def explicit_vr(listener):
    """An association that encodes in Explicit VR Little Endian, where the VR is on the wire."""
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context(ModalityWorklistInformationFind, ExplicitVRLittleEndian)
    ae.add_requested_context(ModalityWorklistInformationFind, ImplicitVRLittleEndian)
    ae.add_requested_context(Verification)
    assoc = Serial(ae.associate(listener.host, listener.port, ae_title=listener.ae_title))
    yield assoc
    if assoc.is_established:
        assoc.release()


@pytest.mark.filterwarnings("ignore:Unknown encoding")
def test_garbage_identifiers_get_a_failure_status(listener, explicit_vr, associate):
    worklist_fill(count=20, first_day=date(2026, 3, 26), seed=8, stations=2, slots_per_day=4)
    assoc = explicit_vr
    for seed in range(20):
        statuses = raw_find(assoc, garbage(seed), msg_id=seed + 1)
        final = statuses[-1]
        assert final.Status in FAILURES | {0x0000}, (seed, hex(final.Status))
        if final.Status in FAILURES:
            assert final.ErrorComment, seed
        # The association survives, and so does the listener.
        assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    # The SPS sequence sent as text, its VR on the wire.
    sequence_as_text = b"\x40\x00\x00\x01LO\x08\x00NOTASEQ!"
    refused = raw_find(assoc, sequence_as_text, transfer_syntax=ExplicitVRLittleEndian)
    assert refused[-1].Status == 0xA900 and "expected a sequence" in refused[-1].ErrorComment
    undecodable = raw_find(assoc, b"\x10\x00\x10\x00\xff\xff\xff\x7fSmith")
    assert undecodable[-1].Status == 0xA900
    assert MSG_UNDECODABLE in undecodable[-1].ErrorComment
    fresh = associate()
    answers = list(fresh.send_c_find(station_query("STN01"), ModalityWorklistInformationFind))
    steps = Booking.objects.filter(station_ae_title="STN01", status__in=ON_WORKLIST, active=True)
    assert answers[-1][0].Status == 0x0000 and len(answers) == steps.count() + 1


def test_unsupported_queries(worklist, associate):
    assoc = associate()
    many = station_query()
    many.PatientName = ["Smith", "Jones"]  # several values: only UIDs may be a list
    final = list(assoc.send_c_find(many, ModalityWorklistInformationFind))[-1][0]
    assert final.Status == 0xA900 and "multiple values" in final.ErrorComment
    unknown_key = station_query("STN01")
    unknown_key.InstitutionName = "General*"  # not in the worklist model: not matched on
    answers = list(assoc.send_c_find(unknown_key, ModalityWorklistInformationFind))
    assert {status.Status for status, _ in answers[:-1]} == {0xFF01}
    assert answers[-1][0].Status == 0x0000
    assert answers[0][1].InstitutionName == ""  # requested, returned zero-length


def test_abort_mid_query_then_serve_again(worklist, associate):
    assoc = associate()
    responses = assoc.send_c_find(station_query(), ModalityWorklistInformationFind)
    status, _ = next(responses)
    assert status.Status == 0xFF00
    assoc.abort()
    for _ in range(3):  # several aborted queries leave nothing behind
        other = associate()
        next(other.send_c_find(station_query(), ModalityWorklistInformationFind))
        other.abort()
    again = associate()
    answers = list(again.send_c_find(station_query(), ModalityWorklistInformationFind))
    assert answers[-1][0].Status == 0x0000 and len(answers) > 250


def test_cancel_mid_query(worklist, associate):
    """A C-CANCEL follows the query at once. pynetdicom reads what the peer sends only when
    it has nothing queued to send, so the cancel may reach the listener after the last answer
    was queued (then the query ends in Success, as the standard allows); either way the query
    ends cleanly and the association goes on serving, nothing of the cancelled query left."""
    assoc = associate()
    answers = raw_find(assoc, encoded(station_query()), msg_id=9, cancel=True)
    steps = Booking.objects.filter(status__in=ON_WORKLIST, active=True).count()
    assert answers[-1].Status in (0xFE00, 0x0000)
    assert {a.Status for a in answers[:-1]} <= {0xFF00}
    assert len(answers) <= steps + 1
    assert assoc.send_c_echo().Status == 0x0000
    again = raw_find(assoc, encoded(station_query()), msg_id=10)
    assert [a.MessageIDBeingRespondedTo for a in again] == [10] * (steps + 1)
    assert again[-1].Status == 0x0000


def test_a_cancel_stops_the_answers(worklist, associate):
    """The worklist handler, as the listener calls it, with the C-CANCEL arriving after the
    third answer: it stops there and answers Cancel."""
    client = associate().association  # a real association: its AE title and address
    request = C_FIND()
    request.MessageID = 11
    request.AffectedSOPClassUID = ModalityWorklistInformationFind
    request.Identifier = BytesIO(encoded(station_query()))
    checks = []

    def is_cancelled(msg_id: int) -> bool:
        checks.append(msg_id)
        return len(checks) > 3

    context = next(
        cx for cx in client.accepted_contexts if cx.transfer_syntax[0] == ImplicitVRLittleEndian
    )
    event = Event(
        client,
        evt.EVT_C_FIND,
        {"request": request, "context": context.as_tuple, "_is_cancelled": is_cancelled},
    )
    answers = list(handle_find(event))
    assert [status for status, _ in answers] == [0xFF00] * 3 + [0xFE00]
    assert all(identifier is not None for _, identifier in answers[:3])
    assert set(checks) == {11}


def test_association_limit(transactional_db):
    config = server.ListenerConfig.from_settings(
        host="127.0.0.1", port=free_port(), max_associations=2
    )
    running = server.start(config, block=False)
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context(Verification)
    try:
        first = ae.associate(config.host, config.port, ae_title=config.ae_title)
        second = ae.associate(config.host, config.port, ae_title=config.ae_title)
        third = ae.associate(config.host, config.port, ae_title=config.ae_title)
        assert first.is_established and second.is_established
        assert third.is_rejected
        first.release()
        second.release()
        # Released associations give their slots back at once, whatever their threads do.
        fourth = ae.associate(config.host, config.port, ae_title=config.ae_title)
        assert fourth.is_established
        fourth.release()
    finally:
        server.stop(running)


@pytest.mark.parametrize(
    ("configured", "allowed"),
    [
        (None, False),
        ({"active": True}, True),
        ({"active": False}, False),
        ({"active": True, "host": "localhost"}, True),
        ({"active": True, "host": "192.0.2.7"}, False),
    ],
)
def test_refusing_unknown_calling_ae_titles(listener, settings, configured, allowed):
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = True
    if configured is not None:
        RemoteAE.objects.create(ae_title="ANGIO1", **configured)
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context(Verification)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    try:
        assert assoc.is_established is allowed
        if not allowed:
            assert assoc.is_rejected
            rejection = assoc.acceptor.primitive
            assert (rejection.result, rejection.diagnostic) == (0x01, 0x03)
    finally:
        if assoc.is_established:
            assoc.release()
    # Without the setting, any calling AE title is served.
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = False
    open_ae = AE(ae_title="SOMEONE")
    open_ae.add_requested_context(Verification)
    other = open_ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert other.is_established
    other.release()


def test_association_threads_close_their_database_connections(worklist, associate, settings):
    """Released, aborted and rejected associations alike leave no database connection."""
    if connection.vendor != "postgresql":
        pytest.skip("counting server connections needs PostgreSQL")

    def connections_now() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    def settled(limit: int) -> int:
        """The count once the association threads have ended (they end on their own time)."""
        deadline = time.monotonic() + 20
        while (count := connections_now()) > limit and time.monotonic() < deadline:
            time.sleep(0.1)
        return count

    before = connections_now()
    for _ in range(3):
        assoc = associate()
        list(assoc.send_c_find(station_query("STN01"), ModalityWorklistInformationFind))
        assoc.release()
        aborted = associate()
        next(aborted.send_c_find(station_query(), ModalityWorklistInformationFind))
        aborted.abort()
    settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE = True
    for _ in range(3):
        assert associate(calling="STRANGER").is_rejected
    assert settled(before + 1) <= before + 1


def test_stop_waits_for_associations_then_aborts_the_rest(transactional_db):
    config = server.ListenerConfig.from_settings(host="127.0.0.1", port=free_port())
    running = server.start(config, block=False)
    ae = AE(ae_title="ANGIO1")
    ae.add_requested_context(Verification)
    ae.acse_timeout = 5
    idle = ae.associate(config.host, config.port, ae_title=config.ae_title)
    assert idle.is_established
    server.stop(running, grace_s=0.5)
    deadline = time.monotonic() + 20
    while idle.is_established and time.monotonic() < deadline:
        time.sleep(0.05)
    assert idle.is_aborted
    assert not ae.associate(config.host, config.port, ae_title=config.ae_title).is_established
