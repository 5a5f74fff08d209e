"""Reads for the HL7 interface pages: the messages received and sent, the destinations and
the code mappings.

A message names a patient (its PID segment, its patient), so reading the lists and the raw
text is reading patient data: each list writes one access-log row per patient it showed, each
message opened one row. Lists are paged (50 rows, newest first, a cursor to the older ones):
an interface may log a million messages, the page never reads them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, F, Min, Q, QuerySet

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.catalogue.models import ProcedureType
from irflow.hl7.parse import HL7Error, decode, parse
from irflow.hl7server.models import (
    CodeMapping,
    Destination,
    Inbound,
    InboundMessage,
    Outbound,
    OutboundMessage,
)
from irflow.lib.errors import NotFound
from irflow.patients.models import Patient, PatientIdentifier
from irflow.patients.selectors import parse_search

PAGE_SIZE = 50
MSG_NO_MESSAGE = "No such HL7 message."
MSG_NO_DESTINATION = "No such HL7 destination."
MSG_NO_MAPPING = "No such code mapping."

# What an administrator may do to a message, by its status (the services check again).
# Re-processing takes a message that was not applied; cancelling one not sent yet; resending
# any message of an active destination (one waiting is tried at once, any other is queued
# again as a new message).
REPROCESSABLE = frozenset({Inbound.ERROR, Inbound.FAILED, Inbound.RECEIVED})
CANCELLABLE = frozenset({Outbound.PENDING, Outbound.STUCK})
# Messages in these states still wait to be sent.
WAITING = (Outbound.PENDING, Outbound.STUCK)
ORDER_MESSAGES = ("ORM", "OMI", "OMG")
# How many recent order messages the mapping screen looks through for unmapped codes.
UNMAPPED_SCAN = 500


@dataclass
class Page:
    """One page of a list, newest first; `older` is the cursor to the next page, if any."""

    rows: list
    older: int | None = None


def _shown(rows: Iterable) -> list[tuple[int, str]]:
    return [(r.patient_id, str(r.patient)) for r in rows if r.patient_id is not None]


def _patient_ids(q: str) -> QuerySet[Patient] | None:
    """The patients a search text names: an identifier (MRN, NHS number) or a name
    ("smith", "smith jo", "smith, john"); None when the text names no patient."""
    terms = parse_search(q)
    if terms.identifier is None and not terms.names:
        return None
    qs = Patient.objects.all()
    if terms.identifier is not None:
        ids = PatientIdentifier.objects.filter(
            value__in={terms.identifier, terms.identifier.upper()}
        ).values("patient_id")
        qs = qs.filter(pk__in=ids)
    if terms.names:
        first, *rest = terms.names
        if rest:
            second = rest[0]
            qs = qs.filter(
                Q(family_name_key__startswith=first, given_name_key__startswith=second)
                | Q(family_name_key__startswith=second, given_name_key__startswith=first)
            )
        else:
            qs = qs.filter(
                Q(family_name_key__startswith=first) | Q(given_name_key__startswith=first)
            )
    return qs


def _search(q: str, *, patient_key: bool) -> Q:
    """A message matches a control id (MSH-10) exactly, or a patient by name or identifier,
    or (received messages) its PID-3 as sent beginning with the text."""
    q = q.strip()
    match = Q(control_id=q)
    if patient_key:
        match |= Q(patient_key__startswith=q)
    patients = _patient_ids(q)
    if patients is not None:
        match |= Q(patient__in=patients.values("pk"))
    return match


# ------------------------------------------------------------------ received


def inbound_messages(
    *, actor: Actor, status: str = "", q: str = "", older_than: int | None = None
) -> Page:
    """Received messages, newest first, 50 a page: filtered by status, searched by patient
    (name, identifier, PID-3 as sent) or control id; `older_than` is the last id of the
    page before."""
    require(actor, "hl7.view")
    qs = InboundMessage.objects.select_related("patient").defer("raw", "ack")
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(_search(q, patient_key=True))
    if older_than is not None:
        last = InboundMessage.objects.filter(pk=older_than).values("received_at").first()
        if last is not None:
            at = last["received_at"]
            qs = qs.filter(Q(received_at__lt=at) | Q(received_at=at, pk__lt=older_than))
    rows = list(qs.order_by("-received_at", "-id")[: PAGE_SIZE + 1])
    page = Page(rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None)
    access_log_record(
        actor=actor, patient=None, what="HL7 messages received", shown=_shown(page.rows)
    )
    return page


@dataclass
class InboundDetail:
    message: InboundMessage
    segments: list[str]  # the raw message, one segment a line, decoded
    ack_segments: list[str]
    can_reprocess: bool


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if line]


def raw_text(raw: bytes) -> str:
    """The raw bytes as text, in the character set MSH-18 names (as the listener read them);
    bytes that set cannot read are shown as Latin-1, never hidden."""
    try:
        return decode(raw)[0]
    except HL7Error:
        return raw.decode("latin-1")


def inbound_message(*, actor: Actor, message_id: int) -> InboundDetail:
    """One received message with its raw text and ACK (the read is access-logged)."""
    require(actor, "hl7.view")
    message = InboundMessage.objects.select_related("patient").filter(pk=message_id).first()
    if message is None:
        raise NotFound(MSG_NO_MESSAGE)
    what = f"HL7 message received {message.control_id or message.pk} (raw)"
    if message.patient_id is None and message.patient_key:
        what += f", PID-3 {message.patient_key}"
    access_log_record(actor=actor, patient=message.patient, what=what)
    return InboundDetail(
        message=message,
        segments=_lines(raw_text(bytes(message.raw))),
        ack_segments=_lines(message.ack),
        can_reprocess=may_reprocess(actor, message),
    )


def may_reprocess(actor: Actor, message: InboundMessage) -> bool:
    return message.status in REPROCESSABLE and can(actor, "hl7.manage")


# ------------------------------------------------------------------ sent


def is_stuck(message: OutboundMessage) -> bool:
    """Stuck: marked so by the sender, or still waiting after the destination's tries."""
    return message.status == Outbound.STUCK or (
        message.status == Outbound.PENDING and message.attempts >= message.destination.max_attempts
    )


