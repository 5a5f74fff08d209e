"""The report worklists at /reports/: to sign, to co-sign (the co-signer's own cases first),
returned to me (with the reason) and my cases today — each for the roles that hold it, each
one query whatever its length."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.dayofcase.services import case_check_in
from irflow.lib.errors import Forbidden
from irflow.reports import selectors, services
from irflow.reports.tests.conftest import case, drafted, today_at
from irflow.scheduling.models import TeamRole
from irflow.testing.cases import past_weekday_at
from irflow.testing.fixtures import login, make_booking, make_order, make_user

pytestmark = pytest.mark.django_db

REASON = "Give the IVC diameter."


@pytest.fixture
def ward(personas, patient, angio_room, any_day_room):
    """Reports in every state around the attending (A), the trainee (T) and a second
    physician (P2), and two bookings today."""
    a, t = personas["attending"], personas["trainee"]
    p2 = make_user("second", "physician")

    def at(hour: int, **kwargs):
        return case(a, patient, angio_room, past_weekday_at(hour), **kwargs)

    supervised = [(a, TeamRole.SUPERVISING_PHYSICIAN)]
    reports = {
        "a_own": drafted(a, at(8)),
        "t_on_a_case": drafted(t, at(9, operator=t, team=supervised)),
        "p2_on_a_case": drafted(p2, at(10)),
        "t_on_p2_case": drafted(t, at(11, operator=p2, team=[(t, TeamRole.TRAINEE)])),
        "t_on_a_case_submitted": drafted(t, at(13, team=[(t, TeamRole.TRAINEE)])),
        "t_returned": drafted(t, at(14)),
        "a_final": drafted(a, at(15)),
    }
    for key in ("t_on_p2_case", "t_on_a_case_submitted", "t_returned"):
        services.report_submit(actor=t, report_id=reports[key].pk)
    services.report_return(actor=a, report_id=reports["t_returned"].pk, reason=REASON)
    services.report_sign(actor=a, report_id=reports["a_final"].pk)
    ids = {key: r.pk for key, r in reports.items()}

    ours = make_booking(
        a,
        make_order(a, patient, "IVCF-IN"),
        any_day_room,
        today_at(8),
        primary_operator=a,
        team=[(t, TeamRole.TRAINEE), (personas["nurse"], TeamRole.NURSE)],
    )
    case_check_in(actor=a, booking_id=ours.pk)
    theirs = make_booking(
        p2, make_order(p2, patient, "IVCF-IN"), any_day_room, today_at(10), primary_operator=p2
    )
    return {"ids": ids, "p2": p2, "ours": ours, "theirs": theirs}


def pks(items) -> list[int]:
    return [item.pk for item in items]


def test_a_physicians_lists(personas, ward):
    a, ids = personas["attending"], ward["ids"]
    assert pks(selectors.reports_to_sign(actor=a)) == [ids["a_own"], ids["t_on_a_case"]]
    cosign = selectors.reports_to_cosign(actor=a)
    assert pks(cosign) == [ids["t_on_a_case_submitted"], ids["t_on_p2_case"]]  # A's case first
    assert [r.responsible for r in cosign] == [True, False]
    assert selectors.reports_returned(actor=a) == []
    assert pks(selectors.cases_of_day(actor=a)) == [ward["ours"].pk]

    p2 = ward["p2"]
    assert pks(selectors.reports_to_sign(actor=p2)) == [ids["p2_on_a_case"]]
    assert pks(selectors.reports_to_cosign(actor=p2)) == [
        ids["t_on_p2_case"],
        ids["t_on_a_case_submitted"],
    ]
    assert pks(selectors.cases_of_day(actor=p2)) == [ward["theirs"].pk]


def test_a_trainees_lists(personas, ward):
    t, ids = personas["trainee"], ward["ids"]
    assert pks(selectors.reports_to_sign(actor=t)) == [ids["t_on_a_case"]]
    returned = selectors.reports_returned(actor=t)
    assert pks(returned) == [ids["t_returned"]] and returned[0].return_reason == REASON
    assert pks(selectors.cases_of_day(actor=t)) == [ward["ours"].pk]
    with pytest.raises(Forbidden):
        selectors.reports_to_cosign(actor=t)
    lists = selectors.report_worklists(actor=t)
    assert lists.to_cosign is None and lists.waiting == 2


@pytest.mark.parametrize("role", ["referrer", "nurse", "qi_lead", "scheduler"])
def test_roles_that_write_no_reports_see_no_worklist(client, personas, ward, role):
    user = personas[role]
    for selector in (
        selectors.reports_to_sign,
        selectors.reports_to_cosign,
        selectors.reports_returned,
        selectors.cases_of_day,
        selectors.report_worklists,
    ):
        with pytest.raises(Forbidden):
            selector(actor=user)
    assert selectors.report_worklist_count(user) == 0
    login(client, user)
    assert client.get("/reports/").status_code == 403


def test_the_page_shows_each_list_for_the_role(client, personas, ward):
    a, t = personas["attending"], personas["trainee"]
    login(client, a)
    page = client.get("/reports/").content.decode()
    for heading in ("To sign", "To co-sign", "Returned to me", "My cases today"):
        assert heading in page
    assert "Waiting for Trainee Test to submit it" in page
    assert f'href="/procedures/bookings/{ward["ours"].pk}/"' in page
    assert "In progress" in page and "Not started" in page

    login(client, t)
    page = client.get("/reports/").content.decode()
    assert "My drafts" in page and "Returned to me" in page and "My cases today" in page
    assert "To co-sign" not in page and "To sign" not in page
    assert REASON in page and f'href="/reports/{ward["ids"]["t_returned"]}/"' in page


def test_each_list_costs_the_same_queries_for_1_or_10_reports(
    client, personas, patient, angio_room, any_day_room
):
    a, t = personas["attending"], personas["trainee"]
    p2 = make_user("second", "physician")
    day = past_weekday_at(8)
    slots = []  # distinct past weekday hours, 45-minute bookings on the hour
    while len(slots) < 30:
        if day.isoweekday() <= 5:
            slots += [day.replace(hour=h) for h in range(8, 18)]
        day -= timedelta(days=1)
    made = 0

    def add(count: int) -> None:
        nonlocal made
        for _ in range(count):
            own, submitted, returned = slots[3 * made : 3 * made + 3]
            made += 1
            drafted(a, case(a, patient, angio_room, own))
            by_trainee = drafted(t, case(a, patient, angio_room, submitted))
            services.report_submit(actor=t, report_id=by_trainee.pk)
            sent_back = drafted(a, case(a, patient, angio_room, returned))
            services.report_submit(actor=a, report_id=sent_back.pk)
            services.report_return(actor=p2, report_id=sent_back.pk, reason=REASON)
            make_booking(
                a,
                make_order(a, patient, "IVCF-IN"),
                any_day_room,
                today_at(7 + made),
                primary_operator=a,
            )

    def page_queries() -> int:
        # A first view, not counted: the session's activity is written at most once a minute,
        # and making nine more reports can take longer than that on a loaded machine.
        client.get("/reports/")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/reports/")
        assert response.status_code == 200
        return len(queries)

    login(client, a)
    add(1)
    lists = selectors.report_worklists(actor=a)
    assert [len(x or []) for x in (lists.to_sign, lists.to_cosign, lists.returned)] == [1, 1, 1]
    one = page_queries()
    add(9)
    lists = selectors.report_worklists(actor=a)
    assert [len(x or []) for x in (lists.to_sign, lists.to_cosign, lists.returned)] == [10] * 3
    assert len(lists.cases_today or []) == 10
    assert page_queries() == one
