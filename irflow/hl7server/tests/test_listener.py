"""The HL7 listener over a real loopback socket, with python-hl7's MLLP client as the sender:
every third-party message of ../shared/data/hl7 acknowledged as the standard says, malformed
input stored and answered (or the connection closed), and the listener serving on after it.
"""

from __future__ import annotations

import random
import socket
import time

import pytest

from irflow.hl7.mllp import END, START_BLOCK
from irflow.hl7.parse import parse
from irflow.hl7server.models import Inbound, InboundMessage
from irflow.hl7server.tests.conftest import start_listener
from irflow.patients.models import PatientIdentifier
from irflow.referrals.models import Referral, ReferralStatus
from irflow.testing.mllp_sender import Ack, Sender, adt_a04
from irflow.testing.tools import shared_data

# The expected MSA-1 for each file of ../shared/data/hl7. With today's apply (ADT, ORM, OMI
# and OMG taken, everything else refused): ORU and SIU are AR. Update a row when applying
# changes what a file gets (e.g. AE for a file whose content irflow refuses).
EXPECTED = {
    "adt-a01.hl7": "AE",  # its segments are separated by spaces: no PID to read
    "invalid-bad-phone.hl7": "AR",  # SIU^S12
    "orm-o01.hl7": "AA",  # processing ID D: accepted in this test (see below)
    "oru-r01-nist-1.hl7": "AR",
    "oru-r01-nist-2.hl7": "AR",
    "siu-s12.hl7": "AR",
    "dcm4che/adt-a31-update-person.hl7": "AA",
    "dcm4che/adt-a40-merge.hl7": "AA",
    "dcm4che/omi-o23-imaging-order.hl7": "AA",
    "dcm4che/orm-o01-general-order-with-zds.hl7": "AA",  # says OMI^O23 in MSH-9
    "dcm4che/oru-r01-sr.hl7": "AR",
    "dcm4che/siu-s12-new-appointment.hl7": "AR",
}


def _check_ack(sent: bytes, answer: bytes, code: str) -> Ack:
    header = parse(sent).header
    got = Ack.read(answer)
    assert got.code == code, got.text
    assert got.control_id == header.control_id  # MSA-2 echoes MSH-10
    # Sender and receiver swapped (irflow answers as IRFLOW when it was not named).
    assert got.msh[2] == (header.receiving_application or "IRFLOW")
    assert got.msh[3] == header.receiving_facility
    assert got.msh[4] == header.sending_application
    assert got.msh[5] == header.sending_facility
    version = tuple(int(p) for p in header.version.split("."))
    expected_type = f"ACK^{header.trigger}^ACK" if version >= (2, 4) else f"ACK^{header.trigger}"
    assert got.message_type == expected_type
    assert got.msh[11] == header.version
    return got


def test_every_shared_message_is_acknowledged(hl7_listener, settings):
    folder = shared_data("hl7")
    # orm-o01.hl7 is an Epic debugging message (MSH-11 D): a test instance accepts it.
    settings.IRFLOW_HL7_PROCESSING_IDS = "P,T,D"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.hl7"))
    assert set(files) == set(EXPECTED), "a file of ../shared/data/hl7 has no expected code"
    with hl7_listener.sender() as sender:
        for name in files:
            raw = (folder / name).read_bytes()
            answer = sender.send(raw)
            _check_ack(raw, answer, EXPECTED[name])
            stored = InboundMessage.objects.get(control_id=parse(raw).header.control_id)
            assert bytes(stored.raw) == raw
            assert stored.ack_code == EXPECTED[name]
            assert stored.ack.encode("latin-1") == answer
            if EXPECTED[name] == "AR":
                assert stored.status == Inbound.REJECTED
                assert "ERR|" in stored.ack
    assert InboundMessage.objects.count() == len(files)
    # What they did: the patients registered, the orders of unknown codes in triage.
    known = {(i.issuer, i.value): i.patient for i in PatientIdentifier.objects.all()}
    appleseed = known[(settings.IRFLOW_MRN_ISSUER, "20891312")]  # Epic: no authority
    assert (appleseed.family_name, appleseed.given_name) == ("APPLESEED", "JOHN")
    assert known[("ADT1", "PID_1")].family_name == "Smith"
    assert known[("ADT1", "NEW_PID_1")].family_name == "New_Smith"  # the A40's survivor
    triage = Referral.objects.filter(status=ReferralStatus.RECEIVED)
    assert set(triage.values_list("requested_procedure_text", flat=True)) >= {"X-RAY ANKLE 3+ VW"}
    assert triage.filter(patient=known[("ADT1", "PID_1")]).exists()  # the dcm4che orders


