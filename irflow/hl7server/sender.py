"""Delivering the outbox: one destination at a time, its messages strictly in `id` order.

A delivery takes the destination's lease with ONE conditional UPDATE (free, expired, or
already ours → ours until now + the lease time); any number of workers on SQLite or
PostgreSQL may try, one wins, the others return at once. The winner sends the pending
messages in id order over one MLLP connection and reads each acknowledgement:

- **AA** with MSA-2 equal to the control id just sent → SENT.
- **AE / AR** with that MSA-2 → REFUSED: the receiver has the message and says it is wrong;
  sending the same text again would get the same answer. The queue moves on, the refused
  message shows on the interface page, where an administrator can resend it (a new control
  id) once the receiver's side is fixed, or leave it.
- An ACK whose MSA-2 is **not** the control id just sent (a late ACK of an earlier message,
  or a confused receiver) is never taken as its acknowledgement: it is logged and ignored,
  and the sender keeps waiting until the destination's ACK timeout.
- No answer in time, the connection refused or dropped → the attempt failed: attempts + 1,
  the next attempt after a backoff (IRFLOW_HL7_RETRY_BASE_S doubling, at most
  IRFLOW_HL7_RETRY_MAX_S); after the destination's `max_attempts` the message is STUCK — still
  retried, and shown on the interface page. Later messages of the destination wait behind it,
  so that the order is kept (a correction never overtakes the result it corrects).

The lease is renewed before each message and released at the end; the caller (the task)
looks for messages that arrived meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from irflow.hl7 import outbound
from irflow.hl7.parse import HL7Error, parse
from irflow.hl7server.models import Destination, Outbound, OutboundMessage

log = logging.getLogger("irflow.hl7.sender")

START, END = b"\x0b", b"\x1c\x0d"
QUEUED = (Outbound.PENDING, Outbound.STUCK)
MAX_ACK_BYTES = 1024 * 1024


class DeliveryFailed(Exception):
    """This attempt did not get the message acknowledged (no answer, no connection)."""


@dataclass
class Delivery:
    """What one delivery run did."""

    busy: bool = False  # another sender holds the lease
    sent: int = 0
    refused: int = 0
    failed: int = 0
    retry_at: datetime | None = None  # the queue's head waits until then

    def __str__(self) -> str:
        if self.busy:
            return "busy"
        wait = f", next attempt {self.retry_at:%H:%M:%S}" if self.retry_at else ""
        return f"sent {self.sent}, refused {self.refused}, failed {self.failed}{wait}"


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, doubling, capped."""
    base = settings.IRFLOW_HL7_RETRY_BASE_S
    cap = settings.IRFLOW_HL7_RETRY_MAX_S
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def lease_seconds(destination: Destination) -> int:
    # Long enough to connect, send and wait for the ACK of one message.
    return destination.ack_timeout_s + settings.IRFLOW_HL7_CONNECT_TIMEOUT_S + 30


