"""The rules that protect the patient on the day of the case, declared once.

Each rule guards one move — the patient into the room, the procedure's start, its completion,
the discharge from recovery — and, when it refuses, says what is missing in words the team can
act on. The services of this layer check them before every move, so the board, the procedure
page, the REST API and the DICOM listener obey the same rules; the pages offer a move only when
it would be accepted.

A physician can override any rule in an emergency, stating the reason; the override is kept
(`irflow.checklists.models.SafetyOverride`) and shown on the record, the board and the report.
Machines are never refused: what a modality reports out of order moves the patient anyway and
raises a flag for review (`FLAGS`).

Everything here is a pure function of a `Case`, loaded in bulk by `irflow.dayofcase.cases`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from irflow.checklists.models import FlagKind, Phase
from irflow.procedures.services import completion_problems
from irflow.scheduling.models import BookingStatus

if TYPE_CHECKING:
    from irflow.checklists.models import SafetyOverride
    from irflow.checklists.selectors import Safety
    from irflow.procedures.models import ProcedureRecord
    from irflow.readiness.engine import Readiness
    from irflow.recovery.selectors import DischargeCriteria
    from irflow.scheduling.models import Booking


class Move(enum.StrEnum):
    IN_ROOM = "in_room"
    START = "start"
    COMPLETE = "complete"
    DISCHARGE = "discharge"


MOVE_LABELS = {
    Move.IN_ROOM: "Into the room",
    Move.START: "Start the procedure",
    Move.COMPLETE: "Complete the procedure",
    Move.DISCHARGE: "Discharge from recovery",
}


@dataclass(frozen=True)
class Rule:
    code: str
    move: Move
    text: str
    short: str  # for buttons and lists: "sign-in", "room occupied", …


RULES: tuple[Rule, ...] = (
    Rule(
        "checked_in",
        Move.IN_ROOM,
        "The patient is checked in before going into the room.",
        "not checked in",
    ),
    Rule(
        "sign_in",
        Move.IN_ROOM,
        "The sign-in is completed before the patient goes into the room.",
        "no sign-in",
    ),
    Rule("room_free", Move.IN_ROOM, "One patient in a room at a time.", "room occupied"),
    Rule(
        "readiness",
        Move.IN_ROOM,
        "No readiness finding that needs action is left unacknowledged; an emergent case goes "
        "ahead with a physician's recorded acknowledgement.",
        "readiness",
    ),
    Rule(
        "time_out",
        Move.START,
        "The time-out is completed before the procedure starts.",
        "no time-out",
    ),
    Rule(
        "sign_out",
        Move.COMPLETE,
        "The sign-out is completed before the procedure is completed.",
        "no sign-out",
    ),
    Rule(
        "access_site",
        Move.COMPLETE,
        "The access site is recorded (or “none”).",
        "no access site",
    ),
    Rule(
        "required_record",
        Move.COMPLETE,
        "What the catalogue requires for the procedure is recorded (technical success, and the "
        "devices or specimens where it asks for them).",
        "record incomplete",
    ),
    Rule(
        "aldrete",
        Move.DISCHARGE,
        "After sedation, the modified Aldrete score of the latest observations reaches its pass "
        "mark (usually 9 of 10) before the patient leaves recovery.",
        "Aldrete",
    ),
    Rule(
        "padss",
        Move.DISCHARGE,
        "PADSS of the latest observations reaches its pass mark (usually 9 of 10) before the "
        "patient goes home the same day.",
        "PADSS",
    ),
)
RULES_BY_CODE = {r.code: r for r in RULES}

MSG_CHECK_IN = "Check the patient in first: the procedure record is not open yet."
MSG_SIGN_IN = "Complete the sign-in before the patient goes into the room."
MSG_ROOM_TAKEN = "{room} is occupied: {patient} is in the room. Complete their procedure first."
MSG_READINESS = (
    "Readiness: {count} finding(s) need action ({what}). Resolve them, or a physician "
    "acknowledges each on the readiness page."
)
MSG_READINESS_EMERGENT = (
    "Emergent case with {count} finding(s) that need action ({what}): a physician records going "
    "ahead (emergency override, with the reason)."
)
MSG_TIME_OUT = "Complete the time-out before the procedure starts."
MSG_SIGN_OUT = "Complete the sign-out before the procedure is completed."
MSG_ACCESS_SITE = "Record the access site, or “none”, before the procedure is completed."
MSG_REQUIRED = "Record before completing: {items}."
MSG_UNKNOWN_REQUIREMENT = "the catalogue's “{name}” (unknown: an administrator should fix it)"
MSG_NOT_IN_ROOM = "The patient has not been in the room: record the time in room first."
MSG_NOT_OPEN = "The procedure record is not open: check the patient in first."
MSG_NOT_IN_RECOVERY = "The patient is not in recovery."
MSG_SCORE = "{score}: {summary}."
MSG_SCORE_NAMES = {"aldrete": "Modified Aldrete score", "padss": "PADSS (for home the same day)"}

# What the catalogue may require before completion: name -> (words, is it recorded?, fields).
REQUIREMENTS: dict[str, tuple[str, Callable[[ProcedureRecord], bool], tuple[str, ...]]] = {
    "technical_success": (
        "whether technical success was achieved",
        lambda r: bool(r.technical_success),
        ("technical_success",),
    ),
    "contrast": (
        "the contrast given (agent and volume)",
        lambda r: bool(r.contrast_agent) and r.contrast_ml is not None,
        ("contrast_agent", "contrast_ml"),
    ),
    "findings": ("the findings", lambda r: bool(r.findings.strip()), ("findings",)),
    "devices": (
        "the devices used",
        lambda r: any(not d.entered_in_error for d in r.devices.all()),
        (),
    ),
    "specimens": (
        "the specimens taken",
        lambda r: any(not s.entered_in_error for s in r.specimens.all()),
        (),
    ),
}

# What a modality may report out of order: flagged, never refused.
FLAGS = {
    FlagKind.STARTED_WITHOUT_SIGN_IN: "the modality started the procedure before the sign-in",
    FlagKind.STARTED_WITHOUT_TIME_OUT: "the modality started the procedure before the time-out",
    FlagKind.ENDED_WITHOUT_SIGN_OUT: "the modality finished the procedure before the sign-out",
    FlagKind.ROOM_OCCUPIED: "the modality started while another patient was in the room",
}

BEFORE_ROOM = frozenset({BookingStatus.BOOKED, BookingStatus.ARRIVED, BookingStatus.IN_PREPARATION})
AFTER_ROOM = frozenset({BookingStatus.RECOVERY, BookingStatus.DISCHARGED})


@dataclass
class Case:
    """What the rules read about one booking, loaded in bulk (`irflow.dayofcase.cases`)."""

    booking: Booking
    record: ProcedureRecord | None
    safety: Safety
    readiness: Readiness | None
    # Another patient in this booking's room now, if any.
    occupant: Booking | None = None
    # In recovery: what the latest observations say of discharge.
    recovery: DischargeCriteria | None = None
    # Where the discharge being checked goes: "same_day", "admitted", or "" (not chosen yet,
    # checked as home).
    discharge_to: str = ""

    @property
    def phases_done(self) -> set[str]:
        return set(self.safety.phases)

    @property
    def overrides(self) -> dict[str, SafetyOverride]:
        return self.safety.overrides


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    message: str
    fields: tuple[str, ...] = ()
    override: SafetyOverride | None = None

    @property
    def overridden(self) -> bool:
        return self.override is not None


@dataclass(frozen=True)
class Verdict:
    """The rules' answer for one move of one case."""

    move: Move
    refusals: tuple[Refusal, ...] = ()  # overridden ones included (shown, not blocking)
    # Problems of the record itself that no override waives (times out of order, …).
    invalid: dict[str, str] = field(default_factory=dict)

    @property
    def blocking(self) -> list[Refusal]:
        return [r for r in self.refusals if not r.overridden]

    @property
    def overridden(self) -> list[Refusal]:
        return [r for r in self.refusals if r.overridden]

    @property
    def allowed(self) -> bool:
        return not self.blocking and not self.invalid

    @property
    def messages(self) -> list[str]:
        return [r.message for r in self.blocking] + list(self.invalid.values())


