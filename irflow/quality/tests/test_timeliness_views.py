"""The timeliness page: filters in the address, its tables, the downloads, the list behind a
figure with its access log, bad input named, and who may see it."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from irflow.audit.models import AccessLog
from irflow.testing.fixtures import login
from irflow.testing.quality_timeliness import END, START, timeliness_world

PERIOD = f"start={START.isoformat()}&end={END.isoformat()}"


@pytest.fixture
def world(personas):
    return timeliness_world(personas["attending"], personas["referrer"])


@pytest.fixture
def qi(client, personas):
    return login(client, personas["qi_lead"])


def test_page_with_filters_in_the_address(qi, world):
    response = qi.get(f"{reverse('quality-timeliness')}?{PERIOD}&urgency=routine")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="timeliness-data"' in html and "/static/quality/timeliness.js" in html
    # The tabs, each keeping the filters.
    query = "start=2026-03-01&amp;end=2026-03-31&amp;urgency=routine"
    assert f'href="{reverse("quality-dashboard")}?{query}"' in html
    assert 'aria-current="page">Timeliness' in html
    triage = html.split('id="table-triage"')[1].split("</table>")[0]
    # Routine: 3 triaged, median 20 h, p90 68 h ("2.8 days"), 2 of 3 within 72 h (3 days).
    assert "20 h" in triage and "2.8 days" in triage and "3 days" in triage
    assert "2 of 3: 66.7 %" in triage
    assert "show=triage_late" in triage and "urgency=routine" in triage
    assert "set by the site" in html  # no report target shipped
    rooms = html.split('id="table-rooms"')[1].split("</table>")[0]
    # Routine bookings in room A: the first alone, 45 of its 60 minutes used.
    assert "Timely A" in rooms and "75.0 %" in rooms
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_bad_filters_name_the_field(qi, world):
    response = qi.get(f"{reverse('quality-timeliness')}?start=2026-04-01&end=2026-03-01&room=x")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date must not be before the start date." in html
    assert "Select a valid choice" in html


def test_csv_and_xlsx_downloads(qi, world):
    url = reverse("quality-timeliness-export", args=["cancellations", "csv"])
    response = qi.get(f"{url}?{PERIOD}")
    assert response["Content-Type"].startswith("text/csv")
    assert (
        "irflow-timeliness-cancellations-20260301-20260331.csv" in (response["Content-Disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # 2 of 9 bookings did not attend, 1 of 9 equipment; 3 of 9 in all.
    assert [(r["reason"], r["bookings_cancelled"], r["rate_pct"]) for r in rows] == [
        ("Patient did not attend", "2", "22.2"),
        ("Equipment failure", "1", "11.1"),
        ("All cancellations", "3", "33.3"),
    ]
    for chart in ("triage", "procedure", "reports", "rooms"):
        url = reverse("quality-timeliness-export", args=[chart, "xlsx"])
        assert qi.get(f"{url}?{PERIOD}").content[:2] == b"PK"
    url = reverse("quality-timeliness-export", args=["nothing", "csv"])
    assert qi.get(url).status_code == 404


def test_the_list_behind_a_figure_is_access_logged(client, personas, world):
    login(client, personas["attending"])  # a physician: may see names
    before = AccessLog.objects.count()
    url = reverse("quality-timeliness-cases")
    response = client.get(f"{url}?{PERIOD}&show=cancelled&reason=did_not_attend")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 bookings cancelled (patient did not attend)" in html
    assert "TIMELY7, Case" in html and "TIMELY8, Case" in html and "TIMELY9" not in html
    logged = list(AccessLog.objects.order_by("pk")[before:])
    assert sorted(r.patient_label for r in logged) == ["TIMELY7, Case", "TIMELY8, Case"]
    assert all(r.username == "attending" for r in logged)


def test_a_list_of_nothing_known_names_the_field(qi, world):
    url = reverse("quality-timeliness-cases")
    response = qi.get(f"{url}?{PERIOD}&show=everything")
    assert response.status_code == 400 and "show: Choose what to list" in response.content.decode()
    response = qi.get(f"{url}?{PERIOD}&show=cancelled&reason=bored")
    assert response.status_code == 400 and "reason:" in response.content.decode()


@pytest.mark.parametrize("role", ["nurse", "scheduler", "referrer", "trainee", "admin"])
def test_other_roles_are_refused(client, personas, world, role):
    login(client, personas[role])
    assert client.get(reverse("quality-timeliness")).status_code == 403
    assert client.get(f"{reverse('quality-timeliness-cases')}?show=booked").status_code == 403
    url = reverse("quality-timeliness-export", args=["rooms", "csv"])
    assert client.get(url).status_code == 403
