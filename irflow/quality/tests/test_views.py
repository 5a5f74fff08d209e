"""The quality pages: filters in the address, table views, downloads, the drill-down list and
its access log, one case, and who may see them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from irflow.audit.models import AccessLog
from irflow.procedures.models import ProcedureRecord
from irflow.testing.fixtures import login
from irflow.testing.quality import END, START

PERIOD = f"start={START.isoformat()}&end={END.isoformat()}"


@pytest.fixture
def qi(client, personas):
    return login(client, personas["qi_lead"])


def test_dashboard_page_with_filters_in_the_address(qi, world):
    response = qi.get(f"{reverse('quality-dashboard')}?{PERIOD}&procedure=PTA-IL")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quality-data"' in html and "/static/plotly/plotly.min.js" in html
    assert "/static/quality/quality.js" in html
    assert "5 procedures checked in" in html
    assert "PICC line insertion" not in html.split('id="table-ae"')[1].split("</table>")[0]
    assert "40.0 % (11.8 %–76.9 %)" in html  # 2 of 5, Wilson
    assert "set by the site" in html
    assert "BSIR" in html and "Technical success 97 %" in html
    # The downloads and drill-downs carry the filters.
    assert "procedure=PTA-IL" in html and "ae=any" in html
    # Plotly's own <style> elements are allowed on this page alone; scripts stay same-origin.
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src-elem")[0]
    )


def test_invalid_filters_name_the_field(qi, world):
    response = qi.get(f"{reverse('quality-dashboard')}?start=2026-05-01&end=2026-04-01&urgency=x")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date must not be before the start date." in html
    assert "Select a valid choice" in html


def test_csv_and_xlsx_downloads(qi, world):
    url = reverse("quality-export", args=["adverse_events", "csv"])
    response = qi.get(f"{url}?{PERIOD}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    iliac = next(r for r in rows if r["procedure"] == "Iliac angioplasty and stenting")
    assert (iliac["procedures"], iliac["cases_with_ae"], iliac["ae_rate_pct"]) == ("5", "2", "40.0")
    assert (iliac["ae_ci_low_pct"], iliac["ae_ci_high_pct"]) == ("11.8", "76.9")
    assert iliac["ae_threshold"] == "set by the site"
    response = qi.get(f"{reverse('quality-export', args=['month', 'csv'])}?{PERIOD}")
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["month", "procedures"],
        ["Mar 2026", "3"],
        ["Apr 2026", "5"],
    ]
    response = qi.get(f"{reverse('quality-export', args=['dose', 'xlsx'])}?{PERIOD}")
    assert response.content[:2] == b"PK"
    assert qi.get(reverse("quality-export", args=["nothing", "csv"])).status_code == 404


def test_drill_down_lists_the_cases_and_logs_the_access(qi, world, personas):
    before = AccessLog.objects.count()
    response = qi.get(f"{reverse('quality-cases')}?{PERIOD}&procedure=PTA-IL&ae=any")
    html = response.content.decode()
    assert "2 cases checked in" in html
    assert "QA000002" in html and "QA000003" in html and "QA000004" not in html
    assert "Quality2" not in html  # the QI lead does not see names
    logged = list(AccessLog.objects.order_by("pk")[before:])
    patients = set(
        ProcedureRecord.objects.filter(pk__in=world["records"][1:3]).values_list(
            "patient_id", flat=True
        )
    )
    assert {row.patient_id for row in logged} == patients and len(logged) == 2
    assert all(row.username == "qi_lead" for row in logged)


def test_one_case(qi, world):
    record_id = world["records"][2]
    response = qi.get(reverse("quality-case", args=[record_id]))
    html = response.content.decode()
    assert "Event moderate of case 3" in html and "30.0 Gy·cm²" in html
    assert AccessLog.objects.filter(what="quality case review", username="qi_lead").count() == 1


@pytest.mark.parametrize("role", ["nurse", "scheduler", "referrer", "trainee", "admin"])
def test_other_roles_are_refused(client, personas, world, role):
    login(client, personas[role])
    assert client.get(reverse("quality-dashboard")).status_code == 403
    assert client.get(reverse("quality-cases")).status_code == 403
    assert client.get(reverse("quality-export", args=["success", "csv"])).status_code == 403
