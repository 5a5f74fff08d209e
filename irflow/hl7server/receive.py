"""Receiving one HL7 v2 message: durable before acknowledged, applied once.

`receive(raw, peer=…)` is what the MLLP listener calls for every complete frame, in a worker
thread, one frame of a connection after the other. It returns the acknowledgement to send,
already encoded in the message's character set, or b"" when nothing may be acknowledged.

In ONE database transaction it

1. stores the message as an `InboundMessage`: its raw bytes, the header fields, PID-3 as sent;
   messages that cannot be read at all (no MSH, binary garbage, an unknown MSH-18) are stored
   too, raw, with a blank control id, and answered AR;
2. checks what irflow accepts as a whole (AR otherwise, nothing applied):
   - the version (MSH-12): 2.3, 2.3.1, 2.4, 2.5 and 2.5.1, the versions the fields irflow
     reads were checked against. Later versions (2.6 to 2.9) keep those fields where they
     were, but they have not been tried against a real sender: they are refused (AR, error
     203) until they are, rather than half-understood;
   - the processing ID (MSH-11): only those in `IRFLOW_HL7_PROCESSING_IDS` (default `P`,
     production). An engine's test (T) or debugging (D) messages must not land in clinical
     data; a test or training instance of irflow sets `P,T` (or `P,T,D`). Others: AR, 202;
   - a control id (MSH-10): without one the sender cannot match the ACK (AR, 101);
3. applies it (`irflow.hl7server.apply.apply`) under a savepoint: an `HL7Error` rolls back
   everything applying wrote and the message is ERROR (AE) or REJECTED (AR), naming the field;
   any other exception also rolls back, the message is FAILED and answered AE (error 207)
   saying it is kept for re-processing (the traceback goes to the log);
4. stores the ACK text and code on the row, commits, and only then returns the ACK.

When the database cannot be written (it is away, or locked too long), `receive` returns b"":
the listener sends nothing and closes the connection, and the sender sends the message again
later. irflow never acknowledges, AA or AE, a message it has not stored. When storing fails
for a fault of irflow's own (not the database being away), the raw bytes alone are stored as
FAILED and answered AE (207), so that one message cannot be resent forever.

Repeats: the sender (MSH-3, MSH-4) and control id (MSH-10) are unique among the stored
messages. A repeat is answered with the ACK stored for the original, word for word, and
counted (`repeats`, `last_repeat_at`); it is not applied again. Two listeners on one
PostgreSQL receiving the same message at once: the second insert waits for the first
transaction and then fails on the constraint, and is answered with the first one's ACK. A
message that reuses a control id with different content (MSH-7 aside, which engines restamp
when they resend) is not a repeat but a sender's error: it is answered AR (error 205) naming
MSH-10, and the log says so; the first message stays as it was.

Order: one connection is handled strictly in order (the listener waits for the ACK of one
frame before it reads the next), so the messages of one sender on one connection are applied
in arrival order. Across connections (and listeners) messages are applied concurrently;
applying locks the patient's row, so two messages for one patient are applied one after the
other, in the order their transactions reach the lock.

`reprocess(actor=…, message_id=…)` applies a stored ERROR, FAILED or RECEIVED message again
from its raw bytes, with the same checks and savepoint; the administrator's action is in the
message's history. The ACK stored on the row stays the one that was sent.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from auditlog.context import disable_auditlog
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.hl7 import parse as hl7parse
from irflow.hl7.ack import ack
from irflow.hl7.parse import (
    APPLICATION_INTERNAL_ERROR,
    CHARSETS,
    DUPLICATE_KEY_IDENTIFIER,
    REQUIRED_FIELD_MISSING,
    UNSUPPORTED_PROCESSING_ID,
    UNSUPPORTED_VERSION_ID,
    Header,
    HL7Error,
    Message,
    rejected,
)
from irflow.hl7server import apply as applying
from irflow.hl7server.models import Inbound, InboundMessage
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.outage import CalmLog, database_unavailable

logger = logging.getLogger("irflow.hl7")
outage_log = CalmLog(logger, "HL7 listener: the database")

VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")

MSG_FAILED = (
    "irflow could not apply this message because of an error of its own; the message is "
    "kept and can be re-processed from the interface page."
)
MSG_NOT_REPROCESSABLE = (
    "Only messages that were not applied (error, failed, received) can be re-processed; "
    "this one is {status}."
)

REPROCESSABLE = (Inbound.ERROR, Inbound.FAILED, Inbound.RECEIVED)
OUTCOME_FIELDS = [
    "status",
    "outcome",
    "patient",
    "applied_at",
    "error_location",
    "error",
    "ack_code",
    "ack",
]


def _max(field: str) -> int:
    return InboundMessage._meta.get_field(field).max_length or 0  # type: ignore[union-attr]


def _no_nul(header: Header | None) -> Header | None:
    """The header without NUL characters (PostgreSQL text cannot hold them; the raw bytes
    keep them)."""
    if header is None:
        return None
    changes = {
        f.name: getattr(header, f.name).replace("\x00", "")
        for f in dataclasses.fields(header)
        if "\x00" in getattr(header, f.name)
    }
    return dataclasses.replace(header, **changes) if changes else header


def _clip(value: str, field: str) -> str:
    return value[: _max(field)]


def best_effort_header(raw: bytes) -> Header | None:
    """The MSH of a message that cannot be parsed as a whole (e.g. an unknown MSH-18): read
    as Latin-1, its first segment only. None when there is no MSH at all."""
    data = raw.lstrip()
    if not data.startswith(b"MSH") or len(data) < 9:
        return None
    first = re.split(rb"\r|\n", data, maxsplit=1)[0].decode("latin-1")
    try:
        return Message(first + "\r", codec="latin-1", charset="").header
    except Exception:  # nothing readable: answered without a header
        return None


def _codec(header: Header | None, parsed: Message | None) -> str:
    if parsed is not None:
        return parsed.codec
    if header is not None:
        return CHARSETS.get(header.charset.upper(), "ascii")
    return "ascii"


def _acceptance(header: Header) -> HL7Error | None:
    """Why the message as a whole is refused (AR), or None."""
    if not header.control_id:
        return rejected(
            "The message has no control id (MSH-10).",
            location="MSH-10",
            error_code=REQUIRED_FIELD_MISSING,
        )
    if header.version not in VERSIONS:
        return rejected(
            f"HL7 version {header.version or '(empty)'} is not supported ({', '.join(VERSIONS)}).",
            location="MSH-12",
            error_code=UNSUPPORTED_VERSION_ID,
        )
    accepted = _processing_ids()
    if header.processing_id not in accepted:
        return rejected(
            f"Processing ID {header.processing_id or '(empty)'} is not accepted here "
            f"({', '.join(sorted(accepted))}).",
            location="MSH-11",
            error_code=UNSUPPORTED_PROCESSING_ID,
        )
    return None


def _processing_ids() -> set[str]:
    return {p.strip().upper() for p in settings.IRFLOW_HL7_PROCESSING_IDS.split(",") if p.strip()}


def _patient_key(parsed: Message | None) -> str:
    pid = parsed.first("PID") if parsed is not None else None
    return _clip(pid.raw(3).replace("\x00", ""), "patient_key") if pid is not None else ""


def _texts_without_nul(message: InboundMessage) -> None:
    for name in ("outcome", "error", "error_location", "ack"):
        value = getattr(message, name)
        if "\x00" in value:
            setattr(message, name, value.replace("\x00", ""))


def _apply(
    message: InboundMessage, parsed: Message | None, problem: HL7Error | None
) -> HL7Error | None:
    """Apply under a savepoint; set the outcome fields on `message` (not saved) and return
    the error the ACK reports (None: AA)."""
    message.error_location = ""
    message.error = ""
    error = problem
    if error is None and parsed is not None:
        try:
            with transaction.atomic():
                applied = applying.apply(message, parsed)
        except HL7Error as exc:
            error = exc
        except Exception as exc:
            if isinstance(exc, DatabaseError) and database_unavailable(exc):
                raise  # the database went away: nothing is stored, nothing acknowledged
            logger.exception("HL7 message %s could not be applied", message.control_id)
            message.status = Inbound.FAILED
            message.error = f"{MSG_FAILED} ({type(exc).__name__}: {exc})"[:2000]
            return HL7Error(MSG_FAILED, error_code=APPLICATION_INTERNAL_ERROR)
        else:
            message.status = applied.status
            message.outcome = applied.outcome
            message.patient_id = applied.patient_id
            message.applied_at = timezone.now()
            return None
    assert error is not None
    message.status = Inbound.REJECTED if error.ack_code == "AR" else Inbound.ERROR
    message.error_location = _clip(error.location, "error_location")
    message.error = error.reason
    return error


_MSH7 = re.compile(rb"^(MSH(.)(?:[^\r\n]*?\2){5})[^\r\n]*?(\2)")


def _comparable(raw: bytes) -> bytes:
    """The bytes with MSH-7 blanked and segment ends as \\r, to tell a resend from reuse."""
    data = re.sub(rb"\r\n|\n", b"\r", raw.strip())
    return _MSH7.sub(rb"\1\3", data, count=1)


def _repeat(raw: bytes, header: Header, peer: str) -> bytes:
    """The answer to a message whose sender and control id are stored already."""
    key = {
        "sending_application": _clip(header.sending_application, "sending_application"),
        "sending_facility": _clip(header.sending_facility, "sending_facility"),
        "control_id": _clip(header.control_id, "control_id"),
    }
    with transaction.atomic():
        original = InboundMessage.objects.select_for_update().get(**key)
        codec = CHARSETS.get(original.charset.upper(), "ascii") if original.charset else "utf-8"
        if _comparable(bytes(original.raw)) != _comparable(raw):
            logger.warning(
                "HL7 control id %s from %s reused for a different message (from %s); refused",
                header.control_id,
                header.sending_application,
                peer,
            )
            error = rejected(
                f"Control id {header.control_id} was already used by a different message "
                f"received {timezone.localtime(original.received_at):%Y-%m-%d %H:%M:%S}.",
                location="MSH-10",
                error_code=DUPLICATE_KEY_IDENTIFIER,
            )
            return ack(header, "AR", control_id="IRF0", error=error).encode(codec, "replace")
        InboundMessage.objects.filter(pk=original.pk).update(
            repeats=F("repeats") + 1, last_repeat_at=timezone.now()
        )
    logger.info("HL7 repeat of %s from %s answered with its ACK", header.control_id, peer)
    return original.ack.encode(codec, "replace")


def _store(raw: bytes, peer: str, *, refused: HL7Error | None = None) -> bytes:
    parsed: Message | None = None
    problem: HL7Error | None = refused
    header: Header | None = None
    if refused is not None:
        header = best_effort_header(raw)
    else:
        try:
            parsed = hl7parse.parse(raw)
            header = parsed.header
        except HL7Error as exc:
            problem = exc
            header = best_effort_header(raw)
        except Exception as exc:  # python-hl7 on input it cannot take
            problem = rejected(f"The message cannot be read: {exc}.", location="MSH")
            header = best_effort_header(raw)
    header = _no_nul(header)
    if header is not None and problem is None:
        problem = _acceptance(header)
    control_id = _clip(header.control_id, "control_id") if header else ""
    message = InboundMessage(
        peer=_clip(peer, "peer"),
        raw=raw,
        charset=_clip(header.charset, "charset") if header else "",
        sending_application=_clip(header.sending_application, "sending_application")
        if header
        else "",
        sending_facility=_clip(header.sending_facility, "sending_facility") if header else "",
        control_id=control_id,
        message_type=_clip(header.message_type, "message_type") if header else "",
        version=_clip(header.version, "version") if header else "",
        patient_key=_patient_key(parsed),
    )
    # Receiving writes no history of the message itself (the row is the log), but what
    # applying it changes in the record has its history like any other change.
    with transaction.atomic():
        if control_id:
            try:
                with transaction.atomic(), disable_auditlog():
                    message.save(force_insert=True)
            except IntegrityError:
                assert header is not None
                return _repeat(raw, header, peer)
        else:
            with disable_auditlog():
                message.save(force_insert=True)
        error = _apply(message, parsed, problem)
        message.ack_code = error.ack_code if error else "AA"
        message.ack = ack(header, message.ack_code, control_id=f"IRF{message.pk}", error=error)
        _texts_without_nul(message)
        with disable_auditlog():
            message.save(update_fields=OUTCOME_FIELDS)
    return message.ack.encode(_codec(header, parsed), "replace")


def _store_raw_only(raw: bytes, peer: str, failure: Exception) -> bytes:
    """A message irflow failed to store as usual (a fault of its own): its raw bytes kept as
    FAILED, for re-processing, and answered AE, rather than left for the sender to resend
    forever. b"" when even that fails."""
    try:
        header = _no_nul(best_effort_header(raw))
        reason = f"{MSG_FAILED} ({type(failure).__name__}: {failure})"
        with transaction.atomic(), disable_auditlog():
            message = InboundMessage.objects.create(
                peer=_clip(peer, "peer"),
                raw=raw,
                status=Inbound.FAILED,
                error=reason.replace("\x00", "")[:2000],
            )
            error = HL7Error(MSG_FAILED, error_code=APPLICATION_INTERNAL_ERROR)
            message.ack_code = "AE"
            message.ack = ack(header, "AE", control_id=f"IRF{message.pk}", error=error)
            _texts_without_nul(message)
            message.save(update_fields=["ack_code", "ack"])
        return message.ack.encode(_codec(header, None), "replace")
    except Exception as exc:
        if database_unavailable(exc):
            outage_log.away(exc)
        else:
            logger.exception("HL7 message from %s not stored", peer)
        return b""


def receive(raw: bytes, *, peer: str) -> bytes:
    """Store, apply and acknowledge one message (the bytes between the MLLP blocks).

    Returns the ACK encoded in the message's character set, or b"" when the message could not
    be stored (the database is away): then nothing may be acknowledged."""
    try:
        answer = _store(raw, peer)
    except Exception as exc:
        if database_unavailable(exc):
            outage_log.away(exc)
            return b""
        logger.exception("HL7 message from %s could not be stored as usual", peer)
        return _store_raw_only(raw, peer, exc)
    outage_log.back()
    return answer


def receive_oversized(head: bytes, *, size: int, limit: int, peer: str) -> bytes:
    """A frame larger than the listener takes: its first bytes stored, answered AR."""
    error = rejected(
        f"The message is {size} bytes, more than the {limit} this interface takes "
        f"(IRFLOW_HL7_MAX_BYTES); its first {len(head)} bytes are kept.",
        location="MSH",
        error_code=APPLICATION_INTERNAL_ERROR,
    )
    try:
        return _store(head, peer, refused=error)
    except Exception as exc:
        if database_unavailable(exc):
            outage_log.away(exc)
        else:
            logger.exception("HL7 message from %s not stored", peer)
        return b""


def reprocess(*, actor: Actor, message_id: int) -> InboundMessage:
    """Apply a stored message again from its raw bytes (ERROR, FAILED or RECEIVED ones)."""
    require(actor, "hl7.manage")
    with transaction.atomic(), history_actor(actor):
        message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound(f"HL7 message {message_id} does not exist.")
        if message.status not in REPROCESSABLE:
            raise ValidationFailed(
                {"status": MSG_NOT_REPROCESSABLE.format(status=message.get_status_display())}
            )
        parsed: Message | None = None
        problem: HL7Error | None = None
        try:
            parsed = hl7parse.parse(bytes(message.raw))
            problem = _acceptance(parsed.header)
        except HL7Error as exc:
            problem = exc
        _apply(message, parsed, problem)
        message.reprocessed += 1
        _texts_without_nul(message)
        message.save()
    return message
