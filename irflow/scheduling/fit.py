"""Whether a booking fits: the room offers what the procedure needs, the slot is long enough,
and a start in the past is entered as such (pure: plain values in, messages out).

The rules (docs/referral-to-booking.md, "Rooms and durations"):
- the room offers one of the procedure's modalities (its main one, the others it lists, or
  one every room has at hand, e.g. a portable ultrasound) and every capability the
  procedure needs (biplane, anaesthesia support, cone-beam CT);
- a slot as long as the catalogue's usual duration, or longer, is booked as it is; a shorter
  one only with a stated reason (a quick case), and never below the procedure's shortest slot
  (half the usual duration unless the catalogue says otherwise);
- a start more than the grace (30 minutes) in the past is a retrospective entry: it needs a
  reason, and the booking and the schedule say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MSG_ROOM_MODALITY = "{room} has no {wanted} ({procedure} is done under {wanted})."
MSG_ROOM_LACKS = "{room} lacks {missing}, which {procedure} needs."
MSG_TOO_SHORT = (
    "{minutes} min is too short for {procedure}: the usual slot is {usual} min, and not less "
    "than {shortest} min even for a quick case."
)
MSG_SHORT_NEEDS_REASON = (
    "{minutes} min is shorter than the usual {usual} min for {procedure}: say why this case "
    "will be quick."
)
MSG_PAST_NEEDS_REASON = (
    "This booking starts in the past ({start}): say why it is entered after the fact "
    "(a retrospective entry)."
)

CAPABILITY_LABELS = {
    "biplane": "biplane angiography",
    "anaesthesia": "anaesthesia support",
    "cone_beam_ct": "cone-beam CT",
}
MODALITY_LABELS = {
    "XA": "angiography",
    "RF": "fluoroscopy",
    "CT": "CT",
    "US": "ultrasound",
    "MR": "MRI",
}


@dataclass(frozen=True)
class RoomOffer:
    name: str
    modalities: frozenset[str]
    capabilities: frozenset[str]


@dataclass(frozen=True)
class ProcedureNeeds:
    name: str
    modalities: tuple[str, ...]
    needs: frozenset[str]
    usual_min: int
    shortest_min: int


def _words(items: Iterable[str], labels: dict[str, str], joiner: str) -> str:
    said = [labels.get(i, i) for i in items]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} {joiner} {said[-1]}"


def room_misfit(
    room: RoomOffer, procedure: ProcedureNeeds, portable: Iterable[str] = ()
) -> list[str]:
    """What the room lacks for the procedure, in words (empty: it fits)."""
    said = []
    offered = room.modalities | frozenset(portable)
    if procedure.modalities and not offered & set(procedure.modalities):
        said.append(
            MSG_ROOM_MODALITY.format(
                room=room.name,
                procedure=procedure.name,
                wanted=_words(procedure.modalities, MODALITY_LABELS, "or"),
            )
        )
    missing = sorted(procedure.needs - room.capabilities)
    if missing:
        said.append(
            MSG_ROOM_LACKS.format(
                room=room.name,
                procedure=procedure.name,
                missing=_words(missing, CAPABILITY_LABELS, "and"),
            )
        )
    return said


def duration_refusal(procedure: ProcedureNeeds, minutes: int, reason: str) -> str | None:
    """Why a slot of `minutes` cannot be booked for the procedure (None: it can)."""
    values = {
        "minutes": minutes,
        "procedure": procedure.name,
        "usual": procedure.usual_min,
        "shortest": procedure.shortest_min,
    }
    if minutes >= procedure.usual_min:
        return None
    if minutes < procedure.shortest_min:
        return MSG_TOO_SHORT.format(**values)
    return None if reason.strip() else MSG_SHORT_NEEDS_REASON.format(**values)


def is_retrospective(start: datetime, now: datetime, grace_min: int) -> bool:
    """A start more than the grace before now: the booking is entered after the fact."""
    return start < now - timedelta(minutes=grace_min)
