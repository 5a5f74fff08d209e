"""Referring clinicians read signed reports and signed addenda only: an addendum still in
draft is hidden from them in the selector, the API and the report page (and its PDF), while
IR staff see it with its "Sign addendum" button."""

from __future__ import annotations

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.patients.models import CareRelation
from irflow.reports import services
from irflow.reports.selectors import report_get, report_view
from irflow.reports.tests.conftest import drafted
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db

SIGNED = "Addendum: the filter tip sits at L2, as intended."
UNSIGNED = "Draft addendum: check the left renal vein again before sending."


@pytest.fixture
def final(personas, record):
    attending = personas["attending"]
    report = services.report_sign(actor=attending, report_id=drafted(attending, record).pk)
    services.addendum_create(actor=attending, report_id=report.pk, text=SIGNED, sign=True)
    services.addendum_create(actor=personas["trainee"], report_id=report.pk, text=UNSIGNED)
    CareRelation.objects.create(patient=record.patient, clinician=personas["referrer"])
    return report


def test_the_selector_gives_referrers_the_signed_addenda_only(personas, final):
    mine = report_get(actor=personas["referrer"], report_id=final.pk)
    assert [a.text for a in mine.addenda.all()] == [SIGNED]
    assert [a.text for a in report_view(mine).addenda] == [SIGNED]
    staff = report_get(actor=personas["attending"], report_id=final.pk)
    assert [a.text for a in staff.addenda.all()] == [SIGNED, UNSIGNED]


def test_the_api_gives_referrers_the_signed_addenda_only(client, personas, final):
    def addenda(user) -> list[dict]:
        token = api_token_create(actor=SYSTEM, user_id=user.pk, name=f"t-{user.pk}")[1]
        response = client.get(
            f"/api/reports/{final.pk}", headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        return response.json()["addenda"]

    mine = addenda(personas["referrer"])
    assert [a["text"] for a in mine] == [SIGNED]
    assert all(a["signed_at"] is not None for a in mine)
    assert [a["text"] for a in addenda(personas["attending"])] == [SIGNED, UNSIGNED]


def test_the_report_page_shows_referrers_the_signed_addenda_only(client, personas, final):
    login(client, personas["referrer"])
    page = client.get(f"/reports/{final.pk}/").content.decode()
    assert SIGNED in page
    assert UNSIGNED not in page
    assert "Sign addendum" not in page
    login(client, personas["attending"])
    page = client.get(f"/reports/{final.pk}/").content.decode()
    assert SIGNED in page and UNSIGNED in page
