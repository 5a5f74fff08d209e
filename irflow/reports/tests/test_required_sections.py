"""Submitting, signing and co-signing need what the template marks required, the impression
whatever the template says; every missing item is named at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.lib.errors import ValidationFailed
from irflow.outcomes.services import adverse_event_record
from irflow.reports import services, structure
from irflow.reports.drafting import MSG_COMPLICATIONS_SAY_NONE
from irflow.reports.models import Report
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login
from irflow.testing.outcomes import ae_facts

pytestmark = pytest.mark.django_db

IMPRESSION_MISSING = structure.MSG_SECTION_REQUIRED.format(label="impression")
PLAN_MISSING = structure.MSG_SECTION_REQUIRED.format(label="plan")


def test_the_generic_template_requires_impression_and_plan(personas, patient, angio_room):
    trainee, attending = personas["trainee"], personas["attending"]
    record = completed(
        attending, booked(attending, patient, angio_room, code="PICC", start=past_weekday_at(9))
    )
    report = services.report_start(actor=trainee, procedure_id=record.pk)
    assert {s["key"] for s in report.template["sections"] if s["required"]} == {
        "impression",
        "plan",
    }
    with pytest.raises(ValidationFailed) as exc:
        services.report_submit(actor=trainee, report_id=report.pk)
    assert exc.value.errors == {
        "section_impression": [IMPRESSION_MISSING],
        "section_plan": [PLAN_MISSING],
    }
    services.report_update(
        actor=trainee,
        report_id=report.pk,
        sections={"impression": "PICC tip at the cavoatrial junction.", "plan": "Use today."},
    )
    assert services.report_submit(actor=trainee, report_id=report.pk).status == "awaiting_cosign"


def test_every_missing_item_is_named_at_once(attending, record):
    report = services.report_start(actor=attending, procedure_id=record.pk)
    adverse_event_record(
        actor=attending,
        procedure_id=record.pk,
        onset_at=record.out_at + timedelta(minutes=10),
        detection="recovery",
        description="Vasovagal episode",
        sir_grade="mild",
        attribution="procedure",
        outcome="resolved",
        **ae_facts(),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.report_sign(actor=attending, report_id=report.pk)
    assert exc.value.errors == {
        "field_retrievable": ["Retrievable filter is required before signing."],
        "field_filter_position": ["Filter apex position is required before signing."],
        "section_impression": [IMPRESSION_MISSING],
        "section_complications": [MSG_COMPLICATIONS_SAY_NONE],
    }


def test_the_impression_is_required_even_when_the_template_forgets_it():
    template = {
        "sections": [
            {"key": "findings", "label": "Findings"},
            {"key": "impression", "label": "Impression", "required": False},
        ]
    }
    spec = structure.normalised(template)
    assert [s["required"] for s in spec["sections"]] == [False, True]
    missing = structure.missing_for_signature(template, {}, {"findings": "Patent IVC."})
    assert missing == {"section_impression": IMPRESSION_MISSING}


def test_the_page_shows_every_missing_item(client, attending, record):
    report = services.report_start(actor=attending, procedure_id=record.pk)
    login(client, attending)
    response = client.post(
        f"/reports/{report.pk}/sign/",
        {"field_retrievable": "yes", "section_impression": "  "},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert IMPRESSION_MISSING in page
    assert "Filter apex position is required before signing." in page
    assert Report.objects.get(pk=report.pk).status == "draft"
