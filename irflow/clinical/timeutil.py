"""Time arithmetic that stays right across midnight and DST changes.

Elapsed hours are real time: arithmetic is done in UTC, then shown in the site's zone.
Calendar days are local dates. Python compares and subtracts two datetimes that share a
tzinfo by wall clock, so every comparison here goes through UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc(moment: datetime) -> datetime:
    """The same instant in UTC."""
    return moment.astimezone(UTC)


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same instant in the site's zone."""
    return moment.astimezone(zone)


def hours_before(moment: datetime, hours: float, zone: ZoneInfo) -> datetime:
    """The instant `hours` of real time before `moment`, in the site's zone."""
    return (utc(moment) - timedelta(hours=hours)).astimezone(zone)


def hours_after(moment: datetime, hours: float, zone: ZoneInfo) -> datetime:
    """The instant `hours` of real time after `moment`, in the site's zone."""
    return (utc(moment) + timedelta(hours=hours)).astimezone(zone)


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local date as a real instant.

    A time skipped by a spring-forward change is read with the offset before the change
    (01:30 on a day London skips 01:00 to 02:00 becomes 02:30 BST); a repeated autumn time is
    its first occurrence.
    """
    naive = datetime.combine(day, clock.replace(tzinfo=None))
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight (or the first instant) of a date."""
    return at_local(day, time(0, 0), zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an instant in the site's zone."""
    return local(moment, zone).date()


def dose_instants(
    first_day: date, days: int, clocks: Iterable[time], zone: ZoneInfo
) -> list[datetime]:
    """Every usual dose time on `days` local dates from `first_day`, sorted by real time."""
    clocks = tuple(clocks)
    found = [
        at_local(first_day + timedelta(days=offset), clock, zone)
        for offset in range(days)
        for clock in clocks
    ]
    return sorted(found, key=utc)


def last_at_or_before(
    limit: datetime, clocks: Iterable[time], zone: ZoneInfo, *, strictly: bool = False
) -> datetime | None:
    """The latest usual dose time at (or strictly before) `limit`, or None without dose times."""
    clocks = tuple(clocks)
    if not clocks:
        return None
    start = local_date(limit, zone) - timedelta(days=2)
    bound = utc(limit)
    candidates = [
        moment
        for moment in dose_instants(start, 4, clocks, zone)
        if utc(moment) < bound or (not strictly and utc(moment) == bound)
    ]
    return candidates[-1] if candidates else None


def first_at_or_after(limit: datetime, clocks: Iterable[time], zone: ZoneInfo) -> datetime | None:
    """The earliest usual dose time at or after `limit`, or None without dose times."""
    clocks = tuple(clocks)
    if not clocks:
        return None
    start = local_date(limit, zone) - timedelta(days=1)
    candidates = [m for m in dose_instants(start, 4, clocks, zone) if utc(m) >= utc(limit)]
    return candidates[0] if candidates else None


def fmt_time(moment: datetime, zone: ZoneInfo) -> str:
    """'14:05' in the site's zone."""
    return local(moment, zone).strftime("%H:%M")


def fmt_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """'Mon 14 Jul 08:00' in the site's zone, with English names whatever the locale."""
    m = local(moment, zone)
    return f"{_DAYS[m.weekday()]} {m.day:02d} {_MONTHS[m.month - 1]} {m:%H:%M}"


def fmt_date(day: date) -> str:
    """'Mon 14 Jul' with English names whatever the locale."""
    return f"{_DAYS[day.weekday()]} {day.day:02d} {_MONTHS[day.month - 1]}"
