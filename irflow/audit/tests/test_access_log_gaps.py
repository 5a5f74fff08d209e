"""The access log has no gaps: refused reads, every patient a list or search showed (in one
write), the board's meetings and the notifications, the auditor's own searches; and a record
outside the reader's scope answers the same 404 as one that does not exist."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from irflow.accounts.actors import SYSTEM
from irflow.accounts.permissions import MATRIX
from irflow.accounts.roles import Role
from irflow.accounts.services import api_token_create
from irflow.accounts.tests import test_api_permission_walk as walk
from irflow.audit.models import AccessLog
from irflow.patients.models import CareRelation
from irflow.patients.services import patient_create, patient_merge
from irflow.testing.fixtures import login
from irflow.testing.referrals import encode_example, journey_world

pytestmark = pytest.mark.django_db

MISSING = 987654321
# The permission walk's data: a patient with a referral, an order, a booking, a procedure,
# reports, dose, devices and follow-up, and an API token per role.
world = walk.world


def _bearer(user) -> dict:
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name=f"t {user.username}")[1]
    return {"authorization": f"Bearer {token}"}


def _new_rows(before: int) -> list[AccessLog]:
    return list(AccessLog.objects.order_by("pk")[before:])


def _another(personas, mrn: str = "G0000002", family: str = "Gapless"):
    return patient_create(
        actor=personas["attending"],
        mrn=mrn,
        family_name=family,
        given_name="Ada",
        birth_date="1961-02-03",
        sex="F",
    )


# ------------------------------------------------------------------ refused reads


def test_a_read_the_role_may_not_make_is_logged_as_refused_api_and_web(client, personas, patient):
    qi = personas["qi_lead"]  # may not open patient records
    before = AccessLog.objects.count()
    response = client.get(f"/api/patients/{patient.pk}", headers=_bearer(qi))
    assert response.status_code == 403
    login(client, qi)
    page = client.get(f"/patients/{patient.pk}/", REMOTE_ADDR="10.9.8.7")
    assert page.status_code == 403
    rows = _new_rows(before)
    assert [(r.username, r.refused, r.channel, r.path) for r in rows] == [
        (qi.username, True, "api", f"/api/patients/{patient.pk}"),
        (qi.username, True, "web", f"/patients/{patient.pk}/"),
    ]
    assert rows[1].remote_addr == "10.9.8.7" and rows[1].role == qi.role


def test_a_patient_outside_a_referrers_care_is_the_same_404_as_a_missing_one_and_logged(
    client, personas, patient
):
    referrer = personas["referrer"]
    headers = _bearer(referrer)
    before = AccessLog.objects.count()
    outside = client.get(f"/api/patients/{patient.pk}", headers=headers)
    missing = client.get(f"/api/patients/{MISSING}", headers=headers)
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    login(client, referrer)
    outside_page = client.get(f"/patients/{patient.pk}/")
    missing_page = client.get(f"/patients/{MISSING}/")
    assert outside_page.status_code == missing_page.status_code == 404
    assert "MÜLLER" not in outside_page.content.decode().upper()
    rows = _new_rows(before)
    assert [(r.username, r.patient_id, r.refused) for r in rows] == [
        ("referrer", patient.pk, True),
        ("referrer", MISSING, True),
        ("referrer", patient.pk, True),
        ("referrer", MISSING, True),
    ]
    # The auditor sees who tried to open whom.
    assert rows[0].patient_label == str(patient) and rows[1].patient_label == ""


def test_a_refused_read_inside_a_service_transaction_is_still_logged(client, personas, patient):
    """The service's transaction rolls back with the refusal; the refused read stays."""
    referrer = personas["referrer"]
    before = AccessLog.objects.count()
    response = client.patch(
        f"/api/patients/{patient.pk}",
        data={"weight_kg": "70"},
        content_type="application/json",
        headers=_bearer(referrer),
    )
    assert response.status_code in (403, 404)
    assert any(r.refused and r.username == "referrer" for r in _new_rows(before))


