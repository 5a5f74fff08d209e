"""Every figure of the devices and safety page against the value worked out by hand on the
fixed department of irflow/testing/quality_safety.py (period March–April 2026, today 15 May
2026), and the page itself: downloads, the lists behind the figures (access-logged), who may
see them."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from irflow.audit.models import AccessLog
from irflow.checklists.models import SafetyOverride
from irflow.devices.models import DeviceInSitu
from irflow.lib.errors import Forbidden, NotFound
from irflow.procedures.models import ProcedureRecord
from irflow.quality.safety import drill, tables
from irflow.quality.safety.figures import safety_dashboard
from irflow.quality.selectors import Filters
from irflow.testing.fixtures import login
from irflow.testing.quality_safety import END, START, TODAY, safety_world

TACE, IVCF = "Transarterial chemoembolisation", "IVC filter placement"
PERIOD = f"start={START.isoformat()}&end={END.isoformat()}"


@pytest.fixture
def world(personas):
    return safety_world(personas["attending"])


def board(actor, today=TODAY, **narrow):
    return safety_dashboard(
        actor=actor, filters=Filters(start=START, end=END, **narrow), today=today
    )


def test_srdl_cases_and_their_follow_up(world, personas):
    rows = {r.label: r for r in board(personas["qi_lead"]).srdl}
    # Only TACE has an SRDL alert in the period (case 11's is from 2025). TACE cases 1, 2, 3,
    # 4, 12; SRDL alerts on 1, 2, 3, 12 (case 4 reached the notification level only).
    # Skin checks: case 1 done; case 2 open, due 20 Apr (before 15 May: due and overdue);
    # case 3 open, due 25 May (not yet due); case 12 has none.
    assert list(rows) == [TACE]
    tace = rows[TACE]
    assert (tace.procedures, tace.srdl, tace.due, tace.done, tace.overdue, tace.no_task) == (
        5,
        4,
        2,
        1,
        1,
        1,
    )
    # Wilson 1 of 2: centre (0.5 + 0.96037) / 2.92073 = 0.5, half 0.67105 × √(0.125 +
    # 0.24009) = 0.40547.
    assert tace.completion.low == pytest.approx(0.0945, abs=1e-4)
    assert tace.completion.high == pytest.approx(0.9055, abs=1e-4)
    # On 26 May case 3's skin check is overdue too: due 3, overdue 2.
    later = board(personas["qi_lead"], today=TODAY.replace(day=26)).srdl[0]
    assert (later.due, later.done, later.overdue) == (3, 1, 2)


def test_ivc_filter_retrieval(world, personas):
    ivc = board(personas["qi_lead"]).ivc
    # Retrievable filters placed in March–April: A, B, C (action "Retrieval"), D, E; F is
    # meant to stay ("review"), G was entered in error, H was placed in 2025. Retrieved: A
    # (at a procedure) and D (elsewhere); E was left permanently; B is in past its due date
    # (8 Apr), C is not yet due (19 Jul).
    assert ivc.counts == {
        "placed": 5,
        "retrieved": 2,
        "in_situ": 1,
        "overdue": 1,
        "not_retrieved": 1,
    }
    # Wilson 2 of 5, as on the outcomes page: 11.8 %–76.9 %.
    assert (ivc.retrieval.low, ivc.retrieval.high) == (
        pytest.approx(0.1176, abs=1e-4),
        pytest.approx(0.7693, abs=1e-4),
    )
    # Dwell: A 2 Mar → 1 Apr = 30 days, D 15 Mar → 24 Apr = 40 days; median 35.
    assert ivc.median_dwell_days == 35.0


def test_overdue_devices_of_every_kind(world, personas):
    rows = {r.key: r.count for r in board(personas["qi_lead"]).overdue_devices}
    # In situ on 15 May past their due date, whenever placed: filters B (8 Apr), F (24 Apr),
    # H (1 Mar); the drain (15 Apr). The inactive patient's drain is left out; the
    # nephrostomy is due 1 Jun; the PICC was removed.
    assert rows == {"ivc_filter": 3, "drain": 1}
    # A procedure filter leaves out what no procedure placed (the drain, registered by hand).
    narrowed = board(personas["qi_lead"], procedure="IVCF-IN").overdue_devices
    assert [(r.key, r.count) for r in narrowed] == [("ivc_filter", 3)]


def test_follow_up_task_completion(world, personas):
    rows = {r.key: r.counts for r in board(personas["qi_lead"]).followup}
    # Due in March–April, not cancelled: skin checks of cases 1 (done on time) and 2 (open);
    # clinic C1 (done 5 days late), C2 (done 00:30 site time the day after: late), C3
    # (acknowledged, overdue), C7 (done on the day); call C5 (open, overdue). C4 was
    # cancelled, C6 and case 3's skin check fall due outside the period.
    assert rows["skin_check"] == {
        "due": 2,
        "done": 1,
        "on_time": 1,
        "late": 0,
        "overdue": 1,
        "open": 0,
    }
    assert rows["clinic"] == {"due": 4, "done": 3, "on_time": 1, "late": 2, "overdue": 1, "open": 0}
    assert rows["call"] == {"due": 1, "done": 0, "on_time": 0, "late": 0, "overdue": 1, "open": 0}
    # On 25 Apr C3 (due 30 Apr) and C5 (due 28 Apr) are open, not yet due.
    early = {
        r.key: r.counts
        for r in board(personas["qi_lead"], today=TODAY.replace(month=4, day=25)).followup
    }
    assert (early["clinic"]["overdue"], early["clinic"]["open"]) == (0, 1)
    assert (early["call"]["overdue"], early["call"]["open"]) == (0, 1)
    clinic = next(r for r in board(personas["qi_lead"]).followup if r.key == "clinic")
    assert (clinic.completion.numerator, clinic.completion.denominator) == (3, 4)


def test_checklist_completion(world, personas):
    rows = {r.key: r.rate for r in board(personas["qi_lead"]).checklists}
    # Eleven cases in the period (case 11 is from 2025). Sign-in: all but 4 and 10 = 9;
    # time-out: 1, 2, 5, 6, 7, 8, 12 = 7; sign-out: 1, 5, 7, 8, 12 = 5.
    assert [(k, r.numerator, r.denominator) for k, r in rows.items()] == [
        ("sign_in", 9, 11),
        ("time_out", 7, 11),
        ("sign_out", 5, 11),
    ]
    # Wilson 9 of 11: centre (0.81818 + 0.17461) / 1.34923 = 0.73581, half 1.45265 ×
    # √(0.013524 + 0.007937) = 0.21281.
    assert rows["sign_in"].low == pytest.approx(0.5230, abs=1e-4)
    assert rows["sign_in"].high == pytest.approx(0.9486, abs=1e-4)


def test_overrides_per_procedure_and_their_list(world, personas):
    d = board(personas["qi_lead"])
    rows = {r.label: r for r in d.overrides}
    # TACE (cases 1–4, 12): readiness overrides 2 on case 3; emergency 1 on case 2 and 2 on
    # case 4. IVC filter (5–10): readiness 1 on case 6; emergency 1 on case 8. Case 11's
    # readiness override is from 2025.
    tace, ivcf = rows[TACE], rows[IVCF]
    assert (tace.procedures, tace.readiness_cases, tace.readiness) == (5, 1, 2)
    assert (tace.emergency_cases, tace.emergency) == (2, 3)
    assert (ivcf.procedures, ivcf.readiness_cases, ivcf.readiness) == (6, 1, 1)
    assert (ivcf.emergency_cases, ivcf.emergency) == (1, 1)
    assert d.total == 11
    reasons = sorted((e.kind, e.reason) for e in d.override_list)
    assert reasons == [
        ("emergency", "Active bleeding"),
        ("emergency", "Massive pulmonary embolism"),
        ("emergency", "Patient unconscious, no relative"),
        ("emergency", "Ruptured aneurysm, patient unstable"),
        ("readiness", "Reason 0 of case 3"),
        ("readiness", "Reason 0 of case 6"),
        ("readiness", "Reason 1 of case 3"),
    ]
    bleeding = next(e for e in d.override_list if e.reason == "Active bleeding")
    assert bleeding.record_id == world["records"][4] and bleeding.by == str(personas["attending"])


def test_the_lists_behind_the_figures(world, personas):
    qi, filters = personas["qi_lead"], Filters(start=START, end=END)
    records = world["records"]

    def case_ids(**narrow):
        _, rows = drill.case_list(actor=qi, filters=filters, narrow=narrow, today=TODAY)
        return {r.record_id for r in rows}

    assert case_ids(srdl="any") == {records[n] for n in (1, 2, 3, 12)}
    assert case_ids(srdl="overdue") == {records[2]}
    assert case_ids(srdl="no_task") == {records[12]}
    assert case_ids(no_checklist="time_out") == {records[n] for n in (3, 4, 9, 10)}
    assert case_ids(override="emergency") == {records[n] for n in (2, 4, 8)}
    _, devices = drill.device_list(
        actor=qi, filters=filters, narrow={"ivc": "retrieved"}, today=TODAY
    )
    assert {d.name for d in devices} == {"Device A", "Device D"}
    _, devices = drill.device_list(
        actor=qi, filters=filters, narrow={"overdue": "ivc_filter"}, today=TODAY
    )
    assert {d.name for d in devices} == {"Device B", "Device F", "Device H"}
    _, tasks = drill.task_list(
        actor=qi, filters=filters, narrow={"kind": "clinic", "state": "late"}, today=TODAY
    )
    assert {t.description for t in tasks} == {"Task C1", "Task C2"}
    with pytest.raises(NotFound, match="srdl is one of"):
        drill.case_list(actor=qi, filters=filters, narrow={"srdl": "someday"})


def test_tables_match_the_figures(world, personas):
    d = board(personas["qi_lead"])
    columns, rows = tables.table(d, "ivc")
    assert dict(zip(columns, rows[0], strict=True)) == {
        "placed": 5,
        "retrieved": 2,
        "retrieval_pct": "40.0",
        "retrieval_ci_low_pct": "11.8",
        "retrieval_ci_high_pct": "76.9",
        "median_dwell_days": 35.0,
        "in_situ_not_yet_due": 1,
        "in_situ_past_planned_date": 1,
        "not_retrieved": 1,
    }
    for chart in tables.CHARTS:
        columns, rows = tables.table(d, chart)
        assert all(len(row) == len(columns) for row in rows), chart


@pytest.mark.parametrize("role", ["nurse", "scheduler", "referrer", "trainee", "admin"])
def test_other_roles_are_refused(personas, role):
    with pytest.raises(Forbidden):
        board(personas[role])


# --- The pages ---------------------------------------------------------------------------


@pytest.fixture
def qi(client, personas):
    return login(client, personas["qi_lead"])


def test_page_with_tabs_charts_and_tables(qi, world):
    response = qi.get(f"{reverse('quality-safety')}?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="safety-data"' in html and "/static/quality/safety.js" in html
    assert 'aria-current="page">Devices and safety</a>' in html
    assert "11 procedures checked in" in html
    assert "40.0 % (11.8 %–76.9 %)" in html  # IVC filter retrieval, 2 of 5
    assert "Massive pulmonary embolism" in html
    assert "Safety4" not in html  # the page names no patient
    outcomes = qi.get(f"{reverse('quality-dashboard')}?{PERIOD}").content.decode()
    assert 'aria-current="page">Outcomes</a>' in outcomes
    assert f'href="{reverse("quality-safety")}?{PERIOD.replace("&", "&amp;")}"' in outcomes


def test_downloads(qi, world):
    url = reverse("quality-safety-export", args=["checklists", "csv"])
    response = qi.get(f"{url}?{PERIOD}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["phase"], r["cases_completed"], r["cases"]) for r in rows] == [
        ("Sign-in", "9", "11"),
        ("Time-out", "7", "11"),
        ("Sign-out", "5", "11"),
    ]
    url = reverse("quality-safety-export", args=["override_list", "xlsx"])
    assert qi.get(f"{url}?{PERIOD}").content[:2] == b"PK"
    url = reverse("quality-safety-export", args=["nothing", "csv"])
    assert qi.get(url).status_code == 404


def test_drill_downs_are_access_logged(qi, world, personas):
    before = AccessLog.objects.count()
    response = qi.get(f"{reverse('quality-cases')}?{PERIOD}&override=emergency")
    html = response.content.decode()
    assert "3 cases checked in" in html and "override: emergency" in html
    assert "SA000004" in html and "SA000001" not in html
    response = qi.get(f"{reverse('quality-safety-devices')}?{PERIOD}&overdue=drain")
    assert "1 device" in response.content.decode()
    response = qi.get(f"{reverse('quality-safety-tasks')}?{PERIOD}&kind=clinic&state=due")
    assert "4 tasks" in response.content.decode()
    logged = list(AccessLog.objects.order_by("pk")[before:])
    # Three cases, one drain's patient, three clinic patients (C1–C3 and C7 are of cases
    # 5, 6, 7, 9): one row per patient shown.
    assert len(logged) == 3 + 1 + 4
    assert all(row.username == "qi_lead" for row in logged)
    assert qi.get(f"{reverse('quality-cases')}?srdl=someday").status_code == 404
    assert qi.get(f"{reverse('quality-safety-devices')}?ivc=lost").status_code == 404


@pytest.mark.parametrize("role", ["nurse", "scheduler", "referrer", "trainee", "admin"])
def test_other_roles_get_403(client, personas, role):
    login(client, personas[role])
    assert client.get(reverse("quality-safety")).status_code == 403
    assert client.get(reverse("quality-safety-devices") + "?ivc=placed").status_code == 403
    assert client.get(reverse("quality-safety-tasks")).status_code == 403
    assert client.get(reverse("quality-safety-export", args=["srdl", "csv"])).status_code == 403


def test_the_page_costs_the_same_queries_with_more_rows(qi, world, personas):
    """More overrides, devices and tasks add rows, not queries."""
    url = f"{reverse('quality-safety')}?{PERIOD}"

    def count() -> int:
        qi.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert qi.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for record in ProcedureRecord.objects.filter(pk__in=world["records"].values()):
        SafetyOverride.objects.create(
            booking=record.booking,
            rule="extra",
            rule_text="Rule extra",
            refusal="Refused",
            reason="More",
            overridden_by=personas["attending"],
        )
        DeviceInSitu.objects.create(
            patient=record.patient,
            kind="drain",
            name="Extra drain",
            placed_on=START,
            due_on=START,
            placed_by_procedure=record,
        )
    assert count() == few
