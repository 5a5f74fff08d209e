"""The navigation bar: entries by permission, and counts beside them — computed only for roles
that hold the entry's permission, only when a page draws the bar, once per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.reports import services as reports
from irflow.reports.selectors import report_worklist_count
from irflow.testing.cases import booked, documented, fresh_room, past_weekday_at
from irflow.testing.fixtures import login, make_user
from irflow.web import navigation
from irflow.web.navigation import NavItem, navigation_for

pytestmark = pytest.mark.django_db


def test_a_count_is_computed_for_permitted_users_only_and_only_when_drawn(monkeypatch, personas):
    calls = []

    def waiting(user) -> int:
        calls.append(user)
        return 2

    monkeypatch.setattr(
        navigation,
        "NAV",
        [
            NavItem("Patients", "patient-search", "patient.view"),
            NavItem("Reports", "report-worklists", "report.draft", count=waiting),
        ],
    )
    assert [i.label for i in navigation_for(personas["nurse"], "/")] == ["Patients"]
    links = navigation_for(personas["attending"], "/reports/")
    assert [(i.label, i.current) for i in links] == [("Patients", False), ("Reports", True)]
    assert calls == []  # nothing counted until a page draws the bar
    assert links[1].count == 2 and links[1].aria_label == "Reports, 2 waiting"
    assert links[1].count == 2 and calls == [personas["attending"]]  # counted once
    assert links[0].count == 0 and links[0].aria_label == "Patients"


@pytest.fixture
def waiting(personas, patient, angio_room):
    """Around the attending's cases: drafts by the attending, the trainee and a second
    physician, one trainee draft submitted for co-signature and one returned."""
    a, t = personas["attending"], personas["trainee"]
    second = make_user("second", "physician")

    def draft(author, hour: int, *, complete: bool = False):
        record = documented(a, booked(a, patient, fresh_room(), start=past_weekday_at(hour)))
        report = reports.report_start(actor=author, procedure_id=record.pk)
        if complete:
            reports.report_update(
                actor=author,
                report_id=report.pk,
                fields={"retrievable": "yes", "filter_position": "Infrarenal"},
                sections={"impression": "Retrievable filter placed."},
            )
            reports.report_submit(actor=author, report_id=report.pk)
        return report

    for author, hour in ((a, 8), (a, 9), (t, 10), (t, 11), (t, 13), (second, 14)):
        draft(author, hour)
    draft(t, 15, complete=True)
    returned = draft(t, 16, complete=True)
    reports.report_return(actor=second, report_id=returned.pk, reason="Add the diameter.")


def test_the_reports_entry_shows_how_many_wait(client, personas, waiting):
    a, t = personas["attending"], personas["trainee"]
    # A: own drafts (8, 9) and the trainee's drafts of A's cases (10, 11, 13) to sign, the
    # submitted draft to co-sign; the second physician's draft of A's case is theirs.
    assert report_worklist_count(a) == 6
    # T: own drafts (10, 11, 13) and the returned one.
    assert report_worklist_count(t) == 4
    login(client, a)
    page = client.get("/patients/").content.decode()
    assert 'aria-label="Reports, 6 waiting">Reports <span class="badge"' in page
    login(client, t)
    page = client.get("/patients/").content.decode()
    assert 'aria-label="Reports, 4 waiting"' in page


@pytest.mark.parametrize("role", ["referrer", "nurse", "qi_lead"])
def test_roles_without_report_lists_have_no_entry_and_no_count_query(
    client, personas, waiting, role
):
    user = personas[role]
    with CaptureQueriesContext(connection) as queries:
        assert report_worklist_count(user) == 0
    assert len(queries) == 0
    assert "Reports" not in [i.label for i in navigation_for(user, "/")]


def test_the_count_is_one_query_and_fragments_do_not_run_it(
    client, personas, patient, angio_room, waiting
):
    a = personas["attending"]
    with CaptureQueriesContext(connection) as queries:
        report_worklist_count(a)
    assert len(queries) == 1
    login(client, a)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/patients/")
    assert page.status_code == 200
    assert sum('COUNT("reports_report"' in q["sql"] for q in queries) == 1
    record = documented(a, booked(a, patient, fresh_room(), start=past_weekday_at(17)))
    draft = reports.report_start(actor=a, procedure_id=record.pk)
    with CaptureQueriesContext(connection) as queries:
        saved = client.post(
            f"/reports/{draft.pk}/save/", {"section_findings": "Patent."}, HTTP_HX_REQUEST="true"
        )
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    assert not any('COUNT("reports_report"' in q["sql"] for q in queries)
