"""A real browser: the administrator creates a nurse with a temporary password; the nurse
signs in, is sent to choose her own, a weak one is refused beside the field, a good one lets
her in. The administrator's API tokens page: a token shown once, then revoked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.accounts.models import ApiToken, User
from irflow.testing.fixtures import PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "pale kettle drums at dawn"
TOO_SHORT = "This password is too short. It must contain at least 12 characters."


def sign_in(page, site: str, username: str, password: str = PASSWORD) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_nurse_chooses_her_own_password_at_first_sign_in(page, site, personas):
    sign_in(page, site, "admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    screenshot(page, "admin-users")

    page.get_by_role("link", name="New user").click()
    form = page.locator("main")  # not the (hidden) sign-in dialog's fields
    form.get_by_label("Username").fill("gmensah")
    form.get_by_label("First name").fill("Grace")
    form.get_by_label("Last name").fill("Mensah")
    form.get_by_label("Role").select_option(label="IR nurse")
    expect(form.get_by_label("Must change the password at first sign-in")).to_be_checked()
    screenshot(page, "admin-user-new")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Mensah is created")
    temporary = page.locator("#temporary-password").inner_text()
    screenshot(page, "admin-user-created")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Mensah")
    expect(page.get_by_text("Must change password").first).to_be_visible()
    screenshot(page, "admin-user")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, "gmensah", temporary)
    expect(page).to_have_url(f"{site}/accounts/password/?next=%2F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    # Nothing else opens until it is done.
    page.goto(site + "/patients/")
    expect(page).to_have_url(f"{site}/accounts/password/?next=%2Fpatients%2F")
    page.go_back()
    expect(page).to_have_url(f"{site}/accounts/password/?next=%2F")

    form = page.locator("main")
    form.get_by_label("Current password").fill(temporary)
    form.get_by_label("New password", exact=True).fill("admin12345")
    form.get_by_label("New password again").fill("admin12345")
    page.get_by_role("button", name="Change password").click()
    error = page.locator("#id_new_password_error")
    expect(error).to_have_text(TOO_SHORT)
    # Beside its field, in the same block.
    field = page.locator(".field", has=page.locator("#id_new_password"))
    expect(field.locator(".error")).to_have_count(1)
    screenshot(page, "password-change-refused")

    form.get_by_label("Current password").fill(temporary)
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    nurse = User.objects.get(username="gmensah")
    assert nurse.role == "nurse" and not nurse.must_change_password
    assert nurse.check_password(NEW_PASSWORD)
    # The refused form answered 422, which chromium logs; nothing else went wrong.
    assert [m for m in page.console_errors if "status of 422" not in m] == []


def test_an_api_token_is_shown_once_then_revoked(page, site, personas):
    sign_in(page, site, "admin")
    page.goto(site + "/administration/tokens/")
    page.get_by_role("link", name="New API token").click()
    page.get_by_label("Acts as user").select_option(label="Integration Test")
    page.get_by_label("What it is for").fill("HL7 engine")
    page.get_by_label("Scope").select_option(label="Read only")
    screenshot(page, "admin-token-new")
    page.get_by_role("button", name="Create token").click()
    plain = page.locator("#api-token").inner_text()
    assert plain.startswith("irf_")
    screenshot(page, "admin-token-created")
    page.get_by_role("link", name="Done").click()
    expect(page.locator("td").get_by_text("Working")).to_be_visible()
    assert plain not in page.content()
    screenshot(page, "admin-tokens")
    page.get_by_role("button", name="Revoke HL7 engine").click()
    expect(page.get_by_text("Token “HL7 engine” revoked: it no longer works.")).to_be_visible()
    assert ApiToken.objects.get(name="HL7 engine").revoked_at is not None
    assert page.console_errors == []
