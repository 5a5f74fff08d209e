"""Devices in situ: an IVC filter with a 90-day retrieval target is overdue on day 91 (the
day is passed in — no clock, no waiting), shows on the board and the chart, and stops showing
once its removal is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.devices import selectors, services
from irflow.devices.models import DeviceInSitu
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login, page_with_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivc_filter(attending, patient, angio_room) -> DeviceInSitu:
    record = completed(
        attending, booked(attending, patient, angio_room, start=past_weekday_at(9, days_back=3))
    )
    return DeviceInSitu.objects.get(placed_by_procedure=record)


def overdue_ids(actor, on):
    return [line.device.pk for line in selectors.devices_overdue(actor=actor, on=on)]


def test_ivc_filter_is_overdue_on_day_91_not_before(attending, ivc_filter):
    placed = ivc_filter.placed_on
    assert ivc_filter.due_on == placed + timedelta(days=90)
    assert overdue_ids(attending, placed + timedelta(days=89)) == []
    assert overdue_ids(attending, placed + timedelta(days=90)) == []  # due today, not late
    assert overdue_ids(attending, placed + timedelta(days=91)) == [ivc_filter.pk]
    (line,) = selectors.devices_overdue(actor=attending, on=placed + timedelta(days=100))
    assert line.overdue and line.days_overdue == 10


def test_recording_the_removal_closes_the_loop(attending, nurse, ivc_filter):
    day_91 = ivc_filter.placed_on + timedelta(days=91)
    services.device_remove(
        actor=nurse,
        device_id=ivc_filter.pk,
        removed_on=day_91,
        reason="elsewhere",
        note="Retrieved at the referring hospital",
        today=day_91,
    )
    assert overdue_ids(attending, day_91) == []
    assert overdue_ids(attending, day_91 + timedelta(days=365)) == []
    (line,) = selectors.devices_for_patient(
        actor=attending, patient_id=ivc_filter.patient_id, on=day_91
    )
    assert line.device.status == "removed" and not line.overdue


def test_removal_is_checked_and_permission_bound(personas, ivc_filter):
    with pytest.raises(ValidationFailed) as exc:
        services.device_remove(
            actor=personas["nurse"],
            device_id=ivc_filter.pk,
            removed_on=ivc_filter.placed_on - timedelta(days=1),
            reason="elsewhere",
        )
    assert "cannot be before the placement" in exc.value.errors["removed_on"][0]
    with pytest.raises(Forbidden):
        services.device_remove(
            actor=personas["scheduler"],
            device_id=ivc_filter.pk,
            removed_on=ivc_filter.placed_on,
            reason="elsewhere",
        )


def test_overdue_filter_shows_on_board_and_chart_until_removed(client, attending, ivc_filter):
    """The pages read today's date; the device is placed 91 days before it to be overdue."""
    DeviceInSitu.objects.filter(pk=ivc_filter.pk).update(
        placed_on=ivc_filter.placed_on - timedelta(days=91),
        due_on=ivc_filter.placed_on - timedelta(days=1),
    )
    login(client, attending)
    board = client.get("/scheduling/today/").content.decode()
    assert "Device overdue for removal or exchange" in board and "IVC filter" in board
    chart = page_with_parts(client, f"/patients/{ivc_filter.patient_id}/")
    assert "Overdue by" in chart
    client.post(
        f"/devices/{ivc_filter.pk}/remove/",
        {"removed_on": ivc_filter.placed_on.isoformat(), "reason": "elsewhere"},
    )
    board = client.get("/scheduling/today/").content.decode()
    assert "overdue for removal" not in board
    chart = page_with_parts(client, f"/patients/{ivc_filter.patient_id}/")
    assert "Overdue by" not in chart and "Removed" in chart


def test_the_overdue_api_takes_the_day(client, attending, ivc_filter):
    from irflow.accounts.services import api_token_create

    token = api_token_create(actor=SYSTEM, user_id=attending.pk, name="t")[1]
    headers = {"authorization": f"Bearer {token}"}
    day_90 = (ivc_filter.placed_on + timedelta(days=90)).isoformat()
    day_91 = (ivc_filter.placed_on + timedelta(days=91)).isoformat()
    assert client.get(f"/api/devices/overdue?on={day_90}", headers=headers).json() == []
    (line,) = client.get(f"/api/devices/overdue?on={day_91}", headers=headers).json()
    assert line["device"]["kind"] == "ivc_filter" and line["days_overdue"] == 1


def test_a_refused_removal_keeps_what_was_typed_and_says_every_reason(client, nurse, ivc_filter):
    login(client, nurse)
    before = (ivc_filter.placed_on - timedelta(days=1)).isoformat()
    response = client.post(
        f"/devices/{ivc_filter.pk}/remove/",
        {
            "removed_on": before,
            "reason": "",
            "note": "Retrieved in Leeds",
            "next": f"/patients/{ivc_filter.patient_id}/",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'value="{before}"' in html and 'value="Retrieved in Leeds"' in html
    assert services.MSG_REASON in html
    assert "cannot be before the placement" in html
    assert '<details class="add" open>' in html
    assert 'name="next" value="/devices/"' in html  # not the removal's own address
    # A date that is no date is said, not taken for today.
    unreadable = client.post(
        f"/devices/{ivc_filter.pk}/remove/", {"removed_on": "31/02", "reason": "elsewhere"}
    )
    assert unreadable.status_code == 422
    assert services.MSG_REMOVED_ON in unreadable.content.decode()
    ivc_filter.refresh_from_db()
    assert ivc_filter.status == "in_situ"
