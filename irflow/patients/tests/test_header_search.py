"""The header's patient search: on every page for those who may see patients, answering with
a few links, scoped like the search page and written to the access log."""

from __future__ import annotations

from datetime import date

import pytest

from irflow.audit.models import AccessLog
from irflow.patients.models import CareRelation, IdentifierKind, PatientIdentifier
from irflow.patients.selectors import MSG_QUERY_TOO_SHORT
from irflow.patients.services import patient_create
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(attending):
    jana = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Müllerová",
        given_name="Jana",
        birth_date=date(1961, 2, 3),
        sex="F",
    )
    PatientIdentifier.objects.create(
        patient=jana, kind=IdentifierKind.NATIONAL, issuer="NHS", value="9434765919"
    )
    return jana


def test_the_header_offers_the_search_to_those_who_may_see_patients(client, personas):
    login(client, personas["nurse"])
    html = client.get("/accounts/").content.decode()
    assert 'role="search"' in html and 'action="/patients/"' in html
    assert 'hx-get="/patients/quick/"' in html and 'aria-keyshortcuts="/"' in html
    assert "irflow/patient-search" in html

    login(client, personas["qi_lead"])
    assert 'hx-get="/patients/quick/"' not in client.get("/accounts/").content.decode()


def test_names_identifiers_and_birth_dates_are_found(client, personas, patient, other):
    login(client, personas["nurse"])

    def found(q: str) -> str:
        response = client.get("/patients/quick/", {"q": q}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        return response.content.decode()

    by_name = found("müll")
    assert "MÜLLER, Jörg" in by_name and "MÜLLEROVÁ, Jana" in by_name
    assert f'href="/patients/{patient.pk}/"' in by_name
    assert "MÜLLEROVÁ" not in found("T0000001")
    assert "MÜLLEROVÁ, Jana" in found("9434765919")  # NHS number
    assert "MÜLLER, Jörg" in found("12/04/1956") and "MÜLLER, Jörg" in found("1956-04-12")
    assert "No patient matches" in found("nobody")
    # One letter waits for more: no list, nothing said, not the "too short" message.
    one = found("m")
    assert "<li" not in one and "quick-msg" not in one
    assert (
        '<p id="header-search-status" class="visually-hidden" role="status" hx-swap-oob="true"></p>'
        in one
    )
    assert MSG_QUERY_TOO_SHORT not in one


def test_a_referrer_finds_only_their_own_patients(client, personas, patient, other):
    CareRelation.objects.create(patient=other, clinician=personas["referrer"])
    login(client, personas["referrer"])
    html = client.get("/patients/quick/", {"q": "müll"}).content.decode()
    assert "MÜLLEROVÁ, Jana" in html and "MÜLLER, Jörg" not in html


def test_searches_are_in_the_access_log_with_every_patient_shown(client, personas, patient):
    login(client, personas["nurse"])
    before = AccessLog.objects.count()
    client.get("/patients/quick/", {"q": "müller"})
    client.get("/patients/quick/", {"q": "nobody"})
    log = AccessLog.objects.order_by("pk")[before:]
    assert [(a.what, a.patient_id) for a in log] == [
        ("search “müller” (1)", patient.pk),
        ("search “nobody” (0)", None),
    ]
