"""Every timeliness figure against the value worked out by hand on the fixed department of
irflow/testing/quality_timeliness.py (March 2026; the urgency targets are the site defaults:
triage 72 / 24 / 1 h and procedure 504 / 72 / 4 h for routine / urgent / emergent)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from irflow.audit.models import AccessLog
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.quality import thresholds
from irflow.quality.selectors import Filters
from irflow.quality.timeliness import available_minutes, quality_timeliness
from irflow.quality.timeliness_lists import table, timeliness_list
from irflow.testing.quality_timeliness import END, START, timeliness_world

ILIAC, PICC = "Iliac angioplasty and stenting", "PICC line insertion"


@pytest.fixture
def world(personas):
    return timeliness_world(personas["attending"], personas["referrer"])


@pytest.fixture
def report_targets(settings, tmp_path):
    """The site sets 24 h for every procedure and 1 h for PICC lines."""
    path = tmp_path / "thresholds.toml"
    path.write_text(
        "\n".join(
            f'[[threshold]]\nprocedure = "{code}"\nmeasure = "report_signed_within_hours"\n'
            f'value = {hours}\nsource = "Department policy 2026"\nconfidence = "local"\n'
            for code, hours in (("*", 24), ("PICC", 1))
        )
    )
    settings.IRFLOW_QUALITY_THRESHOLDS = str(path)
    thresholds.loaded.cache_clear()
    yield
    thresholds.loaded.cache_clear()


def figures(actor, **narrow):
    return quality_timeliness(actor=actor, filters=Filters(start=START, end=END, **narrow))


def waits(data, kind):
    return {w.urgency: w for w in data.waits_of(kind)}


def test_referral_to_triage_per_urgency(world, personas):
    rows = waits(figures(personas["qi_lead"]), "triage")
    routine, urgent, emergent = rows["routine"], rows["urgent"], rows["emergent"]
    # Routine, received in March and triaged: 10, 20, 80 h (the fourth waits; February's is
    # out). Median 20; p90 at rank (3 − 1) × 0.9 = 1.8: 20 + 0.8 × (80 − 20) = 68.
    assert (routine.count, routine.median_hours, routine.p90_hours) == (3, 20.0, 68.0)
    # Within 72 h: 10 and 20; 80 breaches.
    assert (routine.within.numerator, routine.within.denominator, routine.breaching) == (2, 3, 1)
    assert routine.target_hours == 72
    # Urgent: 2 and 30 h. Median 16; p90 2 + 0.9 × 28 = 27.2; within 24 h: 1 of 2.
    assert (urgent.count, urgent.median_hours, urgent.p90_hours) == (2, 16.0, 27.2)
    assert (urgent.within.numerator, urgent.within.denominator) == (1, 2)
    # Wilson 1 of 2: centre (0.5 + 3.8415/4) / (1 + 3.8415/2) = 0.5; half 1.95996 / 2.92073 ×
    # √(0.125 + 0.24009) = 0.40541 → 9.46 %–90.54 %.
    assert urgent.within.low == pytest.approx(0.0946, abs=1e-4)
    assert urgent.within.high == pytest.approx(0.9054, abs=1e-4)
    # Emergent: triaged exactly on its 1 h target, which counts as within.
    assert (emergent.count, emergent.median_hours, emergent.within.numerator) == (1, 1.0, 1)


def test_referral_to_procedure_per_urgency(world, personas):
    rows = waits(figures(personas["qi_lead"]), "procedure")
    routine, urgent, emergent = rows["routine"], rows["urgent"], rows["emergent"]
    # Routine treated: 100 and 600 h. Median 350; p90 100 + 0.9 × 500 = 550; within 504 h: 1.
    assert (routine.count, routine.median_hours, routine.p90_hours) == (2, 350.0, 550.0)
    assert (routine.within.numerator, routine.breaching) == (1, 1)
    # Urgent 50 h (target 72), emergent 3 h (target 4): both within.
    assert (urgent.count, urgent.median_hours, urgent.within.numerator) == (1, 50.0, 1)
    assert (emergent.count, emergent.p90_hours, emergent.within.numerator) == (1, 3.0, 1)


def test_referral_filters(world, personas):
    # PICC referrals: routine triaged 80 h (the other waits); urgent 30 h; emergent 1 h.
    rows = waits(figures(personas["qi_lead"], procedure="PICC"), "triage")
    assert (rows["routine"].count, rows["routine"].median_hours) == (1, 80.0)
    assert rows["routine"].within.numerator == 0
    assert (rows["urgent"].count, rows["emergent"].count) == (1, 1)
    # Room A: the referrals whose procedure was done there — the first (10 h) and the fifth
    # (urgent, 2 h).
    rows = waits(figures(personas["qi_lead"], room=world["rooms"]["A"].pk), "triage")
    assert {u: (w.count, w.median_hours) for u, w in rows.items()} == {
        "routine": (1, 10.0),
        "urgent": (1, 2.0),
        "emergent": (0, None),
    }
    # Urgency: only that one has figures.
    rows = waits(figures(personas["qi_lead"], urgency="urgent"), "triage")
    assert (rows["urgent"].count, rows["routine"].count) == (2, 0)


def test_procedure_to_signed_report_without_a_target(world, personas):
    rows = {r.label: r for r in figures(personas["qi_lead"]).reports}
    iliac, picc = rows[ILIAC], rows[PICC]
    # Iliac in March: bookings 1–3; signed 4 h and 30 h after the end; the third is a draft.
    # Median 17; p90 4 + 0.9 × 26 = 27.4.
    assert (iliac.procedures, iliac.signed, iliac.unsigned) == (3, 2, 1)
    assert (iliac.median_hours, iliac.p90_hours) == (17.0, 27.4)
    # PICC: the fourth has no report, the fifth was signed 2 h after.
    assert (picc.procedures, picc.signed, picc.unsigned, picc.median_hours) == (2, 1, 1, 2.0)
    # The shipped thresholds set no target: "set by the site", no share within.
    assert iliac.target.label == "set by the site" and iliac.within is None


def test_procedure_to_signed_report_against_the_sites_targets(world, personas, report_targets):
    rows = {r.label: r for r in figures(personas["qi_lead"]).reports}
    iliac, picc = rows[ILIAC], rows[PICC]
    # Iliac against the site's 24 h: 4 h within, 30 h breaches.
    assert (iliac.within.numerator, iliac.within.denominator, iliac.breaching) == (1, 2, 1)
    assert iliac.target.label == "24 h"
    # PICC against its own 1 h: signed after 2 h, a breach.
    assert (picc.within.numerator, picc.within.denominator, picc.breaching) == (0, 1, 1)


def test_cancellations_and_did_not_attends(world, personas):
    c = figures(personas["qi_lead"]).cancellations
    # March bookings: 1–9 (the tenth is in April, the eleventh in February). Cancelled: 7 and
    # 8 did not attend, 9 equipment failure.
    assert c.bookings == 9
    assert (c.cancelled.numerator, c.did_not_attend.numerator) == (3, 2)
    assert [(r.reason, r.count) for r in c.by_reason] == [
        ("did_not_attend", 2),
        ("equipment", 1),
    ]
    # Wilson 3 of 9: centre (1/3 + 0.21341) / 1.42683 = 0.38319; half 1.37364 ×
    # √(0.024691 + 0.011856) = 0.26261 → 12.06 %–64.58 %.
    assert c.cancelled.low == pytest.approx(0.1206, abs=1e-4)
    assert c.cancelled.high == pytest.approx(0.6458, abs=1e-4)
    # Filtered to room B: bookings 3, 4, 6 and 9; one cancelled (equipment).
    c = figures(personas["qi_lead"], room=world["rooms"]["B"].pk).cancellations
    assert (c.bookings, c.cancelled.numerator, c.did_not_attend.numerator) == (4, 1, 0)


def test_room_utilisation(world, personas):
    rows = {r.label: r for r in figures(personas["qi_lead"]).rooms}
    a, b = rows["Timely A"], rows["Timely B"]
    # Room A held bookings 1, 2, 5: 60 + 120 + 30 = 210 min booked. Used: 1 by MPPS 45 min, 2
    # by its record (in room 09:00 → out 10:30) 90 min, 5 by MPPS 15 min = 150.
    assert (a.bookings, a.booked_minutes, a.used_minutes) == (3, 210, 150)
    assert (a.from_mpps, a.from_record, a.without_times) == (2, 1, 0)
    assert a.of_booked == pytest.approx(150 / 210)
    # Open 08:00–18:00 on the 22 weekdays of March 2026, less Monday 2 March's closure
    # (07:00–19:00 clipped to the 600 min of that day): 22 × 600 − 600 = 12,600.
    assert a.available_minutes == 12600
    # Room B held bookings 3, 4, 6: 60 + 30 + 60 = 150. Used: 3 by two completed MPPS steps
    # (30 + 10; the step in progress counts nothing) = 40; 4 has no times; 6 was not done.
    assert (b.bookings, b.booked_minutes, b.used_minutes) == (3, 150, 40)
    assert (b.from_mpps, b.from_record, b.without_times) == (1, 0, 2)
    # Open 08:00–16:00, 22 weekdays × 480 = 10,560.
    assert b.available_minutes == 10560
    assert b.of_available == pytest.approx(40 / 10560)


def test_available_minutes_of_one_week(world):
    # Monday 2 to Sunday 8 March: room B's five weekdays × 480 min.
    room, monday, sunday = world["rooms"]["B"], START.replace(day=2), START.replace(day=8)
    assert available_minutes(room, monday, sunday, []) == 2400
    # A closure from Tuesday 15:00 to Wednesday 09:00 takes 1 h from each day (08:00–16:00).
    zone = timezone.get_current_timezone()
    closure = (datetime(2026, 3, 3, 15, tzinfo=zone), datetime(2026, 3, 4, 9, tzinfo=zone))
    assert available_minutes(room, monday, sunday, [closure]) == 2280


def test_tables_carry_the_figures(world, personas):
    data = figures(personas["qi_lead"])
    columns, rows = table(data, "triage")
    routine = dict(zip(columns, rows[-1], strict=True))
    assert routine["urgency"] == "Routine"
    assert (routine["median_hours"], routine["within_target_pct"], routine["breaching"]) == (
        20.0,
        "66.7",
        1,
    )
    columns, rows = table(data, "rooms")
    assert dict(zip(columns, rows[0], strict=True))["used_of_booked_pct"] == "71.4"
    columns, rows = table(data, "cancellations")
    assert rows[-1][:4] == ["All cancellations", 3, 9, "33.3"]


def test_the_lists_behind_the_figures_are_access_logged(world, personas):
    qi = personas["qi_lead"]
    filters = Filters(start=START, end=END, urgency="routine")
    unit, total, rows = timeliness_list(actor=qi, filters=filters, show="triage_late")
    assert (unit, total) == ("referral", 1)  # the 80 h routine triage
    assert rows[0].patient_label == "TIMELY23, Case"
    logged = AccessLog.objects.filter(username=qi.username, what__startswith="quality timeliness")
    assert list(logged.values_list("patient_label", flat=True)) == ["TIMELY23, Case"]
    filters = Filters(start=START, end=END, procedure="PTA-IL")
    unit, total, rows = timeliness_list(actor=qi, filters=filters, show="unsigned")
    assert (unit, total, rows[0].detail) == ("record", 1, "report Draft")
    filters = Filters(start=START, end=END)
    unit, total, _ = timeliness_list(
        actor=qi, filters=filters, show="cancelled", reason="did_not_attend"
    )
    assert (unit, total) == ("booking", 2)
    _, total, _ = timeliness_list(actor=qi, filters=filters, show="booked")
    assert total == 6
    with pytest.raises(ValidationFailed) as refused:
        timeliness_list(actor=qi, filters=filters, show="everything")
    assert "show" in refused.value.errors


@pytest.mark.parametrize("role", ["nurse", "scheduler", "referrer"])
def test_roles_without_quality_view_are_refused(world, personas, role):
    with pytest.raises(Forbidden):
        figures(personas[role])
    with pytest.raises(Forbidden):
        timeliness_list(actor=personas[role], filters=Filters(start=START, end=END), show="booked")


def test_the_report_target_is_in_hours_and_needs_its_source():
    entry = (
        '[[threshold]]\nmeasure = "report_signed_within_hours"\n'
        'value = {value}\nsource = "{source}"\n'
    )
    (target,), _ = thresholds.parse(entry.format(value=48, source="Policy"))
    assert (target.value, target.label) == (48.0, "48 h")
    for value, source in ((0, "Policy"), (9000, "Policy"), (24, "")):
        with pytest.raises(thresholds.ThresholdError):
            thresholds.parse(entry.format(value=value, source=source))
