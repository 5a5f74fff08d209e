"""Reports: drafted from the template, trainee drafts co-signed, signed reports immutable
through every entry point (service, UI, API, admin, model, queryset, raw SQL), addenda
recorded and signed, the outbound hook fires, and the PDF holds the signed content."""

from __future__ import annotations

import subprocess

import pytest
from django.db import DatabaseError, connection, transaction

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.services import api_token_create
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.readiness.services import department_update
from irflow.reports import outbound, pdf, services
from irflow.reports.models import MSG_FINAL_IMMUTABLE, Addendum, Report
from irflow.reports.outbound import report_outbound_task
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.django_db

IMPRESSION = "Retrievable infrarenal IVC filter placed without complication."


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def drafted(actor, record) -> Report:
    report = services.report_start(actor=actor, procedure_id=record.pk)
    return services.report_update(
        actor=actor,
        report_id=report.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal", "ivc_diameter_mm": "21"},
        sections={"impression": IMPRESSION},
    )


@pytest.fixture
def final(attending, record) -> Report:
    report = drafted(attending, record)
    return services.report_sign(actor=attending, report_id=report.pk)


def test_the_draft_follows_the_catalogue_template_and_the_record(attending, record):
    report = services.report_start(actor=attending, procedure_id=record.pk)
    keys = [f["key"] for f in report.template["fields"]]
    assert keys == ["filter_product", "retrievable", "filter_position", "ivc_diameter_mm"]
    assert report.sections["findings"] == "Patent infrarenal IVC, single renal veins at L1."
    with pytest.raises(ValidationFailed) as exc:
        services.report_update(
            actor=attending,
            report_id=report.pk,
            fields={"filter_position": "Iliac", "ivc_diameter_mm": "wide"},
        )
    assert (
        "“Iliac” is not one of: Infrarenal, Suprarenal, Other."
        in exc.value.errors["field_filter_position"]
    )
    assert exc.value.errors["field_ivc_diameter_mm"] == ["“wide” is not a number."]
    with pytest.raises(ValidationFailed) as exc:
        services.report_sign(actor=attending, report_id=report.pk)
    assert set(exc.value.errors) >= {
        "field_retrievable",
        "field_filter_position",
        "section_impression",
    }


def test_a_trainee_draft_is_submitted_then_co_signed(personas, record):
    trainee, attending = personas["trainee"], personas["attending"]
    report = drafted(trainee, record)
    with pytest.raises(Forbidden):
        services.report_sign(actor=trainee, report_id=report.pk)
    with pytest.raises(Conflict):  # a trainee's draft goes through co-signature
        services.report_sign(actor=attending, report_id=report.pk)
    services.report_submit(actor=trainee, report_id=report.pk)
    with pytest.raises(Conflict):
        services.report_update(actor=trainee, report_id=report.pk, sections={"plan": "x"})
    returned = services.report_return(
        actor=attending, report_id=report.pk, reason="Name the filter product."
    )
    assert returned.status == "draft"
    services.report_update(actor=trainee, report_id=report.pk, fields={"filter_product": "Denali"})
    services.report_submit(actor=trainee, report_id=report.pk)
    signed = services.report_cosign(actor=attending, report_id=report.pk)
    assert signed.status == "final" and signed.cosigned and signed.signed_by == attending
    assert signed.author == trainee and signed.content_sha256 == signed.content_digest()


def test_signed_report_cannot_change_through_the_service(attending, final):
    with pytest.raises(Conflict) as exc:
        services.report_update(actor=attending, report_id=final.pk, sections={"impression": "x"})
    assert exc.value.message == MSG_FINAL_IMMUTABLE
    for action in (services.report_sign, services.report_submit, services.report_cosign):
        with pytest.raises(Conflict):
            action(actor=attending, report_id=final.pk)


