"""Free slots: where a procedure of a given length can start, room by room, day by day (pure:
plain values in, plain values out; no database).

A slot is offered only when all of it lies within the room's opening hours on an open
weekday, it overlaps no active booking of the room nor anything busy everywhere (the
patient's other bookings, the chosen operator's), and it does not start before now (a
start in the past would be a retrospective entry, never something to offer). Starts are on
the day's grid (every `step_min` minutes from local midnight), and a free stretch that does
not begin on the grid (a booking ends at 10:10) is also offered from its first minute, so
every stretch long enough is found; today's stretches begin at the next grid time. Times are
compared in UTC, so days when the clocks change hold too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class Hours:
    """A room's opening hours: from `opens` to `closes` (local time) on ISO `weekdays`."""

    opens: time
    closes: time
    weekdays: frozenset[int]


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class FreeGap:
    """A free stretch of one room's day that is long enough, with the starts offered in it."""

    room: Hashable
    day: date
    start: datetime
    end: datetime
    starts: tuple[datetime, ...]

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def opening(hours: Hours, day: date, tz: tzinfo) -> Span | None:
    """The room's opening on `day` in UTC (None: closed that day)."""
    if day.isoweekday() not in hours.weekdays or hours.closes <= hours.opens:
        return None
    return Span(
        _utc(datetime.combine(day, hours.opens, tz)), _utc(datetime.combine(day, hours.closes, tz))
    )


def subtract(span: Span, taken: Iterable[Span]) -> list[Span]:
    """What remains of `span` once every taken stretch is removed, in time order."""
    free: list[Span] = []
    cursor = span.start
    for busy in sorted(taken, key=lambda s: s.start):
        if busy.end <= cursor or busy.start >= span.end:
            continue
        if busy.start > cursor:
            free.append(Span(cursor, busy.start))
        cursor = max(cursor, busy.end)
        if cursor >= span.end:
            break
    if cursor < span.end:
        free.append(Span(cursor, span.end))
    return free


def _ceil(moment: datetime, anchor: datetime, step: timedelta) -> datetime:
    offset = (moment - anchor) % step
    return moment if not offset else moment + (step - offset)


def _starts(gap: Span, anchor: datetime, step: timedelta, length: timedelta) -> list[datetime]:
    """The gap's first minute, then every grid time after it, while the slot still fits."""
    starts = []
    if gap.end - gap.start >= length:
        starts.append(gap.start)
    grid = _ceil(gap.start, anchor, step)
    if grid == gap.start:
        grid += step
    while grid + length <= gap.end:
        starts.append(grid)
        grid += step
    return starts


def free_gaps[RoomKey: Hashable](  # a room is named by its key: its id in irflow
    *,
    hours: Mapping[RoomKey, Hours],
    busy: Mapping[RoomKey, Iterable[Span]],
    duration_min: int,
    first_day: date,
    last_day: date,
    step_min: int,
    now: datetime,
    tz: tzinfo,
    everywhere: Iterable[Span] = (),
) -> list[FreeGap]:
    """Every free stretch of at least `duration_min` in each room (keys of `hours`) on each
    day from `first_day` to `last_day`, with the starts offered in it; by day, then room."""
    if duration_min <= 0 or step_min <= 0:
        raise ValueError("duration_min and step_min must be positive")
    length, step = timedelta(minutes=duration_min), timedelta(minutes=step_min)
    now = _utc(now)
    shared = [Span(_utc(s.start), _utc(s.end)) for s in everywhere]
    taken = {
        room: [Span(_utc(s.start), _utc(s.end)) for s in busy.get(room, ())] + shared
        for room in hours
    }
    found = []
    for day in _days(first_day, last_day):
        anchor = _utc(datetime.combine(day, time(0), tz))
        for room, room_hours in hours.items():
            span = opening(room_hours, day, tz)
            if span is None or span.end <= now:
                continue
            if span.start < now:  # later today: from the next grid time on
                span = Span(max(span.start, _ceil(now, anchor, step)), span.end)
            for gap in subtract(span, taken[room]):
                starts = _starts(gap, anchor, step, length)
                if starts:
                    found.append(FreeGap(room, day, gap.start, gap.end, tuple(starts)))
    return found


def slot_starts(gaps: Iterable[FreeGap]) -> list[tuple[Hashable, datetime]]:
    """Every (room, start) offered, flattened."""
    return [(gap.room, start) for gap in gaps for start in gap.starts]
