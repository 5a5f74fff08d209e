"""Free slots, the pure part: no slot offered overlaps a booking or lies outside the room's
opening hours or before now, every grid time that is free is offered, and every free stretch
long enough holds at least one slot — checked against a minute-by-minute count, on ordinary
days and on the days the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irflow.scheduling.slots import FreeGap, Hours, Span, free_gaps, opening, slot_starts

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = frozenset(range(1, 6))
MINUTE = timedelta(minutes=1)


def at(day: date, hour: int, minute: int = 0, tz=UTC) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


MONDAY = date(2030, 1, 7)
ROOM_HOURS = Hours(time(8), time(18), WEEKDAYS)


def test_a_tace_fits_around_the_mornings_bookings():
    busy = {"angio": [Span(at(MONDAY, 9), at(MONDAY, 10, 10))]}
    gaps = free_gaps(
        hours={"angio": ROOM_HOURS, "us": ROOM_HOURS},
        busy=busy,
        duration_min=120,
        first_day=MONDAY,
        last_day=MONDAY,
        step_min=30,
        now=at(MONDAY, 7),
        tz=UTC,
    )
    angio = [g for g in gaps if g.room == "angio"]
    assert [(g.start.strftime("%H:%M"), g.end.strftime("%H:%M")) for g in angio] == [
        ("10:10", "18:00")  # 08:00–09:00 is too short for 120 min
    ]
    starts = [s.strftime("%H:%M") for s in angio[0].starts]
    assert starts[:3] == ["10:10", "10:30", "11:00"] and starts[-1] == "16:00"
    assert angio[0].minutes == 470


def test_nothing_is_offered_before_now_nor_on_a_closed_day():
    saturday = MONDAY + timedelta(days=5)
    gaps = free_gaps(
        hours={"angio": ROOM_HOURS},
        busy={},
        duration_min=60,
        first_day=MONDAY,
        last_day=saturday,
        step_min=15,
        now=at(MONDAY, 15, 7),
        tz=UTC,
    )
    days = sorted({g.day for g in gaps})
    assert days == [MONDAY + timedelta(days=n) for n in range(5)]  # not Saturday
    assert gaps[0].start == at(MONDAY, 15, 15)  # the next grid time after now
    assert gaps[0].starts[-1] == at(MONDAY, 17)


def test_the_patient_and_the_operator_are_busy_in_every_room():
    elsewhere = Span(at(MONDAY, 8), at(MONDAY, 17))
    gaps = free_gaps(
        hours={"a": ROOM_HOURS, "b": ROOM_HOURS},
        busy={},
        everywhere=[elsewhere],
        duration_min=60,
        first_day=MONDAY,
        last_day=MONDAY,
        step_min=15,
        now=at(MONDAY, 6),
        tz=UTC,
    )
    five = (at(MONDAY, 17),)
    assert [(g.room, g.starts) for g in gaps] == [("a", five), ("b", five)]


def test_bad_lengths_are_refused():
    with pytest.raises(ValueError):
        free_gaps(hours={}, busy={}, duration_min=0, first_day=MONDAY, last_day=MONDAY,
                  step_min=15, now=at(MONDAY, 6), tz=UTC)  # fmt: skip


# ------------------------------------------------------------------ properties

BASES = [MONDAY, date(2030, 3, 30), date(2030, 10, 26)]  # plain days, and clocks changing
STEPS = [5, 10, 15, 20, 30, 60]


def _time(minute_of_day: int) -> time:
    return time(minute_of_day // 60, minute_of_day % 60)


@st.composite
def cases(draw):
    tz = draw(st.sampled_from([UTC, LONDON]))
    first = draw(st.sampled_from(BASES))
    last = first + timedelta(days=draw(st.integers(0, 2)))
    origin = datetime.combine(first, time(0), tz).astimezone(UTC)
    rooms = {}
    for key in range(draw(st.integers(1, 3))):
        opens = draw(st.integers(0, 22 * 60)) // 5 * 5
        closes = draw(st.integers(opens + 5, 23 * 60 + 59))
        days = frozenset(draw(st.sets(st.integers(1, 7), min_size=1)))
        rooms[key] = Hours(_time(opens), _time(closes), days)

    def spans(max_size: int) -> list[Span]:
        found = []
        for _ in range(draw(st.integers(0, max_size))):
            start = origin + timedelta(minutes=draw(st.integers(-120, 3 * 1440)))
            found.append(Span(start, start + timedelta(minutes=draw(st.integers(5, 300)))))
        return found

    busy = {key: spans(8) for key in rooms}
    everywhere = spans(3)
    now = origin + timedelta(minutes=draw(st.integers(-1440, 3 * 1440)))
    return {
        "hours": rooms,
        "busy": busy,
        "everywhere": everywhere,
        "duration_min": draw(st.integers(5, 240)),
        "step_min": draw(st.sampled_from(STEPS)),
        "first_day": first,
        "last_day": last,
        "now": now,
        "tz": tz,
    }


def _is_free(case, room, start: datetime, end: datetime) -> bool:
    """Brute force: within the room's opening on its local day and clear of every busy span."""
    local = start.astimezone(case["tz"]).date()
    span = opening(case["hours"][room], local, case["tz"])
    if span is None or start < span.start or end > span.end:
        return False
    taken = [*case["busy"][room], *case["everywhere"]]
    return not any(b.start < end and start < b.end for b in taken)