def test_a_merged_record_names_its_successor_only_to_readers_who_may_see_it(
    client, personas, patient
):
    survivor = _another(personas, "G0000003", "Müller")
    patient_merge(
        actor=personas["scheduler"],
        source_id=patient.pk,
        target_id=survivor.pk,
        reason="Duplicate registration",
    )
    # The referrer cared for the duplicate only: they may not learn where it went.
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    referrer_api = client.get(f"/api/patients/{patient.pk}", headers=_bearer(personas["referrer"]))
    missing_api = client.get(f"/api/patients/{MISSING}", headers=_bearer(personas["referrer"]))
    assert referrer_api.status_code == 404
    assert referrer_api.json() == missing_api.json()
    assert str(survivor.pk) not in referrer_api.json()["detail"]
    login(client, personas["referrer"])
    page = client.get(f"/patients/{patient.pk}/")
    assert page.status_code == 404 and "merged into" not in page.content.decode()
    # Staff who may see the survivor are told where the record went.
    staff = client.get(f"/api/patients/{patient.pk}", headers=_bearer(personas["nurse"]))
    assert staff.status_code == 404 and staff.json()["code"] == "merged"
    assert f"merged into patient {survivor.pk}" in staff.json()["detail"]


# ------------------------------------------------------------------ lists and searches


def test_a_search_logs_every_patient_shown_in_one_write(client, personas, patient):
    second = _another(personas, "G0000004", "Müllerova")
    headers = _bearer(personas["nurse"])
    before = AccessLog.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/patients?q=müll", headers=headers)
    assert response.status_code == 200 and len(response.json()) == 2
    rows = _new_rows(before)
    assert sorted(r.patient_id for r in rows) == sorted([patient.pk, second.pk])
    assert {r.what for r in rows} == {"search “müll” (2)"}
    sqls = [q["sql"] for q in queries.captured_queries]
    inserts = [sql for sql in sqls if sql.startswith("INSERT") and "accesslog" in sql]
    assert len(inserts) == 1
    # A search that shows nobody still leaves the query on record.
    client.get("/api/patients?q=nobodyhere", headers=headers)
    last = AccessLog.objects.order_by("-pk").first()
    assert (last.what, last.patient_id) == ("search “nobodyhere” (0)", None)


def test_board_meetings_and_notifications_are_logged_with_the_patients_they_name(
    client, personas, patient
):
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    journey_world(personas, patient)
    before = AccessLog.objects.count()
    meetings = client.get("/api/board/meetings", headers=_bearer(personas["attending"]))
    assert meetings.status_code == 200 and meetings.json()
    notes = client.get("/api/referrals/notifications", headers=_bearer(personas["referrer"]))
    assert notes.status_code == 200 and notes.json()
    login(client, personas["referrer"])
    assert client.get("/referrals/notifications/").status_code == 200
    rows = _new_rows(before)
    assert [(r.username, r.what) for r in rows if r.what.startswith("board meetings")] == [
        ("attending", f"board meetings ({len(meetings.json())})")
    ]
    notified = [r for r in rows if r.what.startswith("notifications")]
    assert [(r.channel, r.patient_id) for r in notified] == [
        ("api", patient.pk),
        ("web", patient.pk),
    ]


def test_the_auditors_own_searches_are_logged(client, personas, patient):
    login(client, personas["attending"])
    client.get(f"/patients/{patient.pk}/")
    client.logout()
    auditor = personas["auditor"]
    before = AccessLog.objects.count()
    api = client.get(f"/api/audit/access?patient_id={patient.pk}", headers=_bearer(auditor))
    assert api.status_code == 200 and api.json()
    history = client.get("/api/audit/history", headers=_bearer(auditor))
    assert history.status_code == 200
    login(client, auditor)
    assert client.get("/audit/", {"patient_id": patient.pk}).status_code == 200
    rows = _new_rows(before)
    assert {r.username for r in rows} == {"auditor"}
    assert [(r.channel, r.patient_id) for r in rows if r.what.startswith("access log")] == [
        ("api", patient.pk),
        ("web", patient.pk),
    ]
    assert any(r.what.startswith("history search") for r in rows)