def test_a_debugging_message_is_refused_by_default(hl7_listener):
    raw = shared_data("hl7", "orm-o01.hl7").read_bytes()
    with hl7_listener.sender() as sender:
        got = _check_ack(raw, sender.send(raw), "AR")
    assert "MSH^1^11^202" in got.text
    assert InboundMessage.objects.get().status == Inbound.REJECTED


def _good(sender: Sender, control_id: str) -> None:
    raw = adt_a04(f"MRN-{control_id}", control_id=control_id)
    _check_ack(raw, sender.send(raw), "AA")


def test_malformed_messages_are_kept_and_answered_and_the_listener_serves_on(hl7_listener):
    bad_phone = shared_data("hl7", "invalid-bad-phone.hl7").read_bytes()
    garbage = bytes(b for b in random.Random(16).randbytes(5000) if b not in (0x0B, 0x1C))
    wrong_msh = b"MSX|^~\\&|ENGINE|HOSP|||20260101||ADT^A04|W1|P|2.5.1\rPID|1||X\r"
    unknown_charset = adt_a04("CS1", control_id="CS1").replace(
        b"|2.5.1\r", b"|2.5.1||||||KLINGON\r", 1
    )
    newline_ends = adt_a04("NL1", control_id="NL1").replace(b"\r", b"\n")
    cases: list[tuple[str, bytes, str]] = [
        ("bad phone", bad_phone, "AR"),
        ("wrong MSH", wrong_msh, "AR"),
        ("binary garbage", garbage, "AR"),
        ("unknown charset", unknown_charset, "AR"),
        ("\\n line ends", newline_ends, "AA"),
    ]
    with hl7_listener.sender() as sender:
        for i, (what, raw, code) in enumerate(cases):
            got = Ack.read(sender.send(raw))
            assert got.code == code, what
            stored = InboundMessage.objects.filter(raw=raw)
            assert stored.count() == 1, what
            _good(sender, f"after-{i}")
    unknown = InboundMessage.objects.get(control_id="CS1")
    assert unknown.status == Inbound.REJECTED and unknown.error_location == "MSH-18"
    nothing = InboundMessage.objects.get(raw=wrong_msh)
    assert nothing.control_id == "" and nothing.status == Inbound.REJECTED


def test_a_repeat_gets_the_original_ack_and_is_applied_once(hl7_listener):
    raw = adt_a04("R1", control_id="REP-1")
    with hl7_listener.sender() as sender:
        first = sender.send(raw)
        time.sleep(1.1)  # a later second: a fresh ACK would carry another MSH-7
    with hl7_listener.sender() as sender:
        again = sender.send(raw)
    assert again == first
    stored = InboundMessage.objects.get(control_id="REP-1")
    assert stored.repeats == 1 and stored.last_repeat_at is not None


def test_a_control_id_reused_for_another_message_is_refused(hl7_listener):
    with hl7_listener.sender() as sender:
        _check_ack(
            adt_a04("A", control_id="SAME"), sender.send(adt_a04("A", control_id="SAME")), "AA"
        )
        other = adt_a04("B", control_id="SAME", family="Other")
        got = Ack.read(sender.send(other))
    assert got.code == "AR" and got.control_id == "SAME"
    assert "205" in got.text
    stored = InboundMessage.objects.get()
    assert b"Other" not in bytes(stored.raw) and stored.repeats == 0