def _grid(case, day: date) -> list[datetime]:
    anchor = datetime.combine(day, time(0), case["tz"]).astimezone(UTC)
    step = timedelta(minutes=case["step_min"])
    return [anchor + k * step for k in range(25 * 60 // case["step_min"])]


def _in_range(case, moment: datetime) -> bool:
    return case["first_day"] <= moment.astimezone(case["tz"]).date() <= case["last_day"]


@settings(max_examples=150, deadline=None)
@given(cases())
def test_every_slot_offered_is_free_open_and_ahead(case):
    length = timedelta(minutes=case["duration_min"])
    for room, start in slot_starts(free_gaps(**case)):
        assert start >= case["now"]
        assert _in_range(case, start)
        assert _is_free(case, room, start, start + length), (room, start)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_every_free_grid_time_is_offered(case):
    offered = set(slot_starts(free_gaps(**case)))
    length = timedelta(minutes=case["duration_min"])
    day = case["first_day"]
    while day <= case["last_day"]:
        for start in _grid(case, day):
            for room in case["hours"]:
                if (
                    start >= case["now"]
                    and start.astimezone(case["tz"]).date() == day
                    and _is_free(case, room, start, start + length)
                ):
                    assert (room, start) in offered, (room, start)
        day += timedelta(days=1)


def _ceil_to_grid(case, moment: datetime, day: date) -> datetime:
    return min((t for t in _grid(case, day) if t >= moment), default=moment)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_every_free_stretch_long_enough_holds_a_slot(case):
    """Minute by minute: every run of free minutes (from the next grid time after now) at
    least as long as the procedure is a gap found, with a slot in it."""
    gaps = free_gaps(**case)
    length = case["duration_min"]
    day = case["first_day"]
    while day <= case["last_day"]:
        for room, hours in case["hours"].items():
            span = opening(hours, day, case["tz"])
            if span is None:
                continue
            floor = span.start
            if floor < case["now"]:
                floor = max(floor, _ceil_to_grid(case, case["now"], day))
            run: list[datetime] = []
            minute = span.start
            while minute <= span.end:
                free = minute < span.end and minute >= floor
                free = free and _is_free(case, room, minute, minute + MINUTE)
                if free:
                    run.append(minute)
                elif run:
                    if len(run) >= length:
                        assert _found(gaps, room, run[0], run[-1] + MINUTE), (room, run[0])
                    run = []
                minute += MINUTE
        day += timedelta(days=1)
    for gap in gaps:
        assert gap.minutes >= length and gap.starts and gap.starts[0] == gap.start


def _found(gaps: list[FreeGap], room, start: datetime, end: datetime) -> bool:
    return any(g.room == room and g.start == start and g.end == end for g in gaps)