@dataclass
class DestinationSummary:
    destination: Destination
    counts: dict[str, int] = field(default_factory=dict)  # status -> messages
    oldest_waiting: datetime | None = None
    overdue: int = 0  # pending after the destination's tries (the sender has not marked them)

    @property
    def waiting(self) -> int:
        return sum(self.counts.get(s, 0) for s in WAITING)

    @property
    def stuck(self) -> int:
        return self.counts.get(Outbound.STUCK, 0) + self.overdue

    @property
    def refused(self) -> int:
        return self.counts.get(Outbound.REFUSED, 0)


def destination_summaries(*, actor: Actor) -> list[DestinationSummary]:
    """Every destination with how many of its messages are in each state (one query)."""
    require(actor, "hl7.view")
    summaries = {d.pk: DestinationSummary(d) for d in Destination.objects.order_by("name")}
    counts = OutboundMessage.objects.values("destination_id", "status").annotate(n=Count("id"))
    for count in counts:
        summaries[count["destination_id"]].counts[count["status"]] = count["n"]
    # Pending messages past their destination's tries count as stuck too.
    overdue = (
        OutboundMessage.objects.filter(
            status=Outbound.PENDING, attempts__gte=F("destination__max_attempts")
        )
        .values("destination_id")
        .annotate(n=Count("id"))
    )
    for late in overdue:
        summaries[late["destination_id"]].overdue = late["n"]
    oldest = (
        OutboundMessage.objects.filter(status__in=WAITING)
        .values("destination_id")
        .annotate(at=Min("created_at"))
    )
    for first in oldest:
        summaries[first["destination_id"]].oldest_waiting = first["at"]
    return list(summaries.values())


def outbound_messages(
    *,
    actor: Actor,
    destination_id: int | None = None,
    status: str = "",
    q: str = "",
    older_than: int | None = None,
) -> Page:
    """Sent and waiting messages, newest first, 50 a page; by destination, status, patient
    or control id."""
    require(actor, "hl7.view")
    qs = OutboundMessage.objects.select_related("destination", "patient").defer("text", "ack")
    if destination_id is not None:
        qs = qs.filter(destination_id=destination_id)
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(_search(q, patient_key=False))
    if older_than is not None:
        qs = qs.filter(pk__lt=older_than)
    rows = list(qs.order_by("-id")[: PAGE_SIZE + 1])
    page = Page(rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None)
    for row in page.rows:
        row.stuck = is_stuck(row)  # for the templates
    access_log_record(actor=actor, patient=None, what="HL7 messages sent", shown=_shown(page.rows))
    return page


@dataclass
class OutboundDetail:
    message: OutboundMessage
    segments: list[str]
    ack_segments: list[str]
    stuck: bool
    can_resend: bool
    can_cancel: bool

    @property
    def waiting(self) -> bool:
        """Not sent yet: resending tries it now; else it is queued again as a new message."""
        return self.message.status in WAITING


