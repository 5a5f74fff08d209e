"""The timeline on the chart: loaded in place from this app, a page of its own without
JavaScript, filtered with GET parameters."""

from __future__ import annotations

import pytest

from irflow.testing.fixtures import login
from irflow.timeline.selectors import patient_timeline

pytestmark = pytest.mark.django_db


def test_the_chart_loads_the_timeline_in_place_and_links_to_its_page(client, personas, patient):
    login(client, personas["nurse"])
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'hx-get="/timeline/patients/{patient.pk}/card/" hx-trigger="load"' in chart
    assert f'href="/timeline/patients/{patient.pk}/"' in chart  # without JavaScript


def test_the_page_and_the_card_filter_by_kind(client, personas, patient, world):
    login(client, personas["nurse"])
    page = client.get(f"/timeline/patients/{patient.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html and "Back to the chart" in html
    assert html.count('class="timeline-entry"') > 10

    card = client.get(f"/timeline/patients/{patient.pk}/card/", {"kind": "procedure"})
    html = card.content.decode()
    assert "<html" not in html
    assert html.count('data-kind="procedure"') == 3
    assert html.count('class="timeline-entry"') == 3
    assert 'value="procedure" checked' in html and 'value="dose" checked' not in html

    both = client.get(f"/timeline/patients/{patient.pk}/", {"kind": ["procedure", "dose"]})
    html = both.content.decode()
    assert {"procedure", "dose"} == {
        kind for kind in ("procedure", "dose", "referral") if f'data-kind="{kind}"' in html
    }


def test_a_role_without_patients_gets_the_403_page(client, personas, patient):
    login(client, personas["qi_lead"])
    assert client.get(f"/timeline/patients/{patient.pk}/card/").status_code == 403


@pytest.mark.parametrize("role", ["nurse", "referrer", "scheduler", "attending"])
def test_every_entry_links_to_a_page_its_reader_may_open(client, personas, patient, world, role):
    login(client, personas[role])
    timeline = patient_timeline(actor=personas[role], patient_id=patient.pk)
    assert timeline.entries
    for url in sorted({e.url.split("#")[0] for e in timeline.entries}):
        assert client.get(url).status_code == 200, f"{role}: {url}"
