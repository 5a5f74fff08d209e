"""No work is ever lost: a session that ends mid-edit (the session row deleted on the server,
as an idle timeout or a restart would) neither loses what was typed nor draws the sign-in
page inside the department board."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from irflow.recovery.models import PainScore, RecoveryEpisode
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 800, "height": 1280}


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def _script_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _session_ends() -> None:
    Session.objects.all().delete()


def _observations(record) -> str:
    return RecoveryEpisode.objects.get(record=record).observations


def test_notes_typed_across_the_end_of_the_session_are_all_saved(page, site, record):
    errors = _script_errors(page)
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    state = page.locator("#recovery-notes .save-state")
    notes = page.get_by_label("Observations summary")
    notes.click()
    notes.press_sequentially("BP 128/76, HR 72")
    expect(state).to_contain_text(re.compile(r"Saved \d\d:\d\d"))  # saved while typing
    assert _observations(record) == "BP 128/76, HR 72"
    screenshot(page, "autosave-saved")

    _session_ends()
    notes.press_sequentially(", groin soft and dry")
    dialog = page.get_by_role("dialog", name="Sign in to carry on")
    expect(dialog).to_be_visible()
    expect(state).to_contain_text("Not saved — signed out")
    expect(dialog.get_by_label("Username")).to_have_value("attending")
    expect(dialog.get_by_label("Password")).to_be_focused()
    screenshot(page, "signin-dialog")

    # Not now: the dialog goes, the text stays, typing carries on; autosaves wait quietly.
    dialog.get_by_role("button", name="Not now").click()
    expect(dialog).to_be_hidden()
    notes.press_sequentially(", mobilised")
    page.wait_for_timeout(2500)  # the autosave's delay
    expect(dialog).to_be_hidden()
    expect(state).to_contain_text("Not saved — signed out")
    screenshot(page, "autosave-signed-out")
    state.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Password").fill("not the password")
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_contain_text("That username and password do not match")
    screenshot(page, "signin-dialog-wrong-password")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden()
    expect(state).to_contain_text("Saved")
    assert _observations(record) == "BP 128/76, HR 72, groin soft and dry, mobilised"
    # Signed in again for good (with the new CSRF token): the next change saves as before.
    notes.press_sequentially(".")
    expect(notes).to_have_value(re.compile(r"mobilised\.$"))
    page.wait_for_timeout(2500)  # the autosave's delay
    expect(state).to_contain_text("Saved")
    assert _observations(record).endswith("mobilised.")
    assert errors == []


def test_another_user_signing_in_does_not_send_the_first_users_work(page, site, record, nurse):
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    notes = page.get_by_label("Observations summary")
    notes.fill("Typed by the attending")
    _session_ends()
    page.keyboard.press("Tab")
    dialog = page.get_by_role("dialog", name="Sign in to carry on")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Username").fill("nurse")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_contain_text("You are now signed in as Nurse Test")
    expect(dialog).to_contain_text("was not sent")
    expect(dialog.get_by_role("link", name="Open the start page")).to_be_focused()
    page.wait_for_timeout(500)
    assert _observations(record) == ""


def test_a_new_token_from_another_tab_is_picked_up_without_asking(page, site, record):
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    # Another tab signs out and in again: a new session, a new CSRF token.
    other = page.context.new_page()
    other.goto(f"{site}/")
    other.get_by_role("button", name="Sign out").click()
    other.get_by_label("Username").fill("attending")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", level=1)).to_contain_text("Good")
    other.close()

    with page.expect_response(lambda r: r.url.endswith("/notes/")) as refused:
        page.get_by_label("Observations summary").fill("Taken over from the day team")
        page.keyboard.press("Tab")
    assert refused.value.status == 403
    expect(page.locator("#recovery-notes .save-state")).to_contain_text("Saved")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert _observations(record) == "Taken over from the day team"


def test_autosave_without_a_network_says_not_saved_and_retries(page, site, record):
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    state = page.locator("#recovery-notes .save-state")
    page.route("**/notes/", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("Discharge instructions (printed for the patient)").fill("Rest for 24 h.")
    page.keyboard.press("Tab")
    expect(state).to_contain_text("Not saved")
    retry = state.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    screenshot(page, "autosave-not-saved-retry")
    page.unroute("**/notes/")
    retry.click()
    expect(state).to_contain_text("Saved")
    assert RecoveryEpisode.objects.get(record=record).discharge_instructions == "Rest for 24 h."


def test_a_form_posted_after_the_session_ended_waits_for_the_sign_in(page, site, record):
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    page.get_by_label("Pain score (NRS 0–10)").fill("4")
    page.locator("#id_pain-note").fill("After walking to the toilet")
    _session_ends()
    page.get_by_role("button", name="Record pain score").click()
    dialog = page.get_by_role("dialog", name="Sign in to carry on")
    expect(dialog).to_be_visible()
    assert page.url == f"{site}/recovery/{record.pk}/"
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Pain score 4 recorded.")).to_be_visible()
    score = PainScore.objects.get()
    assert (score.score, score.note) == (4, "After walking to the toilet")


def test_the_dialog_is_legible_on_a_tablet(browser, site, record):
    context = browser.new_context(viewport=TABLET, locale="en-GB", has_touch=True)
    page = context.new_page()
    sign_in(page, site, "attending")
    page.goto(f"{site}/recovery/{record.pk}/")
    page.get_by_label("Observations summary").fill("Stable")
    _session_ends()
    page.keyboard.press("Tab")
    dialog = page.get_by_role("dialog", name="Sign in to carry on")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["width"] <= TABLET["width"] and box["x"] >= 0
    screenshot(page, "signin-dialog-tablet")
    context.close()


def test_the_board_pauses_when_signed_out_and_resumes_after_sign_in(
    page, site, attending, patient, angio_room
):
    errors = _script_errors(page)
    sign_in(page, site, "attending")
    page.goto(f"{site}/scheduling/today/")
    board = page.locator("#board")
    expect(board).to_contain_text("Angio suite 1")
    refreshes: list[int] = []
    page.on(
        "response",
        lambda r: refreshes.append(r.status) if r.url.endswith("/scheduling/today/") else None,
    )

    _session_ends()
    notice = board.locator(".paused-notice")
    expect(notice).to_contain_text("Signed out — sign in to resume updates", timeout=15_000)
    assert refreshes == [401]
    # The board is as it was: no sign-in page drawn inside it, no dialog over the wall screen.
    expect(board).to_contain_text("Angio suite 1")
    expect(board.locator("input[type=password]")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_be_hidden()
    screenshot(page, "board-paused")
    page.wait_for_timeout(11_000)
    assert refreshes == [401], "a paused board must not keep polling"

    notice.get_by_role("button", name="Sign in").click()
    dialog = page.get_by_role("dialog", name="Sign in to carry on")
    dialog.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/scheduling/today/")) as refreshed:
        dialog.get_by_role("button", name="Sign in").click()
    assert refreshed.value.status == 200
    expect(notice).to_have_count(0)
    expect(board).to_contain_text("Angio suite 1")
    # Polling carries on by itself.
    expect(page.locator("#board .updated")).not_to_have_text(
        page.locator("#board .updated").inner_text(), timeout=15_000
    )
    assert errors == []
