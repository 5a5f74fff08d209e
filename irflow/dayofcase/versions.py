"""Change marks of the Today board: a refresh that would draw the same board is answered 304.

Every save or delete of something the board shows or decides with — the booking itself (its
old and its new room and day when it moves), its team, its procedure record and the record's
parts, its checklists, overrides and flags, its preparation, last doses and readiness
acknowledgements, the patient's chart (identity, labs, medications, allergies, conditions),
the order — gives the room's day it concerns a new random token; a change to the rooms, the
catalogue, the readiness policy or the staff gives the whole site one. The marks are written
once the change is committed (`transaction.on_commit`), in one statement; the board reads
its marks before the data, so a board drawn across a commit is never kept: its next refresh
sees a newer token and draws again.

The tag a board is sent with also carries the moment it expires by itself: the next time its
readiness can change with the clock alone (`irflow.readiness.engine.valid_until`), and at most
`MAX_AGE` after it was drawn — the safety net for what is written without a model's save (a
bulk update, SQL by hand): such a change is seen within that time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version

from django.db import DatabaseError, models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.dayofcase.models import BoardVersion
from irflow.scheduling.models import Booking

log = logging.getLogger(__name__)

try:
    RELEASE = version("irflow")
except PackageNotFoundError:  # pragma: no cover - a checkout that was never installed
    RELEASE = "dev"

SITE = "site"
# The longest a board is kept without being drawn again, whatever the marks say.
MAX_AGE = timedelta(minutes=5)

# Model (app label, name) -> the attribute that leads to what it concerns.
BY_BOOKING = {
    ("scheduling", "bookingteammember"): "booking_id",
    ("procedures", "procedurerecord"): "booking_id",
    ("procedures", "performedprocedurestep"): "booking_id",
    ("checklists", "checklistrecord"): "booking_id",
    ("checklists", "safetyoverride"): "booking_id",
    ("checklists", "safetyflag"): "booking_id",
    ("readiness", "preparation"): "booking_id",
    ("readiness", "acknowledgement"): "booking_id",
    ("readiness", "readinesssnapshot"): "booking_id",
}
BY_RECORD = {
    ("procedures", "procedureteammember"): "record_id",
    ("procedures", "sedationagent"): "record_id",
    ("procedures", "deviceused"): "record_id",
    ("procedures", "specimen"): "record_id",
}
BY_PREPARATION = {("readiness", "lastdose"): "preparation_id"}
BY_PATIENT = {
    ("patients", "patient"): "pk",
    ("patients", "patientidentifier"): "patient_id",
    ("patients", "allergy"): "patient_id",
    ("patients", "medication"): "patient_id",
    ("patients", "labresult"): "patient_id",
    ("patients", "condition"): "patient_id",
}
BY_ORDER = {("orders", "order"): "pk"}
# Rows whose creation touches no board: nothing can be booked on them before they exist.
NEW_ROWS_UNSEEN = frozenset({("patients", "patient"), ("orders", "order")})
SITE_WIDE = {
    ("catalogue", "room"),
    ("catalogue", "proceduretype"),
    ("readiness", "policysettings"),
    ("accounts", "user"),
}
# Saves of a user that change nothing any board shows.
QUIET_USER_FIELDS = frozenset({"last_login", "password", "must_change_password"})


def key_of(day: date, room_id: int) -> str:
    return f"{day.isoformat()}/{room_id}"


def _day_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()


@dataclass(eq=False)
class _Pending:
    """What one transaction changed, marked when it commits."""

    bookings: set[int] = field(default_factory=set)
    records: set[int] = field(default_factory=set)
    preparations: set[int] = field(default_factory=set)
    patients: set[int] = field(default_factory=set)
    orders: set[int] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    new: set[tuple[tuple[str, str], int]] = field(default_factory=set)  # rows created here

    def __bool__(self) -> bool:
        return any(
            (self.bookings, self.records, self.preparations, self.patients, self.orders, self.keys)
        )

    def flush(self) -> None:
        flush(self)


_local = threading.local()


def _pending() -> _Pending:
    """The changes of the transaction under way: a new set when the last one was committed or
    rolled back (its flush is then no longer waiting for the commit)."""
    connection = transaction.get_connection()
    found: _Pending | None = getattr(_local, "pending", None)
    if not connection.in_atomic_block:
        return _Pending()  # autocommit: marked at once
    if found is None or not any(entry[1] == found.flush for entry in connection.run_on_commit):
        found = _local.pending = _Pending()
        transaction.on_commit(found.flush)
    return found


def forget_pending() -> None:
    """Start afresh (tests, whose outer transaction never commits)."""
    _local.pending = None


def _booking_origin(sender, instance, **kwargs) -> None:
    """Where a loaded booking was (its day and room), to mark that day too when it moves."""
    values = instance.__dict__
    if values.get("start") is not None and values.get("room_id") is not None:
        instance._board_origin = key_of(_day_of(values["start"]), values["room_id"])


def _noted(sender, instance, **kwargs) -> None:
    """A watched row was saved or deleted: note what it concerns, mark after the commit."""
    label = (sender._meta.app_label, sender._meta.model_name)
    pending = _pending()
    if label == ("scheduling", "booking"):
        origin = getattr(instance, "_board_origin", None)
        if origin:
            pending.keys.add(origin)
        if instance.start is not None and instance.room_id is not None:
            pending.keys.add(key_of(_day_of(instance.start), instance.room_id))
            instance._board_origin = key_of(_day_of(instance.start), instance.room_id)
    elif label in SITE_WIDE:
        fields = kwargs.get("update_fields")
        if label == ("accounts", "user") and fields and set(fields) <= QUIET_USER_FIELDS:
            return
        pending.keys.add(SITE)
    elif kwargs.get("created") and label in NEW_ROWS_UNSEEN:
        # A patient or order registered in this transaction is on no board yet (its booking,
        # when made, marks the board), nor are its identifiers and other rows made with it.
        pending.new.add((label, instance.pk))
        return
    else:
        for table, target in (
            (BY_BOOKING, pending.bookings),
            (BY_RECORD, pending.records),
            (BY_PREPARATION, pending.preparations),
            (BY_PATIENT, pending.patients),
            (BY_ORDER, pending.orders),
        ):
            if label in table:
                value = getattr(instance, table[label], None)
                owner = ("patients", "patient") if table is BY_PATIENT else label
                if value is not None and (owner, value) not in pending.new:
                    target.add(value)
                break
    if not transaction.get_connection().in_atomic_block:
        flush(pending)


def flush(pending: _Pending) -> None:
    """Give every room's day the changes concern a new token (one query to find them, one to
    write). A failure is logged, never raised: the change itself is committed, and the boards
    see it within `MAX_AGE`."""
    if not pending:
        return
    try:
        keys = set(pending.keys)
        related = (
            Q(pk__in=pending.bookings)
            | Q(procedure_record__pk__in=pending.records)
            | Q(preparation__pk__in=pending.preparations)
            | Q(patient_id__in=pending.patients)
            | Q(order_id__in=pending.orders)
        )
        if (
            pending.bookings
            or pending.records
            or pending.preparations
            or pending.patients
            or (pending.orders)
        ):
            since = datetime.combine(timezone.localdate(), time(0), timezone.get_current_timezone())
            rows = Booking.objects.filter(related, start__gte=since).values_list("start", "room_id")
            keys.update(key_of(_day_of(start), room) for start, room in rows)
        if keys:
            bump(keys)
    except DatabaseError:
        log.exception(
            "The board's change marks could not be written; boards catch up in %s", MAX_AGE
        )


def bump(keys: set[str]) -> None:
    """New tokens for these keys (an upsert; sorted, so that concurrent writers take the rows
    in one order)."""
    now = timezone.now()
    rows = [
        BoardVersion(
            key=key,
            day=None if key == SITE else date.fromisoformat(key.split("/")[0]),
            token=secrets.randbits(62),
            changed_at=now,
        )
        for key in sorted(keys)
    ]
    with transaction.atomic():
        BoardVersion.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["token", "changed_at"],
        )


def connect() -> None:
    """Watch the models the board reads (called once, from the app's ready())."""
    from django.apps import apps

    booking = apps.get_model("scheduling", "Booking")
    post_init.connect(_booking_origin, sender=booking, dispatch_uid="board-origin")
    watched: list[type[models.Model]] = [booking]
    for app_label, name in [
        *BY_BOOKING,
        *BY_RECORD,
        *BY_PREPARATION,
        *BY_PATIENT,
        *BY_ORDER,
        *SITE_WIDE,
    ]:
        watched.append(apps.get_model(app_label, name))
    for model in watched:
        uid = f"board-{model._meta.label_lower}"
        post_save.connect(_noted, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_noted, sender=model, dispatch_uid=f"{uid}-delete")


# ------------------------------------------------------------------ the tag of a board


@dataclass(frozen=True)
class Tag:
    """What a board was drawn from (`base`: the marks, the reader, the release) and until when
    it holds by itself (`until`)."""

    base: str
    until: datetime

    @property
    def etag(self) -> str:
        return f'"{self.base}.{int(self.until.timestamp())}"'


def marks_of(day: date) -> str:
    """The marks of a day's rooms and of the site, as one string (one query)."""
    rows = (
        BoardVersion.objects.filter(Q(day=day) | Q(key=SITE))
        .order_by("key")
        .values_list("key", "token")
    )
    return ";".join(f"{key}={token}" for key, token in rows)


def base_of(*, actor: Actor, day: date, what: str) -> str:
    """The part of a board's tag that changes with its content: the day's marks, the reader
    (a role sees other moves), what is drawn (page, fragment, API) and the release."""
    who = person(actor)
    reader = f"{getattr(who, 'pk', '')}:{getattr(who, 'role', '')}"
    text = f"{what}|{day.isoformat()}|{reader}|{RELEASE}|{marks_of(day)}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def holds(if_none_match: str, base: str, *, now: datetime | None = None) -> bool:
    """Whether a tag the client sent (If-None-Match) still describes the board."""
    now = now or timezone.now()
    for candidate in if_none_match.split(","):
        value = candidate.strip().removeprefix("W/").strip('"')
        sent, _, until = value.rpartition(".")
        if sent != base or not until.isdigit():
            continue
        if now.timestamp() < int(until):
            return True
    return False


def tag_for(base: str, *, drawn_at: datetime, expires: list[datetime | None] | None = None) -> Tag:
    """The tag of a board drawn at `drawn_at` whose content changes by itself at the earliest
    of `expires` (readiness's `valid_until`), and at the latest after `MAX_AGE`."""
    moments = [m for m in (expires or []) if m is not None and m > drawn_at]
    return Tag(base=base, until=min([drawn_at + MAX_AGE, *moments]))