def test_signed_report_cannot_change_through_the_model_queryset_or_sql(final):
    report = Report.objects.get(pk=final.pk)
    report.sections = {**report.sections, "impression": "Rewritten."}
    with pytest.raises(Conflict):
        report.save()
    with pytest.raises(Conflict):
        Report.objects.filter(pk=final.pk).update(sections={})
    with pytest.raises(Conflict):
        report.delete()
    # Below the ORM: the database trigger refuses the UPDATE itself.
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE reports_report SET sections = %s WHERE id = %s",
            ['{"impression": "x"}', final.pk],
        )
    assert "signed report is final" in str(exc.value)
    assert Report.objects.get(pk=final.pk).sections["impression"] == IMPRESSION


def test_signed_report_cannot_change_through_the_api(client, attending, final):
    token = api_token_create(actor=SYSTEM, user_id=attending.pk, name="t")[1]
    headers = {"authorization": f"Bearer {token}"}
    response = client.patch(
        f"/api/reports/{final.pk}/content",
        data={"sections": {"impression": "Changed by API."}},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json() == {"detail": MSG_FINAL_IMMUTABLE, "code": "report_final"}
    again = client.post(f"/api/reports/{final.pk}/sign", headers=headers)
    assert again.status_code == 409
    assert Report.objects.get(pk=final.pk).sections["impression"] == IMPRESSION


def test_signed_report_cannot_change_through_the_ui(client, attending, final):
    login(client, attending)
    page = client.get(f"/reports/{final.pk}/").content.decode()
    assert 'name="section_impression"' not in page  # shown, not editable
    response = client.post(f"/reports/{final.pk}/save/", {"section_impression": "Changed by UI."})
    assert response.status_code == 409
    shown = response.content.decode()
    assert "A signed report is final and cannot be changed" in shown
    assert "Changed by UI." not in shown  # the signed text is what the page shows
    assert Report.objects.get(pk=final.pk).sections["impression"] == IMPRESSION


def test_signed_report_cannot_change_through_the_admin(client, final):
    boss = User.objects.create_superuser("boss", password="x" * 12, role="admin")
    login(client, boss)
    url = f"/admin/reports/report/{final.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # read-only view, no save button
    response = client.post(url, {"sections": "{}", "status": "draft", "_save": "Save"})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/reports/report/{final.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Report.objects.get(pk=final.pk).status == "final"


def test_an_addendum_is_recorded_signed_and_then_immutable(personas, final):
    trainee, attending = personas["trainee"], personas["attending"]
    addendum = services.addendum_create(
        actor=trainee, report_id=final.pk, text="Filter product: Denali, lot 42."
    )
    assert not addendum.is_signed
    with pytest.raises(Forbidden):
        services.addendum_sign(actor=trainee, addendum_id=addendum.pk)
    signed = services.addendum_sign(actor=attending, addendum_id=addendum.pk)
    assert signed.signed_by == attending and signed.signed_at is not None
    signed.text = "Rewritten."
    with pytest.raises(Conflict):
        signed.save()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE reports_addendum SET text = 'x' WHERE id = %s", [signed.pk])
    assert Addendum.objects.get(pk=signed.pk).text == "Filter product: Denali, lot 42."
    with pytest.raises(Conflict):
        services.addendum_sign(actor=attending, addendum_id=addendum.pk)


def test_signing_fires_the_outbound_hook(
    settings, attending, record, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    events: list[outbound.OutboundEvent] = []
    outbound.register_outbound("test-interface", events.append)
    try:
        report = drafted(attending, record)
        with django_capture_on_commit_callbacks(execute=True):
            services.report_sign(actor=attending, report_id=report.pk)
        assert events == [outbound.OutboundEvent(report_id=report.pk, event="signed")]
        with django_capture_on_commit_callbacks(execute=True):
            addendum = services.addendum_create(
                actor=attending, report_id=report.pk, text="Late finding.", sign=True
            )
        assert events[-1] == outbound.OutboundEvent(
            report_id=report.pk, event="addendum_signed", addendum_id=addendum.pk
        )
    finally:
        outbound.unregister_outbound("test-interface")


def test_signing_queues_the_outbound_task_in_the_database(
    attending, record, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    report = drafted(attending, record)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_sign(actor=attending, report_id=report.pk)
    queued = DBTaskResult.objects.get(task_path=report_outbound_task.module_path)
    assert queued.args_kwargs["kwargs"]["report_id"] == report.pk


def test_referrers_read_only_final_reports_of_their_own_patients(client, personas, record):
    from irflow.patients.models import CareRelation
    from irflow.reports.selectors import report_get

    referrer = personas["referrer"]
    report = drafted(personas["attending"], record)
    CareRelation.objects.create(patient=record.patient, clinician=referrer)
    with pytest.raises(Exception, match="No such report"):
        report_get(actor=referrer, report_id=report.pk)
    services.report_sign(actor=personas["attending"], report_id=report.pk)
    assert report_get(actor=referrer, report_id=report.pk).pk == report.pk
    CareRelation.objects.filter(clinician=referrer).delete()
    with pytest.raises(Exception, match="No such report"):
        report_get(actor=referrer, report_id=report.pk)


def test_the_pdf_holds_the_signed_content_and_the_signer(
    client, tmp_path, personas, attending, final
):
    pdftotext = require_tool("pdftotext", "poppler-utils")
    services.addendum_create(
        actor=attending, report_id=final.pk, text="Addendum: lot 42 confirmed.", sign=True
    )
    login(client, personas["nurse"])
    response = client.get(f"/reports/{final.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "IVC filter placement" in text
    assert IMPRESSION in " ".join(text.split())
    assert "Infrarenal" in text and "21 mm" in text
    assert "Electronically signed by Attending Test" in text
    assert "Addendum: lot 42 confirmed." in text
    assert final.content_sha256 in text.replace("\n", "")
    assert "DRAFT" not in text


def test_a_draft_pdf_says_draft(attending, record):
    report = drafted(attending, record)
    html = pdf.report_html(report)
    assert "DRAFT — not signed" in html and "Electronically signed" not in html


def test_the_report_prints_the_departments_letterhead(personas, record):
    department_update(
        actor=personas["admin"],
        letterhead={
            "hospital_name": "St Elsewhere",
            "department_name": "Interventional Radiology",
            "department_phone": "0100 200 300",
        },
    )
    html = pdf.report_html(drafted(personas["attending"], record))
    assert "St Elsewhere · Interventional Radiology" in html and "Phone 0100 200 300" in html


def test_the_report_pages_answer_404_for_a_missing_report_and_403_for_a_role_that_may_not(
    client, personas, record
):
    attending = personas["attending"]
    report = drafted(attending, record)
    base = f"/reports/{report.pk}"
    login(client, attending)
    missing = f"/reports/{report.pk + 1000}"
    for path in ("save/", "sign/", "return/", "addenda/"):
        assert client.post(f"{missing}/{path}", {"reason": "x", "text": "x"}).status_code == 404

    nurse, trainee = personas["nurse"], personas["trainee"]
    login(client, nurse)  # may read reports, not write them
    assert client.post(f"{base}/save/", {"section_impression": "Nurse."}).status_code == 403
    assert client.post(f"{base}/addenda/", {"text": "Nurse."}).status_code == 403
    login(client, trainee)  # may draft, not sign or send a draft back
    assert client.post(f"{base}/sign/").status_code == 403
    assert client.post(f"{base}/return/", {"reason": "Redo."}).status_code == 403
    report.refresh_from_db()
    assert report.status == "draft" and report.sections["impression"] == IMPRESSION


def test_signed_report_and_signed_addendum_cannot_be_deleted_in_sql(attending, final):
    addendum = services.addendum_create(
        actor=attending, report_id=final.pk, text="Late finding.", sign=True
    )
    refusals = [
        ("DELETE FROM reports_addendum WHERE id = %s", addendum.pk, "signed addendum"),
        ("DELETE FROM reports_report WHERE id = %s", final.pk, "signed report"),
    ]
    for sql, pk, words in refusals:
        with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [pk])
        assert f"{words} is never deleted" in str(exc.value)
    assert Report.objects.filter(pk=final.pk, status="final").exists()
    assert Addendum.objects.filter(pk=addendum.pk).exists()