def outbound_message(*, actor: Actor, message_id: int) -> OutboundDetail:
    """One message of an outbox, its text and the receiver's answer (access-logged)."""
    require(actor, "hl7.view")
    message = (
        OutboundMessage.objects.select_related("destination", "patient")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound(MSG_NO_MESSAGE)
    access_log_record(
        actor=actor, patient=message.patient, what=f"HL7 message sent {message.control_id}"
    )
    manage = can(actor, "hl7.manage")
    message.stuck = is_stuck(message)  # type: ignore[attr-defined]  # for the templates
    return OutboundDetail(
        message=message,
        segments=_lines(message.text),
        ack_segments=_lines(message.ack),
        stuck=is_stuck(message),
        can_resend=manage and message.destination.active,
        can_cancel=manage and message.status in CANCELLABLE,
    )


def stuck_count(actor: Actor) -> int:
    """Messages that need someone: stuck, or refused by their receiver (the navigation's
    count)."""
    if not can(actor, "hl7.view"):
        return 0
    return OutboundMessage.objects.filter(
        Q(status__in=(Outbound.STUCK, Outbound.REFUSED))
        | Q(status=Outbound.PENDING, attempts__gte=F("destination__max_attempts"))
    ).count()


# ------------------------------------------------------------------ configuration


def destinations(*, actor: Actor) -> QuerySet[Destination]:
    """Every destination, active or not (administrators)."""
    require(actor, "hl7.manage")
    return Destination.objects.order_by("-active", "name")


def destination_for_edit(*, actor: Actor, destination_id: int) -> Destination:
    require(actor, "hl7.manage")
    destination = Destination.objects.filter(pk=destination_id).first()
    if destination is None:
        raise NotFound(MSG_NO_DESTINATION)
    return destination


def code_mappings(*, actor: Actor) -> QuerySet[CodeMapping]:
    """Every mapping of a sender's procedure code to the catalogue."""
    require(actor, "hl7.manage")
    return CodeMapping.objects.select_related("procedure_type").order_by(
        "sending_application", "code", "coding_system"
    )


def code_mapping_for_edit(*, actor: Actor, mapping_id: int) -> CodeMapping:
    require(actor, "hl7.manage")
    mapping = CodeMapping.objects.select_related("procedure_type").filter(pk=mapping_id).first()
    if mapping is None:
        raise NotFound(MSG_NO_MAPPING)
    return mapping


@dataclass(frozen=True)
class SeenCode:
    """A procedure code (OBR-4) a sender used that no mapping covers."""

    sending_application: str
    code: str
    coding_system: str
    text: str
    messages: int
    last_seen: datetime

    @property
    def query(self) -> str:
        """The new-mapping form's query string, filled with what the sender said."""
        return urlencode(
            {
                "code": self.code,
                "text": self.text,
                "system": self.coding_system,
                "sender": self.sending_application,
            }
        )


def unmapped_codes(*, actor: Actor, scan: int = UNMAPPED_SCAN) -> list[SeenCode]:
    """The procedure codes of the last `scan` order messages received that irflow cannot
    name, most used first: no mapping covers them (the sender's or any sender's, of their
    coding system or of any) and the catalogue has no such code, so applying them made a
    referral for triage. Read from the raw messages' OBR-4 (code ^ text ^ coding system); no
    patient data is read or shown."""
    require(actor, "hl7.manage")
    mapped = set(
        CodeMapping.objects.filter(procedure_type__active=True).values_list(
            "sending_application", "code", "coding_system"
        )
    )
    catalogue = set(ProcedureType.objects.filter(active=True).values_list("code", flat=True))

    def covered(sender: str, code: str, system: str) -> bool:
        return code in catalogue or any(
            (who, code, how) in mapped for who in (sender, "") for how in (system, "")
        )

    seen: dict[tuple[str, str, str], list] = {}
    recent = (
        InboundMessage.objects.filter(
            Q(message_type__startswith="ORM")
            | Q(message_type__startswith="OMI")
            | Q(message_type__startswith="OMG")
        )
        .exclude(status=Inbound.REJECTED)
        .order_by("-received_at", "-id")
        .only("raw", "sending_application", "received_at")[:scan]
    )
    for message in recent:
        try:
            parsed = parse(bytes(message.raw))
        except HL7Error:
            continue
        sender = message.sending_application
        for obr in parsed.all("OBR"):
            code, text, system = obr.get(4, 1), obr.get(4, 2), obr.get(4, 3)
            if not code:
                continue
            if covered(sender, code, system):
                continue
            entry = seen.setdefault((sender, code, system), [text, 0, message.received_at])
            entry[1] += 1
            entry[0] = entry[0] or text
    return sorted(
        (
            SeenCode(sender, code, system, text, count, last)
            for (sender, code, system), (text, count, last) in seen.items()
        ),
        key=lambda s: (-s.messages, s.code),
    )
