"""axe-core, the accessibility engine, over the main pages of every role: each page the role
reaches from the navigation, a chart and its timeline, a booking, the slot finder, a procedure
record, a report, one's own password, the administration's screens and a refused form. No
serious or critical violation may stand; each one found is named in the failure (rule,
element, what to do). A page with a known fault shows that the check can fail.

axe-core comes inside the axe-playwright-python wheel (nothing of it is committed here); it
is injected through the DevTools protocol, so the strict CSP of the pages does not stop it.
One browser context per role, one page reused for all of that role's pages."""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from irflow.accounts.permissions import can
from irflow.catalogue.models import ProcedureType
from irflow.referrals.services import referral_create, referral_patient_confirm
from irflow.testing.cases import procedure_world
from irflow.testing.fixtures import PASSWORD, PERSONAS, make_order
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")
AXE = Axe()
# Roles that work through the browser (the integration role is an API client).
WEB_ROLES = [name for name in PERSONAS if name != "integration"]


def blocking(page) -> list[str]:
    """The serious and critical violations axe finds on the page, one line per element."""
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    lines = []
    for v in results.response["violations"]:
        if v["impact"] not in BLOCKING:
            continue
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{v['id']} ({v['impact']}) at {target}: {v['help']} — {v['helpUrl']}")
    return lines


# The page's own scripts that mean it is still changing: htmx sending, swapping or settling.
HTMX_BUSY = "() => !!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def open_requests(page) -> set:
    """The requests the page has sent and not yet had an answer to, kept up to date."""
    waiting: set = set()
    page.on("request", lambda request: waiting.add(request))
    page.on("requestfinished", lambda request: waiting.discard(request))
    page.on("requestfailed", lambda request: waiting.discard(request))
    return waiting


def settled(page, waiting: set, *, within: float = 15) -> None:
    """Until every request the page sent has its answer and htmx has put what came in place
    (the parts a page loads after it, the charts' data): what Playwright's "networkidle"
    waits for, without its fixed half second of quiet after each page."""
    deadline = time.monotonic() + within
    while waiting or page.evaluate(HTMX_BUSY):
        assert time.monotonic() < deadline, f"{page.url} still busy: {sorted(map(str, waiting))}"
        page.wait_for_timeout(20)


def sign_in(browser, site: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.open_requests = open_requests(page)
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return context, page


ADMIN_SCREENS = [
    "admin-hub",
    "admin-rooms",
    "admin-room-new",
    "admin-procedures",
    "admin-procedure-new",
    "admin-department",
    "admin-remote-aes",
    "admin-remote-ae-new",
    "admin-users",
    "admin-user-new",
    "admin-tokens",
    "admin-token-new",
]


def pages_for(page, user, world: dict) -> list[str]:
    """Home, every entry of the navigation bar as drawn for the user, their account, and the
    record pages and dose charts the user may open."""
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    urls = ["/", *(nav.nth(i).get_attribute("href") or "" for i in range(nav.count()))]
    urls += [reverse("account"), reverse("password-change")]
    if can(user, "dose.view"):
        urls.append(reverse("dose-dashboard"))  # the plotly charts
    if can(user, "quality.view"):
        urls.append(reverse("quality-timeliness"))  # a tab of the quality pages
    if can(user, "referral.view"):
        urls.append(reverse("referral-detail", args=[world["referral_id"]]))
    if can(user, "patient.view"):
        urls.append(reverse("patient-chart", args=[world["patient_id"]]))
        urls.append(reverse("patient-timeline", args=[world["patient_id"]]))
    if can(user, "booking.manage"):
        urls.append(reverse("booking-slots", args=[world["order_id"]]))  # the slot finder
    if can(user, "room.manage"):  # the administration's screens
        urls += [reverse(name) for name in ADMIN_SCREENS]
    if can(user, "schedule.view"):
        urls.append(reverse("booking-detail", args=[world["booking_id_in_room"]]))
    if can(user, "procedure.view"):
        urls.append(reverse("procedure-detail", args=[world["procedure_id"]]))
    if can(user, "report.view"):
        urls.append(reverse("report-detail", args=[world["report_id"]]))
    if can(user, "quality.view"):
        urls.append(reverse("quality-safety"))  # the second tab of the quality dashboard
    return [u for u in dict.fromkeys(urls) if u and not u.startswith("/admin")]


def test_no_serious_or_critical_violations_on_the_main_pages_of_every_role(
    browser, site, personas, patient
):
    world = {**procedure_world(personas, patient), "patient_id": patient.pk}
    # The referrer refers the same patient (by MRN, name and birth date).
    referral = referral_create(
        actor=personas["referrer"],
        new_patient={
            "mrn": "T0000001",
            "family_name": patient.family_name,
            "given_name": patient.given_name,
            "birth_date": patient.birth_date,
            "sex": patient.sex,
        },
        clinical_question="Retrieve the IVC filter?",
        urgency="routine",
        procedure_type=ProcedureType.objects.get(code="PARA"),
    )
    # IR confirms that the referral is for the patient on record: the referrer cares for them.
    referral_patient_confirm(actor=personas["attending"], referral_id=referral.pk)
    world["referral_id"] = referral.pk
    world["order_id"] = make_order(personas["attending"], patient, "PICC").pk
    found: dict[str, list[str]] = {}
    walked = 0
    for name in WEB_ROLES:
        context, page = sign_in(browser, site, name)
        for url in pages_for(page, personas[name], world):
            page.open_requests.clear()  # what the last page left unanswered is not this one's
            response = page.goto(site + url)
            assert response is not None and response.status == 200, (name, url)
            settled(page, page.open_requests)
            walked += 1
            for line in blocking(page):
                found.setdefault(f"{name} {url}", []).append(line)
        if can(personas[name], "referral.create"):
            # A refused form: the summary, the messages, the focus on the first field.
            page.goto(site + reverse("referral-create"))
            page.get_by_role("button", name="Send referral").click()
            expect(page.locator("[data-error-summary]")).to_be_visible()
            screenshot(page, f"a11y-refused-referral-{name}")
            for line in blocking(page):
                found.setdefault(f"{name} refused referral form", []).append(line)
        context.close()
    assert walked > 40
    report = "\n".join(f"{where}\n  " + "\n  ".join(lines) for where, lines in found.items())
    assert not found, f"axe found serious or critical violations:\n{report}"


def test_the_check_fails_on_a_page_with_a_known_fault(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Fault</title></head><body><main>'
        '<h1>Fault</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    lines = blocking(page)
    assert any(line.startswith("image-alt (critical)") for line in lines), lines
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Fine</title></head><body><main>'
        '<h1>Fine</h1><img alt="A dot" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    assert blocking(page) == []
