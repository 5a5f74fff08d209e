"""Last allowed dose and restart across midnight and DST changes (hand-computed times).

London: clocks go forward 30 Mar 2025 01:00 GMT -> 02:00 BST, back 26 Oct 2025 02:00 BST ->
01:00 GMT. New York: forward 9 Mar 2025 02:00 EST -> 03:00 EDT, back 2 Nov 2025 02:00 EDT ->
01:00 EST. A wall-clock implementation would get each of these cases wrong by an hour.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from irflow.clinical import Medication, MedicationPlanItem, SitePolicy, medication_plan
from irflow.clinical.tests.helpers import LONDON, NEW_YORK

LONDON_POLICY = SitePolicy(timezone="Europe/London")
NEW_YORK_POLICY = SitePolicy(timezone="America/New_York")
BID = (time(8), time(20))


def one(
    med: Medication, start: datetime, policy: SitePolicy, end: datetime | None = None
) -> MedicationPlanItem:
    (item,) = medication_plan(
        medications=[med],
        bleeding_risk="high",
        planned_start=start,
        planned_end=end or start + timedelta(hours=1),
        crcl_ml_min=80,
        policy=policy,
    )
    return item


CASES = [
    pytest.param(
        # 48 real hours before Mon 31 Mar 08:30 BST (07:30 UTC) is Sat 29 Mar 07:30 GMT:
        # the Saturday 08:00 dose is inside the window.
        Medication("apixaban", dose_times=BID),
        datetime(2025, 3, 31, 8, 30, tzinfo=LONDON),
        LONDON_POLICY,
        datetime(2025, 3, 29, 7, 30, tzinfo=LONDON),
        datetime(2025, 3, 28, 20, 0, tzinfo=LONDON),
        id="london-spring-apixaban",
    ),
    pytest.param(
        # 48 real hours before Mon 27 Oct 07:30 GMT is Sat 25 Oct 08:30 BST.
        Medication("apixaban", dose_times=BID),
        datetime(2025, 10, 27, 7, 30, tzinfo=LONDON),
        LONDON_POLICY,
        datetime(2025, 10, 25, 8, 30, tzinfo=LONDON),
        datetime(2025, 10, 25, 8, 0, tzinfo=LONDON),
        id="london-autumn-apixaban",
    ),
    pytest.param(
        # 6 h before Sun 9 Mar 07:00 EDT (11:00 UTC) is 00:00 EST, not 01:00.
        Medication("heparin_iv"),
        datetime(2025, 3, 9, 7, 0, tzinfo=NEW_YORK),
        NEW_YORK_POLICY,
        datetime(2025, 3, 9, 0, 0, tzinfo=NEW_YORK),
        None,
        id="new-york-spring-heparin",
    ),
    pytest.param(
        # 48 h before Mon 3 Nov 07:00 EST (12:00 UTC) is Sat 1 Nov 08:00 EDT: that dose is
        # exactly on the edge and allowed.
        Medication("apixaban", dose_times=BID),
        datetime(2025, 11, 3, 7, 0, tzinfo=NEW_YORK),
        NEW_YORK_POLICY,
        datetime(2025, 11, 1, 8, 0, tzinfo=NEW_YORK),
        datetime(2025, 11, 1, 8, 0, tzinfo=NEW_YORK),
        id="new-york-autumn-apixaban-edge",
    ),
    pytest.param(
        # 48 h before Mon 3 Nov 21:30 EST (02:30 UTC Tue) is Sat 1 Nov 22:30 EDT.
        Medication("rivaroxaban", dose_times=(time(22),)),
        datetime(2025, 11, 3, 21, 30, tzinfo=NEW_YORK),
        NEW_YORK_POLICY,
        datetime(2025, 11, 1, 22, 30, tzinfo=NEW_YORK),
        datetime(2025, 11, 1, 22, 0, tzinfo=NEW_YORK),
        id="new-york-autumn-rivaroxaban",
    ),
    pytest.param(
        # Calendar days: no warfarin on 28 Mar to 1 Apr; the last dose is Thu 27 Mar (GMT).
        Medication("warfarin", dose_times=(time(18),)),
        datetime(2025, 4, 2, 9, 0, tzinfo=LONDON),
        LONDON_POLICY,
        datetime(2025, 3, 28, 0, 0, tzinfo=LONDON),
        datetime(2025, 3, 27, 18, 0, tzinfo=LONDON),
        id="london-spring-warfarin-days",
    ),
    pytest.param(
        # Across midnight: 24 h before Tue 14 Jan 00:30 is Mon 00:30; last dose Sun 23:00.
        Medication("enoxaparin_therapeutic", doses_per_day=2, dose_times=(time(11), time(23))),
        datetime(2025, 1, 14, 0, 30, tzinfo=LONDON),
        LONDON_POLICY,
        datetime(2025, 1, 13, 0, 30, tzinfo=LONDON),
        datetime(2025, 1, 12, 23, 0, tzinfo=LONDON),
        id="london-midnight-enoxaparin",
    ),
    pytest.param(
        # Days across midnight: a procedure at 00:15 still leaves 5 whole days.
        Medication("clopidogrel", dose_times=(time(23, 45),)),
        datetime(2025, 1, 14, 0, 15, tzinfo=LONDON),
        LONDON_POLICY,
        datetime(2025, 1, 9, 0, 0, tzinfo=LONDON),
        datetime(2025, 1, 8, 23, 45, tzinfo=LONDON),
        id="london-midnight-clopidogrel",
    ),
]


@pytest.mark.parametrize(("med", "start", "policy", "hold_from", "last"), CASES)
def test_last_allowed_dose_across_dst_and_midnight(
    med: Medication, start: datetime, policy: SitePolicy, hold_from: datetime, last: datetime | None
) -> None:
    item = one(med, start, policy)
    assert item.hold_from is not None
    assert item.hold_from.utcoffset() == hold_from.utcoffset()
    assert item.hold_from == hold_from
    if last is None:
        assert item.last_allowed_dose is None
    else:
        assert item.last_allowed_dose == last
        assert item.last_allowed_dose is not None
        assert item.last_allowed_dose.utcoffset() == last.utcoffset()


def test_new_york_spring_restart_counts_real_hours() -> None:
    start = datetime(2025, 3, 9, 7, 0, tzinfo=NEW_YORK)
    item = one(Medication("heparin_iv"), start, NEW_YORK_POLICY, end=start + timedelta(hours=1))
    # End 08:00 EDT (12:00 UTC) + 8 h = 20:00 UTC = 16:00 EDT.
    assert item.restart_not_before == datetime(2025, 3, 9, 16, 0, tzinfo=NEW_YORK)


def test_london_restart_24_h_across_the_spring_change() -> None:
    start = datetime(2025, 3, 29, 9, 0, tzinfo=LONDON)
    end = datetime(2025, 3, 29, 10, 0, tzinfo=LONDON)
    item = one(Medication("apixaban", dose_times=BID), start, LONDON_POLICY, end=end)
    # 10:00 GMT Saturday + 24 real hours = 11:00 BST Sunday; next usual dose 20:00 BST.
    assert item.restart_not_before == datetime(2025, 3, 30, 11, 0, tzinfo=LONDON)
    assert item.restart_at == datetime(2025, 3, 30, 20, 0, tzinfo=LONDON)


def test_day_after_restart_on_a_skipped_clock_time() -> None:
    start = datetime(2025, 3, 29, 22, 0, tzinfo=LONDON)
    end = datetime(2025, 3, 29, 23, 30, tzinfo=LONDON)
    item = one(Medication("prasugrel", dose_times=(time(1, 30),)), start, LONDON_POLICY, end=end)
    # The day after starts Sun 30 Mar 00:00 GMT; 01:30 does not exist that night, so the
    # patient's 01:30 dose falls at 02:30 BST.
    assert item.restart_not_before == datetime(2025, 3, 30, 0, 0, tzinfo=LONDON)
    assert item.restart_at == datetime(2025, 3, 30, 2, 30, tzinfo=LONDON)
    assert item.restart_at is not None
    assert item.restart_at.utcoffset() == timedelta(hours=1)
    # Seven whole days without prasugrel before Sat 29 Mar: the last dose is Fri 21 Mar.
    assert item.last_allowed_dose == datetime(2025, 3, 21, 1, 30, tzinfo=LONDON)


def test_a_dose_on_the_repeated_autumn_hour() -> None:
    start = datetime(2025, 10, 26, 9, 0, tzinfo=LONDON)
    item = one(
        Medication("heparin_sc", doses_per_day=1, dose_times=(time(1, 30),)), start, LONDON_POLICY
    )
    # 6 h before 09:00 GMT is 03:00 GMT; the 01:30 dose that night is its first occurrence
    # (01:30 BST = 00:30 UTC), well before the window.
    last = item.last_allowed_dose
    assert last is not None
    assert last.astimezone(LONDON).utcoffset() == timedelta(hours=1)
    assert (last.hour, last.minute, last.day) == (1, 30, 26)
