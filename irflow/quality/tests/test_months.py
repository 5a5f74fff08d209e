"""Volumes by month: months of the site's time zone, over a period of several years."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from irflow.procedures.models import ProcedureRecord
from irflow.quality import selectors
from irflow.quality.selectors import Filters, quality_dashboard


def test_months_are_the_site_time_zones_over_two_years(world, personas):
    zone = ZoneInfo(settings.TIME_ZONE)
    records = world["records"]
    # Case 1 moves to 00:30 on 1 April and case 6 to 23:59 on 31 March, local time (in
    # Europe/London, summer time since 29 March: 23:30 and 22:59 on 31 March in UTC).
    ProcedureRecord.objects.filter(pk=records[0]).update(
        checked_in_at=datetime(2026, 4, 1, 0, 30, tzinfo=zone)
    )
    ProcedureRecord.objects.filter(pk=records[5]).update(
        checked_in_at=datetime(2026, 3, 31, 23, 59, tzinfo=zone)
    )
    filters = Filters(start=date(2025, 1, 1), end=date(2026, 12, 31))
    d = quality_dashboard(actor=personas["qi_lead"], filters=filters)
    # 24 months. March 2026: cases 2 and 6; April: 1, 3, 4, 5, 7 and 8; February 2025: case 9
    # (outside the other tests' period); no other month has a case.
    assert [(b.key, b.count) for b in d.by_month] == [
        ("2025-02", 1),
        ("2026-03", 2),
        ("2026-04", 6),
    ]
    assert d.total == 9
    for bar in d.by_month:
        total, _ = selectors.case_list(
            actor=personas["qi_lead"], filters=filters, narrow={"month": bar.key}
        )
        assert total == bar.count, bar.key


def test_a_period_of_one_day_has_its_one_month(world, personas):
    # 15 April 2026: case 4 alone.
    filters = Filters(start=date(2026, 4, 15), end=date(2026, 4, 15))
    d = quality_dashboard(actor=personas["qi_lead"], filters=filters)
    assert [(b.key, b.count) for b in d.by_month] == [("2026-04", 1)]
