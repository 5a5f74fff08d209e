"""No lost updates on a report draft: GET gives the version as an ETag, a PATCH with a stale
If-Match is refused with 412 and writes nothing, and a PATCH replaces only what it names."""

from __future__ import annotations

import json

import pytest

from irflow.reports.tests.conftest import drafted

pytestmark = pytest.mark.django_db


def patch(client, url, body, **headers):
    return client.patch(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_draft_etag_and_stale_if_match(api_client, attending, record):
    report = drafted(attending, record)
    url = f"/api/reports/{report.pk}"
    opened = api_client.get(url)
    assert opened.status_code == 200
    tag = opened["ETag"]
    assert tag == f'"{report.version}"' and opened.json()["version"] == report.version
    first = patch(
        api_client, f"{url}/content", {"sections": {"impression": "First."}}, **{"If-Match": tag}
    )
    assert first.status_code == 200, first.content
    assert first["ETag"] == f'"{report.version + 1}"'
    stale = patch(
        api_client, f"{url}/content", {"sections": {"impression": "Stale."}}, **{"If-Match": tag}
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == report.version + 1
    report.refresh_from_db()
    assert report.sections["impression"] == "First."
    # Without If-Match, only the named section is replaced.
    other = patch(api_client, f"{url}/content", {"fields": {"filter_position": "Suprarenal"}})
    assert other.status_code == 200
    report.refresh_from_db()
    assert report.sections["impression"] == "First."
    assert report.fields["filter_position"] == "Suprarenal"