def test_a_frame_cut_short_stores_nothing(hl7_listener):
    raw = adt_a04("T1", control_id="TRUNC")
    with hl7_listener.sender() as sender:
        sender.send_raw(START_BLOCK + raw[: len(raw) // 2])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the listener notices the close
        time.sleep(0.1)
        if not InboundMessage.objects.exists():
            break
    with hl7_listener.sender() as sender:
        _good(sender, "after-truncated")
    assert not InboundMessage.objects.filter(control_id="TRUNC").exists()


def test_a_half_sent_frame_times_out_and_others_are_served(transactional_db):
    found, running = start_listener(frame_timeout_s=1)
    try:
        stalled = found.sender()
        stalled.send_raw(START_BLOCK + b"MSH|^~\\&|ENGINE|HOSP|||2026")
        with found.sender() as other:
            _good(other, "while-stalled")
        # Upper bound, not a measure: the stalled connection is closed within a few seconds.
        stalled.client.socket.settimeout(10)
        assert stalled.client.socket.recv(10) == b""
        stalled.close()
    finally:
        running.stop()
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["while-stalled"]


def test_a_huge_message_is_refused_and_its_head_kept(hl7_listener, settings):
    raw = (
        adt_a04("BIG", control_id="BIG-1")
        + b"OBX|1|ED|PDF||^AP^PDF^Base64^"
        + (b"QUJD" * (10 * 1024 * 1024 // 4))
        + b"\r"
    )
    assert len(raw) > settings.IRFLOW_HL7_MAX_BYTES
    with hl7_listener.sender(timeout=120) as sender:
        got = Ack.read(sender.send(raw))
        assert got.code == "AR" and got.control_id == "BIG-1"
        _good(sender, "after-big")
    stored = InboundMessage.objects.get(control_id="BIG-1")
    assert stored.status == Inbound.REJECTED
    assert raw.startswith(bytes(stored.raw)) and len(stored.raw) < len(raw)
    assert str(len(raw)) in stored.error


def test_idle_connections_stay_open_and_frames_may_come_in_pieces(hl7_listener):
    raw = adt_a04("P1", control_id="PIECES")
    with hl7_listener.sender() as sender:
        _good(sender, "first")
        time.sleep(1.5)
        for i in range(0, len(raw), 17):
            sender.send_raw((START_BLOCK if i == 0 else b"") + raw[i : i + 17])
            time.sleep(0.01)
        sender.send_raw(END)
        assert Ack.read(sender.read_ack()).control_id == "PIECES"


def test_several_messages_sent_at_once_are_answered_in_order(hl7_listener):
    messages = [adt_a04(f"B{i}", control_id=f"BATCH-{i}") for i in range(20)]
    with hl7_listener.sender() as sender:
        sender.send_raw(b"".join(START_BLOCK + m + END for m in messages))
        answers = [Ack.read(sender.read_ack()).control_id for _ in messages]
    assert answers == [f"BATCH-{i}" for i in range(20)]
    ids = InboundMessage.objects.order_by("id").values_list("control_id", flat=True)
    assert list(ids) == answers


def test_many_connections_at_once(hl7_listener):
    senders = [hl7_listener.sender() for _ in range(5)]
    try:
        for round_ in range(3):
            for n, sender in enumerate(senders):
                _good(sender, f"c{n}-{round_}")
    finally:
        for sender in senders:
            sender.close()
    assert InboundMessage.objects.count() == 15


def test_the_listener_stops_cleanly_with_a_connection_open(transactional_db):
    found, running = start_listener()
    sender = found.sender()
    _good(sender, "before-stop")
    running.stop()
    assert not running._thread.is_alive()
    sender.client.socket.settimeout(5)
    assert sender.client.socket.recv(10) == b""
    sender.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", found.port), timeout=1).close()


def test_beyond_loopback_only_the_allowed_senders():
    from irflow.hl7server.listener import ListenerConfig, peer_allowed, refusal

    open_to_all = ListenerConfig.from_settings(host="192.0.2.10", allowed_peers=())
    assert "IRFLOW_HL7_ALLOWED_PEERS" in (refusal(open_to_all) or "")
    engine = ListenerConfig.from_settings(host="192.0.2.10", allowed_peers=("10.1.2.0/24",))
    assert refusal(engine) is None
    assert peer_allowed(engine, "10.1.2.7") and peer_allowed(engine, "127.0.0.1")
    assert not peer_allowed(engine, "10.1.3.7")
    assert refusal(ListenerConfig.from_settings(allowed_peers=("not an address",)))