def _patient(booking: Booking) -> str:
    patient = booking.patient
    return f"{patient.family_name.upper()}, {patient.given_name} ({patient.mrn})"


def _open_action(readiness: Readiness) -> list[dict[str, Any]]:
    return [f for f in readiness.open_findings if f["status"] == "action_needed"]


def _in_room(case: Case) -> list[tuple[str, str, tuple[str, ...]]]:
    found: list[tuple[str, str, tuple[str, ...]]] = []
    if case.record is None:
        found.append(("checked_in", MSG_CHECK_IN, ()))
    if Phase.SIGN_IN not in case.phases_done:
        found.append(("sign_in", MSG_SIGN_IN, ()))
    if case.occupant is not None:
        message = MSG_ROOM_TAKEN.format(
            room=case.booking.room.name, patient=_patient(case.occupant)
        )
        found.append(("room_free", message, ()))
    if case.readiness is not None:
        open_action = _open_action(case.readiness)
        if open_action:
            what = "; ".join(f["message"] for f in open_action)
            what = what if len(what) <= 240 else what[:239] + "…"
            template = MSG_READINESS_EMERGENT if case.readiness.emergent else MSG_READINESS
            found.append(("readiness", template.format(count=len(open_action), what=what), ()))
    return found


def _start(case: Case) -> list[tuple[str, str, tuple[str, ...]]]:
    if Phase.TIME_OUT not in case.phases_done:
        return [("time_out", MSG_TIME_OUT, ())]
    return []