def lease_take(destination_id: int, owner: str, seconds: int) -> bool:
    """Take (or renew) the destination's lease with one conditional UPDATE."""
    now = timezone.now()
    taken = (
        Destination.objects.filter(pk=destination_id, active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
    )
    return taken == 1


def lease_release(destination_id: int, owner: str) -> None:
    Destination.objects.filter(pk=destination_id, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


def queue_head(destination_id: int) -> OutboundMessage | None:
    """The first message of the destination still to send (its order is kept)."""
    return (
        OutboundMessage.objects.filter(destination_id=destination_id, status__in=QUEUED)
        .order_by("id")
        .first()
    )


def ready(destination_id: int) -> bool:
    """True when the destination is switched on and has a message to send now."""
    if not Destination.objects.filter(pk=destination_id, active=True).exists():
        return False
    head = queue_head(destination_id)
    return head is not None and (
        head.next_attempt_at is None or head.next_attempt_at <= timezone.now()
    )


class Connection:
    """One MLLP connection: send a framed message, read framed answers."""

    def __init__(self, host: str, port: int) -> None:
        try:
            self.sock = socket.create_connection(
                (host, port), timeout=settings.IRFLOW_HL7_CONNECT_TIMEOUT_S
            )
        except OSError as exc:
            raise DeliveryFailed(f"cannot connect to {host}:{port}: {exc}") from exc
        self.buffer = b""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(START + data + END)
        except OSError as exc:
            raise DeliveryFailed(f"sending failed: {exc}") from exc

    def read_frame(self, deadline: float) -> bytes:
        """The next framed answer, or DeliveryFailed at the deadline / on a closed socket."""
        while True:
            start = self.buffer.find(START)
            end = self.buffer.find(END, start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0:
                frame, self.buffer = self.buffer[start + 1 : end], self.buffer[end + 2 :]
                return frame
            if len(self.buffer) > MAX_ACK_BYTES:
                raise DeliveryFailed("the receiver's answer is too long to be an ACK")
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeliveryFailed("no acknowledgement in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError as exc:
                raise DeliveryFailed("no acknowledgement in time") from exc
            except OSError as exc:
                raise DeliveryFailed(f"the connection failed: {exc}") from exc
            if not chunk:
                raise DeliveryFailed("the receiver closed the connection without an ACK")
            self.buffer += chunk


@dataclass(frozen=True)
class Answer:
    code: str  # AA, AE, AR (CA/CE/CR read as AA/AE/AR)
    text: str  # the ACK as received
    reason: str  # MSA-3 / ERR, for the page


def exchange(conn: Connection, message: OutboundMessage, timeout_s: int) -> Answer:
    """Send `message` and wait for ITS acknowledgement (MSA-2 = its control id)."""
    charset = _charset_of(message.text)
    conn.send(outbound.encode(message.text, charset))
    deadline = time.monotonic() + timeout_s
    while True:
        frame = conn.read_frame(deadline)
        try:
            ack = parse(frame)
        except HL7Error as exc:
            log.warning("hl7 %s: unreadable answer ignored: %s", message.control_id, exc)
            continue
        msa = ack.first("MSA")
        acked = msa.get(2) if msa is not None else ""
        if msa is None or acked != message.control_id:
            log.warning(
                "hl7 %s: ignored an ACK for %r (not the message just sent)",
                message.control_id,
                acked,
            )
            continue
        code = {"CA": "AA", "CE": "AE", "CR": "AR"}.get(msa.get(1), msa.get(1))
        err = ack.first("ERR")
        reason = msa.get(3) or (err.get(8) or err.field_text(1) if err is not None else "")
        return Answer(code, ack.text, reason)


def _charset_of(text: str) -> str:
    first = text.split("\r", 1)[0].split("|")
    return first[17] if len(first) > 17 and first[17] else "ASCII"


def _failed(message: OutboundMessage, destination: Destination, reason: str) -> datetime:
    """Count a failed attempt; the time of the next one."""
    attempts = message.attempts + 1
    retry_at = timezone.now() + backoff(attempts)
    status = Outbound.STUCK if attempts >= destination.max_attempts else Outbound.PENDING
    OutboundMessage.objects.filter(pk=message.pk, status__in=QUEUED).update(
        attempts=attempts, next_attempt_at=retry_at, status=status, last_error=reason[:2000]
    )
    log.warning(
        "hl7 %s to %s: attempt %d failed (%s); next at %s%s",
        message.control_id,
        destination.name,
        attempts,
        reason,
        retry_at.isoformat(timespec="seconds"),
        " — stuck" if status == Outbound.STUCK else "",
    )
    return retry_at


def _answered(message: OutboundMessage, answer: Answer) -> bool:
    """Record the acknowledgement; True when it was AA."""
    accepted = answer.code == "AA"
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Outbound.SENT if accepted else Outbound.REFUSED,
        attempts=message.attempts + 1,
        ack=answer.text,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="" if accepted else f"{answer.code}: {answer.reason}"[:2000],
    )
    if not accepted:
        log.warning("hl7 %s refused (%s): %s", message.control_id, answer.code, answer.reason)
    return accepted


def deliver(destination_id: int, *, owner: str | None = None) -> Delivery:
    """Send what the destination's outbox holds, in order, until it is empty or its head
    must wait; returns what was done (busy when another sender holds the lease)."""
    owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    destination = Destination.objects.filter(pk=destination_id).first()
    result = Delivery()
    if destination is None or not destination.active:
        return result
    seconds = lease_seconds(destination)
    if not lease_take(destination_id, owner, seconds):
        result.busy = True
        return result
    conn: Connection | None = None
    try:
        while True:
            message = queue_head(destination_id)
            if message is None:
                break
            if message.next_attempt_at and message.next_attempt_at > timezone.now():
                result.retry_at = message.next_attempt_at
                break
            if not lease_take(destination_id, owner, seconds):
                log.warning("hl7 %s: lost the lease; another sender goes on", destination.name)
                break
            try:
                if conn is None:
                    conn = Connection(destination.host, destination.port)
                answer = exchange(conn, message, destination.ack_timeout_s)
            except DeliveryFailed as exc:
                if conn is not None:
                    conn.close()  # its stream may still bring the late ACK: start afresh
                    conn = None
                result.failed += 1
                result.retry_at = _failed(message, destination, str(exc))
                break
            if _answered(message, answer):
                result.sent += 1
            else:
                result.refused += 1
    finally:
        if conn is not None:
            conn.close()
        lease_release(destination_id, owner)
    return result
