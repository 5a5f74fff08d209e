"""In a real browser: files too large to send in one request bring a calm page that names the
limit and says that nothing was saved; a name typed with a line break is refused beside its
field, and invisible characters never reach the chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.lib.text import MSG_LINE_BREAK
from irflow.patients.models import Patient
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_too_many_megabytes_at_once_bring_a_page_naming_the_limit(page, site, personas, settings):
    settings.IRFLOW_MAX_UPLOAD_BYTES = 40_000
    sign_in(page, site, "referrer")
    page.goto(site + "/referrals/new/")
    page.get_by_label("Attachments").set_input_files(
        files=[
            {
                "name": f"letter{i}.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-" + b"0" * 15_000,
            }
            for i in range(3)
        ]
    )
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too large to send at once")
    expect(page.get_by_text("more than the 39.1 KB one request may carry")).to_be_visible()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    screenshot(page, "request-too-large")


def test_a_name_with_a_line_break_is_refused_beside_its_field(page, site, personas):
    sign_in(page, site, "nurse")
    page.goto(site + "/patients/new/")
    page.get_by_label("MRN").fill("B0000001")
    page.get_by_label("Family name").fill("Bidi")
    page.get_by_label("Given name").fill("\u202eAnna\u202c")
    page.get_by_label("Date of birth").fill("1970-01-02")
    page.get_by_label("Sex").select_option("F")
    # A text input drops line breaks from its value; a script, or a client other than a
    # browser, sends them all the same (a hidden input keeps them).
    page.get_by_label("Family name").evaluate("el => { el.type = 'hidden'; el.value = 'Bi\\ndi'; }")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(MSG_LINE_BREAK).first).to_be_visible()
    expect(page.get_by_label("Given name")).to_have_value("Anna")  # as it will be kept
    screenshot(page, "name-line-break-refused")
    page.get_by_label("Family name").fill("Bidi")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chart")
    expect(page.get_by_text("Registered")).to_be_visible()
    assert Patient.objects.get(family_name="Bidi").given_name == "Anna"
