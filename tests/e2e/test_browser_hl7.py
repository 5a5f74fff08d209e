"""A real browser: an administrator opens the HL7 interface page with a few messages, a
message's raw text, the outboxes with a stuck message, adds a destination and maps a code
the hospital sent that no mapping covered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.hl7.parse import HL7Error
from irflow.hl7server.models import CodeMapping, Destination, Inbound, Outbound
from irflow.hl7server.tests.test_pages import ORM, adt, received, sent
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_user_administration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_administrator_reads_the_interface_page_and_configures_it(page, site, personas, patient):
    adt("PAS0001", mrn="T0000001", family="MULLER", given="JORG", patient=patient)
    adt("PAS0002", mrn="T0000002", family="JONES", given="ANN", status=Inbound.IGNORED)
    failed = adt(
        "PAS0003",
        mrn="T0000003",
        status=Inbound.ERROR,
        error=HL7Error("The date of birth “19561341” is not a date.", location="PID-7"),
    )
    received(
        ORM.format(
            cid="EPIC77", mrn="T0000001", code="73610", text="X-RAY ANKLE 3+ VW", system="L"
        ),
        patient=patient,
        outcome="Referral created in triage: the code 73610 is not mapped.",
    )
    ehr = Destination.objects.create(name="Hospital EHR", host="10.0.0.9", port=6661)
    sent(ehr, "IRF000001", status=Outbound.SENT, attempts=1, patient=patient)
    sent(ehr, "IRF000002", status=Outbound.STUCK, attempts=12, last_error="Connection refused")

    sign_in(page, site, "admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="HL7").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("HL7 interface")
    expect(page.get_by_role("row", name="PAS0003")).to_contain_text("Error (AE)")
    screenshot(page, "hl7-received")

    page.locator(f'a[href="/hl7/received/{failed.pk}/"]').click()
    expect(page.get_by_role("heading", name="The message, one segment a line")).to_be_visible()
    expect(page.locator("pre.hl7-raw").first).to_contain_text("PID|1||T0000003^^^RVH^MR")
    expect(page.get_by_role("button", name="Re-process")).to_be_visible()
    screenshot(page, "hl7-message")

    page.get_by_role("link", name="Sent").click()
    expect(page.get_by_role("row", name="IRF000002")).to_contain_text("Stuck after 12 tries")
    screenshot(page, "hl7-sent")
    page.get_by_role("row", name="IRF000002").get_by_role("link").click()
    expect(page.get_by_role("button", name="Try now")).to_be_visible()
    expect(page.get_by_text("Stuck:")).to_be_visible()
    screenshot(page, "hl7-sent-message")

    page.get_by_role("link", name="Destinations").click()
    page.get_by_role("link", name="Add a destination").click()
    form = page.locator("main")
    form.get_by_label("Name", exact=True).fill("Interface engine")
    form.get_by_label("Host", exact=True).fill("10.0.0.10")
    form.get_by_label("Port", exact=True).fill("6662")
    form.get_by_label("Receiving application (MSH-5)").fill("RHAPSODY")
    form.get_by_label("Schedules: SIU S12/S13/S15 on book, reschedule, cancel").check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name="Interface engine")).to_contain_text("10.0.0.10:6662")
    screenshot(page, "hl7-destinations")

    page.get_by_role("link", name="Code mappings").click()
    expect(
        page.get_by_role("heading", name="Codes received that no mapping covers")
    ).to_be_visible()
    screenshot(page, "hl7-mappings-unmapped")
    page.get_by_role("link", name="Map 73610").click()
    form = page.locator("main")
    expect(form.get_by_label("Code (OBR-4.1)")).to_have_value("73610")
    form.get_by_label("Procedure of the catalogue").select_option(index=1)
    form.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("None: every procedure code received lately is mapped.")
    ).to_be_visible()
    screenshot(page, "hl7-mappings")
    assert CodeMapping.objects.get(code="73610").sending_application == "EPIC"
    assert page.console_errors == []
