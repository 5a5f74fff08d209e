"""A real browser: the administrator adds a modality that may query the worklist and send
dose reports but not report procedure steps; the list says what it may use."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.dicomserver.models import RemoteAE
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_user_administration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_administrator_adds_a_modality_limited_to_some_services(page, site, personas):
    sign_in(page, site, "admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")
    page.goto(site + "/administration/modalities/new/")
    form = page.locator("main")
    form.get_by_label("AE title").fill("ANGIO1")
    form.get_by_label("Host").fill("10.0.0.7")
    expect(form.get_by_label("May query the worklist")).to_be_checked()
    form.get_by_label("May report procedure steps (MPPS)").uncheck()
    screenshot(page, "admin-modality-new")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modalities (remote DICOM AEs)")
    row = page.get_by_role("row", name="ANGIO1")
    expect(row).to_contain_text("worklist, dose reports")
    expect(row).to_contain_text("10.0.0.7")
    screenshot(page, "admin-modalities")
    remote = RemoteAE.objects.get(ae_title="ANGIO1")
    assert remote.refused_services() == {"mpps"}
