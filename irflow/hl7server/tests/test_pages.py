"""The HL7 interface pages: messages received and sent (status, search, paging, the raw text
with its access-log row, the buttons offered only to who may press them), and the
administrator's screens of destinations and code mappings (history, field errors).

Rows are made directly with the ORM: the listener and the sender write them in service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone
from django.utils.html import escape

from irflow.audit.models import AccessLog
from irflow.catalogue.models import ProcedureType
from irflow.hl7.ack import ack
from irflow.hl7.parse import HL7Error, parse
from irflow.hl7server import selectors
from irflow.hl7server.models import (
    CodeMapping,
    Destination,
    Inbound,
    InboundMessage,
    Outbound,
    OutboundMessage,
)
from irflow.hl7server.services import MSG_HOST, MSG_MAPPED, MSG_PORT
from irflow.testing.fixtures import PERSONAS, login

pytestmark = pytest.mark.django_db

ADT = (
    "MSH|^~\\&|PAS|RVH|IRFLOW|IR|20260105101500||ADT^A08^ADT_A01|{cid}|P|2.5.1||||||UNICODE UTF-8\r"
    "EVN|A08|20260105101500\r"
    "PID|1||{mrn}^^^RVH^MR||{family}^{given}||19560412|M\r"
)
ORM = (
    "MSH|^~\\&|EPIC|EPIC|IRFLOW|IR|20260105101500||ORM^O01|{cid}|P|2.3.1\r"
    "PID|1||{mrn}^^^RVH^MR||DOE^JANE||19700101|F\r"
    "ORC|NW|{cid}^EPIC\r"
    "OBR|1|{cid}^EPIC||{code}^{text}^{system}\r"
)


def received(
    text: str,
    *,
    status: str = Inbound.APPLIED,
    patient=None,
    error: HL7Error | None = None,
    outcome: str = "",
) -> InboundMessage:
    """A message as the listener stores it, with the ACK it sent."""
    raw = text.encode("utf-8")
    parsed = parse(raw)
    header = parsed.header
    pid = parsed.first("PID")
    code = (
        "AA"
        if status in (Inbound.APPLIED, Inbound.IGNORED)
        else ("AR" if status == Inbound.REJECTED else "AE")
    )
    return InboundMessage.objects.create(
        peer="127.0.0.1:40000",
        raw=raw,
        charset=header.charset,
        sending_application=header.sending_application,
        sending_facility=header.sending_facility,
        control_id=header.control_id,
        message_type=header.message_type,
        version=header.version,
        patient_key=pid.field_text(3) if pid else "",
        status=status,
        ack_code=code,
        ack=ack(header, code, control_id=f"ACK{header.control_id}", error=error),
        error_location=error.location if error else "",
        error=error.reason if error else "",
        outcome=outcome,
        patient=patient,
    )


def adt(cid: str, *, mrn: str = "M1", family: str = "SMITH", given: str = "JOHN", **kw):
    return received(ADT.format(cid=cid, mrn=mrn, family=family, given=given), **kw)


@pytest.fixture
def destination(db) -> Destination:
    return Destination.objects.create(name="Hospital EHR", host="127.0.0.1", port=2576)


def sent(
    destination: Destination, cid: str, *, status=Outbound.PENDING, attempts=0, patient=None, **kw
):
    return OutboundMessage.objects.create(
        destination=destination,
        message_type="ORU^R01",
        control_id=cid,
        event="report 1",
        text=f"MSH|^~\\&|IRFLOW|IR|EHR|RVH|20260105||ORU^R01|{cid}|P|2.5.1\rPID|1||M1\r",
        status=status,
        attempts=attempts,
        patient=patient,
        **kw,
    )


# ------------------------------------------------------------------ who may open what


@pytest.mark.parametrize("name", list(PERSONAS))
def test_the_interface_pages_answer_each_role_as_the_matrix_says(
    client, personas, name, destination
):
    message = adt("C1")
    out = sent(destination, "O1")
    login(client, personas[name])
    view = name in ("admin", "integration")
    manage = name == "admin"
    for url, allowed in [
        ("/hl7/", view),
        (f"/hl7/received/{message.pk}/", view),
        ("/hl7/sent/", view),
        (f"/hl7/sent/{out.pk}/", view),
        ("/hl7/destinations/", manage),
        ("/hl7/destinations/new/", manage),
        (f"/hl7/destinations/{destination.pk}/", manage),
        ("/hl7/mappings/", manage),
        ("/hl7/mappings/new/", manage),
    ]:
        assert client.get(url).status_code == (200 if allowed else 403), url
    home = client.get("/").content.decode()
    assert ('href="/hl7/"' in home) is view


def test_the_navigation_counts_the_messages_sent_that_need_someone(client, personas, destination):
    sent(destination, "O1", status=Outbound.STUCK, attempts=12)
    sent(destination, "O2", status=Outbound.REFUSED, attempts=1)
    sent(destination, "O3", attempts=10)  # past the destination's tries: stuck
    sent(destination, "O4", attempts=2)
    sent(destination, "O5", status=Outbound.SENT, attempts=1)
    login(client, personas["integration"])
    page = client.get("/hl7/").content.decode()
    assert "HL7, 3 waiting" in page
    assert "3 messages sent need attention" in page


def test_the_administration_hub_links_the_hl7_screens(client, personas):
    login(client, personas["admin"])
    hub = client.get("/administration/").content.decode()
    assert 'href="/hl7/destinations/"' in hub and 'href="/hl7/mappings/"' in hub


# ------------------------------------------------------------------ received


def test_received_messages_are_searched_by_patient_control_id_and_status(client, personas, patient):
    linked = adt("LINKED1", mrn="T0000001", family="MULLER", given="JORG", patient=patient)
    unlinked = adt("KEYONLY", mrn="Q998877", family="JONES", given="ANN")
    failed = adt(
        "BAD1",
        status=Inbound.ERROR,
        error=HL7Error("The date of birth is not a date.", location="PID-7"),
    )
    login(client, personas["admin"])

    def found(query: str) -> set[str]:
        page = selectors.inbound_messages(actor=personas["admin"], **_params(query))
        return {m.control_id for m in page.rows}

    def _params(query: str) -> dict:
        key, _, value = query.partition("=")
        return {key: value}

    assert found("q=müller") == {"LINKED1"}  # the patient's name, folded
    assert found("q=mull jorg") == {"LINKED1"}
    assert found("q=T0000001") == {"LINKED1"}  # the patient's MRN
    assert found("q=Q998877") == {"KEYONLY"}  # PID-3 as sent, no patient linked
    assert found("q=BAD1") == {"BAD1"}  # MSH-10
    assert found("status=error") == {"BAD1"}
    assert found("q=nobody") == set()
    page = client.get("/hl7/", {"q": "KEYONLY"}).content.decode()
    assert "KEYONLY" in page and "LINKED1" not in page
    page = client.get("/hl7/", {"status": "error"}).content.decode()
    assert "BAD1" in page and "PID-7" in page and "Error (AE)" in page
    assert linked.pk and unlinked.pk and failed.pk


def test_received_messages_come_50_a_page_newest_first(client, personas):
    now = timezone.now()
    rows = [
        InboundMessage(raw=b"MSH|", control_id=f"P{i:03}", message_type="ADT^A08")
        for i in range(120)
    ]
    InboundMessage.objects.bulk_create(rows)
    # Some share a timestamp (several listeners at once): the id orders them.
    for i, m in enumerate(InboundMessage.objects.order_by("id")):
        InboundMessage.objects.filter(pk=m.pk).update(received_at=now + timedelta(seconds=i // 3))
    seen: list[str] = []
    older = None
    pages = 0
    while True:
        page = selectors.inbound_messages(actor=personas["admin"], older_than=older)
        pages += 1
        assert len(page.rows) <= selectors.PAGE_SIZE
        seen += [m.control_id for m in page.rows]
        if page.older is None:
            break
        older = page.older
    assert pages == 3
    assert seen == [f"P{i:03}" for i in reversed(range(120))]
    login(client, personas["admin"])
    first = client.get("/hl7/").content.decode()
    assert first.count('href="/hl7/received/') == 50
    assert "Older messages" in first and "Newest" not in first
    second = client.get("/hl7/", {"older": str(InboundMessage.objects.get(control_id="P070").pk)})
    text = second.content.decode()
    assert "P069" in text and "P070" not in text and "Newest" in text


def test_a_message_shows_its_raw_text_a_segment_a_line_and_the_read_is_logged(
    client, personas, patient
):
    message = adt(
        "RAW1",
        mrn="T0000001",
        status=Inbound.ERROR,
        patient=patient,
        error=HL7Error("The date of birth is not a date.", location="PID-7"),
    )
    login(client, personas["integration"])
    before = AccessLog.objects.count()
    page = client.get(f"/hl7/received/{message.pk}/").content.decode()
    assert escape("MSH|^~\\&|PAS|RVH") in page
    assert "\nEVN|A08|20260105101500\nPID|1||T0000001^^^RVH^MR" in page.replace("\r", "")
    assert "MSA|AE|RAW1" in page  # the ACK sent
    assert "<dt>Character set (MSH-18)</dt><dd>UNICODE UTF-8</dd>" in page
    assert "PID-7" in page and "The date of birth is not a date." in page
    row = AccessLog.objects.order_by("-id").first()
    assert AccessLog.objects.count() == before + 1
    assert row.patient_id == patient.pk and "RAW1" in row.what and row.username == "integration"
    assert "Re-process" not in page  # integration accounts may look, not act


def test_a_raw_message_of_no_known_patient_logs_its_pid3(client, personas):
    message = adt("RAW2", mrn="Z123")
    login(client, personas["admin"])
    client.get(f"/hl7/received/{message.pk}/")
    row = AccessLog.objects.order_by("-id").first()
    assert row.patient_id is None and "Z123" in row.what


def test_the_list_logs_one_read_per_patient_shown(client, personas, patient):
    adt("L1", patient=patient)
    adt("L2", patient=patient)
    login(client, personas["admin"])
    client.get("/hl7/")
    rows = AccessLog.objects.filter(what="HL7 messages received")
    assert [r.patient_id for r in rows] == [patient.pk]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Inbound.ERROR, True),
        (Inbound.FAILED, True),
        (Inbound.RECEIVED, True),
        (Inbound.APPLIED, False),
        (Inbound.IGNORED, False),
        (Inbound.REJECTED, False),
    ],
)
def test_re_process_is_offered_only_where_it_would_be_taken(client, personas, status, offered):
    message = adt("RP1", status=status)
    login(client, personas["admin"])
    page = client.get(f"/hl7/received/{message.pk}/").content.decode()
    assert ("Re-process</button>" in page) is offered


def test_re_process_runs_the_listeners_re_processing(client, personas):
    receive = pytest.importorskip("irflow.hl7server.receive", reason="the listener's module")
    assert callable(receive.reprocess)
    message = adt("RP2", status=Inbound.FAILED)
    login(client, personas["integration"])
    assert client.post(f"/hl7/received/{message.pk}/reprocess/").status_code == 403
    login(client, personas["admin"])
    response = client.post(f"/hl7/received/{message.pk}/reprocess/")
    assert response.status_code == 302 and response.url == f"/hl7/received/{message.pk}/"
    message.refresh_from_db()
    assert message.reprocessed == 1


def test_a_message_that_does_not_exist_is_404(client, personas):
    login(client, personas["admin"])
    assert client.get("/hl7/received/999999/").status_code == 404
    assert client.get("/hl7/sent/999999/").status_code == 404


# ------------------------------------------------------------------ sent


def test_the_outboxes_show_stuck_messages_in_words_and_colour(
    client, personas, destination, patient
):
    sent(destination, "OK1", status=Outbound.SENT, attempts=1, patient=patient)
    stuck = sent(
        destination,
        "STUCK1",
        status=Outbound.STUCK,
        attempts=12,
        last_error="Connection refused",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    sent(destination, "WAIT1", attempts=1)
    login(client, personas["integration"])
    page = client.get("/hl7/sent/").content.decode()
    assert "1 stuck" in page and "Stuck after 12 tries" in page and 'class="stuck"' in page
    assert "Connection refused" in page
    only = client.get("/hl7/sent/", {"status": "stuck"}).content.decode()
    assert "STUCK1" in only and "WAIT1" not in only
    assert "OK1" in client.get("/hl7/sent/", {"q": "müller"}).content.decode()
    detail = client.get(f"/hl7/sent/{stuck.pk}/").content.decode()
    assert "Stuck:" in detail and "ORU^R01" in detail
    assert "Try now" not in detail and "Cancel this message" not in detail  # not for integration
    login(client, personas["admin"])
    detail = client.get(f"/hl7/sent/{stuck.pk}/").content.decode()
    assert "Try now</button>" in detail and "Cancel this message" in detail


@pytest.mark.parametrize(
    ("status", "button", "cancel"),
    [
        (Outbound.PENDING, "Try now", True),
        (Outbound.STUCK, "Try now", True),
        (Outbound.REFUSED, "Resend as a new message", False),
        (Outbound.CANCELLED, "Resend as a new message", False),
        (Outbound.SENT, "Resend as a new message", False),
    ],
)
def test_resend_and_cancel_are_offered_only_where_they_would_be_taken(
    client, personas, destination, status, button, cancel
):
    message = sent(destination, "B1", status=status)
    login(client, personas["admin"])
    page = client.get(f"/hl7/sent/{message.pk}/").content.decode()
    assert f"{button}</button>" in page
    assert ("Cancel this message" in page) is cancel
    Destination.objects.filter(pk=destination.pk).update(active=False)
    page = client.get(f"/hl7/sent/{message.pk}/").content.decode()
    assert f"/hl7/sent/{message.pk}/resend/" not in page  # nothing is sent to it while inactive


def test_resend_and_cancel_run_the_outboxs_own(client, personas, destination):
    outbox = pytest.importorskip("irflow.hl7server.outbox", reason="the outbox's module")
    assert callable(outbox.resend) and callable(outbox.cancel)
    refused = sent(destination, "R1", status=Outbound.REFUSED, attempts=1)
    waiting = sent(destination, "W1", attempts=1)
    login(client, personas["integration"])
    assert client.post(f"/hl7/sent/{refused.pk}/resend/").status_code == 403
    login(client, personas["admin"])
    response = client.post(f"/hl7/sent/{refused.pk}/resend/")
    assert response.status_code == 302
    again = OutboundMessage.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert again.status == Outbound.PENDING and again.destination == destination
    assert again.text.split("\r")[1:] == refused.text.split("\r")[1:]
    assert "queued" in client.get(response.url).content.decode().lower()
    no_reason = client.post(f"/hl7/sent/{waiting.pk}/cancel/", {"reason": ""})
    assert no_reason.status_code == 422
    cancelled = client.post(f"/hl7/sent/{waiting.pk}/cancel/", {"reason": "sent by fax"})
    assert cancelled.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Outbound.CANCELLED
    twice = client.post(f"/hl7/sent/{waiting.pk}/cancel/", {"reason": "again"})
    assert twice.status_code == 422  # the outbox refuses; the page says why


def test_the_outbox_list_logs_one_read_per_patient_shown(client, personas, destination, patient):
    sent(destination, "A1", patient=patient)
    login(client, personas["admin"])
    client.get("/hl7/sent/")
    assert [r.patient_id for r in AccessLog.objects.filter(what="HL7 messages sent")] == [
        patient.pk
    ]
    message = OutboundMessage.objects.get(control_id="A1")
    client.get(f"/hl7/sent/{message.pk}/")
    assert AccessLog.objects.order_by("-id").first().what == "HL7 message sent A1"


# ------------------------------------------------------------------ destinations


DESTINATION_POST = {
    "name": "Interface engine",
    "host": "10.1.2.3",
    "port": "6661",
    "receiving_application": "RHAPSODY",
    "receiving_facility": "RVH",
    "version": "2.3.1",
    "charset": "8859/1",
    "sends_results": "on",
    "sends_schedules": "on",
    "max_attempts": "5",
    "ack_timeout_s": "20",
    "active": "on",
}


def test_a_destination_is_added_changed_and_deactivated_with_its_history(client, personas):
    admin = personas["admin"]
    login(client, admin)
    response = client.post("/hl7/destinations/new/", DESTINATION_POST)
    assert response.status_code == 302 and response.url == "/hl7/destinations/"
    destination = Destination.objects.get(name="Interface engine")
    assert (destination.host, destination.port, destination.version) == ("10.1.2.3", 6661, "2.3.1")
    assert (
        destination.sends_results and destination.sends_schedules and not destination.sends_orders
    )
    listing = client.get("/hl7/destinations/").content.decode()
    assert "10.1.2.3:6661" in listing and "results, schedules" in listing
    form = client.get(f"/hl7/destinations/{destination.pk}/").content.decode()
    assert 'value="RHAPSODY"' in form
    changed = {**DESTINATION_POST, "port": "6662", "sends_orders": "on"}
    assert client.post(f"/hl7/destinations/{destination.pk}/", changed).status_code == 302
    destination.refresh_from_db()
    assert destination.port == 6662 and destination.sends_orders
    assert client.post(f"/hl7/destinations/{destination.pk}/deactivate/").status_code == 302
    destination.refresh_from_db()
    assert not destination.active
    history = list(LogEntry.objects.get_for_object(destination).order_by("id"))
    assert len(history) == 3 and all(e.actor == admin for e in history)
    assert history[1].changes_dict["port"] == ["6661", "6662"]


def test_a_wrong_destination_is_shown_beside_its_fields_and_nothing_is_saved(client, personas):
    login(client, personas["admin"])
    bad = {**DESTINATION_POST, "host": "10.1.2.3:6661", "port": "70000"}
    response = client.post("/hl7/destinations/new/", bad)
    assert response.status_code == 422
    text = response.content.decode()
    assert "Ensure this value is less than or equal to 65535." in text
    assert not Destination.objects.exists()
    only_host = client.post("/hl7/destinations/new/", {**DESTINATION_POST, "host": "a host"})
    assert only_host.status_code == 422 and escape(MSG_HOST) in only_host.content.decode()
    assert not Destination.objects.exists()
    Destination.objects.create(name="Interface engine", host="h", port=1)
    twin = client.post("/hl7/destinations/new/", DESTINATION_POST)
    assert twin.status_code == 422 and "already exists" in twin.content.decode()


def test_the_service_names_the_port_when_the_form_is_bypassed(personas):
    from irflow.hl7server.services import destination_save
    from irflow.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        destination_save(actor=personas["admin"], destination_id=None, name="X", host="h", port=0)
    assert refused.value.errors == {"port": [MSG_PORT]}


# ------------------------------------------------------------------ code mappings


def test_a_code_is_mapped_changed_and_removed_with_its_history(client, personas):
    admin = personas["admin"]
    picc, nephro = (
        ProcedureType.objects.get(code="PICC"),
        ProcedureType.objects.exclude(code="PICC").filter(active=True).first(),
    )
    login(client, admin)
    post = {
        "code": "IR123",
        "text": "PICC line",
        "coding_system": "L",
        "sending_application": "EPIC",
        "procedure_type": picc.pk,
    }
    response = client.post("/hl7/mappings/new/", post)
    assert response.status_code == 302
    mapping = CodeMapping.objects.get(code="IR123")
    assert mapping.procedure_type == picc and mapping.created_by == admin
    assert "IR123" in client.get("/hl7/mappings/").content.decode()
    twin = client.post("/hl7/mappings/new/", post)
    assert twin.status_code == 422
    assert escape(MSG_MAPPED.format(procedure=picc)) in twin.content.decode()
    assert (
        client.post(
            f"/hl7/mappings/{mapping.pk}/", {**post, "procedure_type": nephro.pk}
        ).status_code
        == 302
    )
    mapping.refresh_from_db()
    assert mapping.procedure_type == nephro
    assert client.post(f"/hl7/mappings/{mapping.pk}/delete/").status_code == 302
    assert not CodeMapping.objects.exists()
    history = list(
        LogEntry.objects.filter(object_pk=str(mapping.pk), content_type__model="codemapping")
    )
    assert len(history) == 3 and all(e.actor == admin for e in history)


def test_a_wrong_mapping_names_its_fields(client, personas):
    login(client, personas["admin"])
    response = client.post("/hl7/mappings/new/", {"code": "A^B", "procedure_type": ""})
    assert response.status_code == 422
    text = response.content.decode()
    assert "This field is required." in text
    assert not CodeMapping.objects.exists()


def test_the_codes_received_that_no_mapping_covers_are_offered_to_map(client, personas):
    received(ORM.format(cid="O1", mrn="M1", code="73610", text="X-RAY ANKLE", system="L"))
    received(ORM.format(cid="O2", mrn="M2", code="73610", text="X-RAY ANKLE", system="L"))
    received(ORM.format(cid="O3", mrn="M3", code="IR1", text="PICC", system="L"))
    CodeMapping.objects.create(
        code="IR1", coding_system="L", procedure_type=ProcedureType.objects.get(code="PICC")
    )
    # Covered too: a mapping of any coding system, and the catalogue's own code.
    received(ORM.format(cid="O4", mrn="M4", code="IR2", text="Drain", system="99RVH"))
    CodeMapping.objects.create(code="IR2", procedure_type=ProcedureType.objects.get(code="PICC"))
    received(ORM.format(cid="O5", mrn="M5", code="PICC", text="PICC line", system="L"))
    adt("A1")  # not an order
    login(client, personas["admin"])
    codes = selectors.unmapped_codes(actor=personas["admin"])
    assert [
        (c.sending_application, c.code, c.coding_system, c.text, c.messages) for c in codes
    ] == [("EPIC", "73610", "L", "X-RAY ANKLE", 2)]
    page = client.get("/hl7/mappings/").content.decode()
    assert "X-RAY ANKLE" in page and "Map it" in page
    form = client.get("/hl7/mappings/new/?" + codes[0].query).content.decode()
    assert 'value="73610"' in form and 'value="X-RAY ANKLE"' in form and 'value="EPIC"' in form