def _complete(case: Case) -> list[tuple[str, str, tuple[str, ...]]]:
    found: list[tuple[str, str, tuple[str, ...]]] = []
    if Phase.SIGN_OUT not in case.phases_done:
        found.append(("sign_out", MSG_SIGN_OUT, ()))
    record = case.record
    if record is None:
        return found
    if not record.access_sites:
        found.append(("access_site", MSG_ACCESS_SITE, ("access_sites",)))
    missing: list[str] = []
    fields: list[str] = []
    for name in record.order.procedure_type.completion_requires or []:
        requirement = REQUIREMENTS.get(name)
        if requirement is None:
            missing.append(MSG_UNKNOWN_REQUIREMENT.format(name=name))
            continue
        words, recorded, names = requirement
        if not recorded(record):
            missing.append(words)
            fields += names
    if missing:
        found.append(
            ("required_record", MSG_REQUIRED.format(items="; ".join(missing)), tuple(fields))
        )
    return found


def _discharge(case: Case) -> list[tuple[str, str, tuple[str, ...]]]:
    criteria = case.recovery
    if criteria is None:
        return []
    found: list[tuple[str, str, tuple[str, ...]]] = []
    if criteria.aldrete is not None and not criteria.aldrete.met:
        summary = criteria.aldrete.summary
        found.append(
            ("aldrete", MSG_SCORE.format(score=MSG_SCORE_NAMES["aldrete"], summary=summary), ())
        )
    if case.discharge_to != "admitted" and not criteria.padss.met:
        summary = criteria.padss.summary
        found.append(
            ("padss", MSG_SCORE.format(score=MSG_SCORE_NAMES["padss"], summary=summary), ())
        )
    return found


CHECKS = {
    Move.IN_ROOM: _in_room,
    Move.START: _start,
    Move.COMPLETE: _complete,
    Move.DISCHARGE: _discharge,
}


def verdict(case: Case, move: Move) -> Verdict:
    """What the rules say of `move` for `case` now (overrides applied)."""
    refusals = tuple(
        Refusal(
            rule=RULES_BY_CODE[code],
            message=message,
            fields=fields,
            override=case.overrides.get(code),
        )
        for code, message, fields in CHECKS[move](case)
    )
    invalid: dict[str, str] = {}
    if move == Move.COMPLETE:
        if case.record is None or case.record.status != "open":
            invalid["status"] = MSG_NOT_OPEN
        else:
            if case.booking.status in BEFORE_ROOM:
                invalid["in_room_at"] = MSG_NOT_IN_ROOM
            invalid.update(completion_problems(case.record))
    if move == Move.DISCHARGE and (
        case.recovery is None or case.booking.status != BookingStatus.RECOVERY
    ):
        invalid["status"] = MSG_NOT_IN_RECOVERY
    return Verdict(move=move, refusals=refusals, invalid=invalid)


def flags_for_modality_start(case: Case) -> dict[str, str]:
    """What to flag when a modality starts the case (kind -> detail)."""
    flags: dict[str, str] = {}
    if Phase.SIGN_IN not in case.phases_done:
        flags[FlagKind.STARTED_WITHOUT_SIGN_IN] = FLAGS[FlagKind.STARTED_WITHOUT_SIGN_IN]
    if Phase.TIME_OUT not in case.phases_done:
        flags[FlagKind.STARTED_WITHOUT_TIME_OUT] = FLAGS[FlagKind.STARTED_WITHOUT_TIME_OUT]
    if case.occupant is not None:
        flags[FlagKind.ROOM_OCCUPIED] = (
            f"{FLAGS[FlagKind.ROOM_OCCUPIED]}: {_patient(case.occupant)}"
        )
    return flags


def flags_for_modality_end(case: Case) -> dict[str, str]:
    """What to flag when a modality reports the case finished."""
    if Phase.SIGN_OUT not in case.phases_done:
        return {FlagKind.ENDED_WITHOUT_SIGN_OUT: FLAGS[FlagKind.ENDED_WITHOUT_SIGN_OUT]}
    return {}
