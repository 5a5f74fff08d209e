"""The co-signer's reason for returning a draft reaches the trainee: stored on the report,
shown on its page while the draft is returned, cleared when it is submitted again (the change
history keeps it)."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from irflow.lib.errors import ValidationFailed
from irflow.reports import services
from irflow.reports.models import Report
from irflow.reports.tests.conftest import drafted
from irflow.testing.fixtures import login, make_user

pytestmark = pytest.mark.django_db

REASON = "Name the filter product and give the IVC diameter."


def test_the_reason_is_stored_shown_to_the_trainee_and_cleared_on_resubmission(
    client, personas, record
):
    trainee, attending = personas["trainee"], personas["attending"]
    report = drafted(trainee, record)
    services.report_submit(actor=trainee, report_id=report.pk)

    login(client, attending)
    response = client.post(f"/reports/{report.pk}/return/", {"reason": f"  {REASON} "})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "draft" and report.is_returned
    assert report.return_reason == REASON
    assert report.returned_by == attending and report.returned_at is not None

    login(client, trainee)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Returned for changes" in page and REASON in page
    assert "make the changes, then submit the report again" in page

    services.report_update(actor=trainee, report_id=report.pk, fields={"filter_product": "Denali"})
    services.report_submit(actor=trainee, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "awaiting_cosign" and not report.is_returned
    assert (report.return_reason, report.returned_by, report.returned_at) == ("", None, None)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert REASON not in page and "Returned for changes" not in page

    history = [
        e.changes_dict["return_reason"]
        for e in LogEntry.objects.get_for_object(report)
        .filter(action=LogEntry.Action.UPDATE)
        .order_by("timestamp", "pk")
        if "return_reason" in e.changes_dict
    ]
    assert history == [["", REASON], [REASON, ""]]


def test_the_reason_is_in_the_api_answer(client, personas, record):
    trainee, attending = personas["trainee"], personas["attending"]
    report = drafted(trainee, record)
    services.report_submit(actor=trainee, report_id=report.pk)
    services.report_return(actor=attending, report_id=report.pk, reason=REASON)
    login(client, trainee)
    answer = client.get(f"/api/reports/{report.pk}").json()
    assert answer["return_reason"] == REASON
    assert answer["returned_by"] == str(attending) and answer["returned_at"]


def test_a_return_without_a_reason_is_refused(personas, record):
    trainee, attending = personas["trainee"], personas["attending"]
    report = drafted(trainee, record)
    services.report_submit(actor=trainee, report_id=report.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.report_return(actor=attending, report_id=report.pk, reason="  ")
    assert exc.value.errors == {"reason": [services.MSG_RETURN_REASON]}
    assert Report.objects.get(pk=report.pk).status == "awaiting_cosign"


def test_signing_a_returned_draft_clears_the_return(attending, record):
    report = drafted(attending, record)
    services.report_submit(actor=attending, report_id=report.pk)
    returned = services.report_return(
        actor=make_user("second", "physician"), report_id=report.pk, reason=REASON
    )
    assert returned.is_returned
    signed = services.report_sign(actor=attending, report_id=report.pk)
    assert signed.status == "final" and signed.return_reason == "" and not signed.is_returned
