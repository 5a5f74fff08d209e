"""The logbook pages by role: the trainee's own logbook, the supervisor's queue, the exports
(naming who verified each entry), practice figures; refusals for the others."""

from __future__ import annotations

import csv
import io

import pytest

from irflow.testing.fixtures import login
from irflow.training.models import LogbookEntry, Programme
from irflow.training.tests.test_services import trainee_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(personas, patient):
    trainee_case(personas, patient)
    return LogbookEntry.objects.get()


def test_the_trainee_sees_their_logbook_and_nobody_elses(client, personas, entry):
    trainee = personas["trainee"]
    login(client, trainee)
    assert client.get("/training/").url == f"/training/logbook/{trainee.pk}/"
    page = client.get(f"/training/logbook/{trainee.pk}/").content.decode()
    assert "Inferior vena cava filter" in page or entry.procedure_name in page
    assert "To verify" in page
    for name in ("nurse", "scheduler", "referrer", "technologist"):
        login(client, personas[name])
        assert client.get(f"/training/logbook/{trainee.pk}/").status_code == 403


def test_the_supervisor_verifies_from_the_queue_and_the_exports_name_them(client, personas, entry):
    attending = personas["attending"]
    login(client, attending)
    page = client.get("/training/verify/").content.decode()
    assert f'id="entry-{entry.pk}"' in page
    response = client.post(f"/training/verify/{entry.pk}/query/", {"note": ""})
    assert response.status_code == 422
    response = client.post(f"/training/verify/{entry.pk}/verify/")
    assert response.status_code == 302
    assert "Nothing to verify" in client.get("/training/verify/").content.decode()
    exported = client.get(f"/training/logbook/{personas['trainee'].pk}/logbook.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][7] == "Verified by" and rows[1][7] == str(attending)
    assert rows[1][6] == "Verified"
    pdf = client.get(f"/training/logbook/{personas['trainee'].pk}/logbook.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    login(client, personas["trainee"])
    assert client.get("/training/verify/").status_code == 403


def test_the_administrator_enrols_a_trainee_in_ebir(client, personas, entry):
    login(client, personas["admin"])
    ebir = Programme.objects.get(code="ebir")
    url = f"/training/logbook/{personas['trainee'].pk}/"
    response = client.post(url + "enrol/", {"programme": ebir.pk})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "0 of 250" in page and "0 of 150" in page


def test_practice_figures_for_the_qi_lead_only(client, personas, entry):
    login(client, personas["qi_lead"])
    page = client.get("/training/practice/").content.decode()
    assert str(personas["trainee"]) in page and "1 of 1" in page
    login(client, personas["scheduler"])
    assert client.get("/training/practice/").status_code == 403
