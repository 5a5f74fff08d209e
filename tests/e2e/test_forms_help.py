"""A refused form helps in a real browser: every message at once (beside its field and in a
summary whose links move the focus there), the focus on the first field to correct, help
read with its input, what was typed kept, and the chosen file kept on the server so that it
need not be chosen again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.referrals.models import Referral
from irflow.referrals.services import MSG_PROCEDURE_REQUIRED
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_refused_referral_shows_every_message_keeps_the_file_and_focuses_the_first_field(
    page, site, personas
):
    sign_in(page, site, "referrer")
    page.goto(site + "/referrals/new/")
    expect(page.get_by_label("Requested procedure")).to_be_visible()
    expect(page.locator('label[for="id_procedure_code"]')).to_contain_text(
        "(required, or describe it)"
    )
    page.get_by_label("MRN").fill("P0000077")
    page.get_by_label("Family name").fill("Haddad")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Send referral").click()

    summary = page.get_by_role("alert").filter(has_text="things to correct")
    expect(summary).to_be_visible()
    links = summary.get_by_role("link")
    expect(links.first).to_have_text("Date of birth: This field is required.")  # page order
    for text in (
        "Date of birth: This field is required.",
        "Given name: This field is required.",
        "Clinical question: This field is required.",
        f"Requested procedure: {MSG_PROCEDURE_REQUIRED}",
        "Urgency: This field is required.",
    ):
        expect(summary.get_by_role("link", name=text)).to_be_visible()
    # The first field to correct has the focus; what was typed and the file are kept.
    assert focused_id(page) == "id_birth_date"
    expect(page.get_by_label("MRN")).to_have_value("P0000077")
    expect(page.get_by_label("Family name")).to_have_value("Haddad")
    expect(page.get_by_text("Kept: letter.pdf")).to_be_visible()
    # Help and messages are read with their input.
    question = page.get_by_label("Clinical question")
    expect(question).to_have_attribute("aria-invalid", "true")
    expect(question).to_have_accessible_description(
        "What should IR answer or do? This field is required."
    )
    screenshot(page, "referral-refused-with-summary")

    summary.get_by_role("link", name="Clinical question: This field is required.").click()
    assert focused_id(page) == "id_clinical_question"

    page.get_by_label("Date of birth").fill("1958-07-21")
    page.get_by_label("Given name").fill("Rana")
    page.get_by_label("Sex").select_option("F")
    question.fill("Drain the hepatic abscess?")
    page.get_by_label("Requested procedure").select_option("PARA")
    page.get_by_label("Routine").check()
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text("Referral sent.")).to_be_visible()
    referral = Referral.objects.get()
    assert [a.original_name for a in referral.attachments.all()] == ["letter.pdf"]
    assert [m for m in page.console_errors if "422" not in m] == []  # only the refusal