def test_the_auditor_can_find_refused_reads(client, personas, patient):
    client.get(f"/api/patients/{patient.pk}", headers=_bearer(personas["referrer"]))
    answer = client.get(
        f"/api/audit/access?patient_id={patient.pk}", headers=_bearer(personas["auditor"])
    )
    refused = [r for r in answer.json() if r["refused"]]
    assert [(r["username"], r["patient_id"]) for r in refused] == [("referrer", patient.pk)]
    login(client, personas["auditor"])
    page = client.get("/audit/", {"patient_id": patient.pk}).content.decode()
    assert "refused" in page


# ------------------------------------------------------------------ every route


def test_no_route_tells_an_existing_id_from_a_missing_one_and_every_refusal_is_logged(
    client, personas, world
):
    """Every API route with an id, for every role: a role the matrix refuses gets the same
    answer for an existing id as for a missing one; a GET refused either way leaves a refused
    read, and a GET answered leaves a read unless the route shows no patient data."""
    ids, tokens = world["ids"], world["tokens"]
    known = walk.examples(ids)
    no_patient_data = {
        "/api/accounts/me",
        "/api/accounts/staff",
        "/api/catalogue/procedures",
        "/api/catalogue/rooms",
        "/api/day/rules",
        "/api/readiness/policy",
        "/api/readiness/rulesets",
        "/api/readiness/rulesets/{ruleset_id}",
        "/api/referrals/waiting-times",
    }
    wrong = []

    def call(method, url, body, name):
        with transaction.atomic():
            before = AccessLog.objects.count()
            response = client.generic(
                method,
                url,
                **encode_example(body),
                headers={"authorization": f"Bearer {tokens[name]}"},
            )
            rows = _new_rows(before)
            transaction.set_rollback(True)
        return response.status_code, rows

    for method, path, permission in walk.operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        url += walk.QUERY.get(path, "")
        body = known[(method, path)]
        for name, user in personas.items():
            allowed = permission == "authenticated" or Role(user.role) in MATRIX[permission]
            if method == "GET":
                status, rows = call(method, url, body, name)
                refused = [r for r in rows if r.refused]
                if status in (403, 404) and not refused:
                    wrong.append(f"{name} GET {url}: {status} without a refused read")
                if 200 <= status < 300 and not rows and path not in no_patient_data:
                    wrong.append(f"{name} GET {url}: {status} without an access-log row")
            if allowed or "{" not in path or path.endswith("{ruleset_id}"):
                continue
            for var in re.findall(r"\{(\w+)\}", path):
                missing = re.sub(
                    r"\{(\w+)\}",
                    lambda m, var=var: str(MISSING) if m.group(1) == var else str(ids[m.group(1)]),
                    path,
                )
                existing_status, _ = call(method, url, body, name)
                missing_status, _ = call(method, missing, body, name)
                if existing_status != missing_status:
                    wrong.append(
                        f"{name} {method} {path}: {existing_status} for an existing {var}, "
                        f"{missing_status} for a missing one"
                    )
    assert wrong == []


def test_web_pages_answer_a_refused_role_alike_for_existing_and_missing_ids(
    client, personas, world
):
    ids = world["ids"]
    real = {"task": ids["followup_task_id"], "procedure": ids["procedure_id"]}
    missing = dict.fromkeys(real, MISSING)
    for persona, path in [
        ("qi_lead", "/outcomes/followup/{task}/"),
        ("admin", "/outcomes/followup/{task}/"),
        ("referrer", "/procedures/{procedure}/"),
        ("auditor", "/procedures/{procedure}/"),
    ]:
        login(client, personas[persona])
        before = AccessLog.objects.count()
        answers = [client.get(path.format(**real)), client.get(path.format(**missing))]
        assert [a.status_code for a in answers] == [403, 403], (persona, path)
        assert [r.refused for r in _new_rows(before)] == [True, True], (persona, path)
        client.logout()
    # A button too: a role that may not sign gets 403 for an addendum that exists or not.
    login(client, personas["scheduler"])
    signs = [
        client.post(f"/reports/addenda/{addendum}/sign/")
        for addendum in (ids["addendum_id"], MISSING)
    ]
    assert [a.status_code for a in signs] == [403, 403]
