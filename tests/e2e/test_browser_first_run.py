"""The first run, as a new site meets it: `irflow up --no-demo` on an empty data folder; the
first visit creates the administrator (with the two-factor set-up administrators need), who
names the department, adds two rooms (one of them closed for a day), three procedures, a
modality and four users — all from irflow's own pages. The hospital's interface sends a
patient with the API token made for it; the new nurse signs in, chooses her own password and
finds that patient from the header's search."""

from __future__ import annotations

import base64
import io
import re
import time

import pytest
import requests
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import expect

from irflow.testing.service import running_service
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e]

PASSWORD = "first administrator passphrase 7"
NURSE_PASSWORD = "quiet harbour lanterns glow"
TEAM = [
    # username, first name, last name, role
    ("rpatel", "Ravi", "Patel", "IR physician"),
    ("gmensah", "Grace", "Mensah", "IR nurse"),
    ("lnovak", "Lena", "Novak", "Scheduler"),
    ("hisfeed", "Hospital", "Interface", "Integration (API client)"),
]
PROCEDURES = [
    # name, code, category, main modality, duration, needs
    ("Uterine fibroid embolisation", "UFE-LOCAL", "vascular", "XA", "120", ["Biplane angiography"]),
    ("Thyroid nodule ablation", "THY-RFA", "oncology", "US", "60", []),
    ("Lumbar facet injection", "FACET", "spine_pain", "CT", "30", []),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(
        tmp_path_factory.mktemp("first-run"), "--no-demo", "--no-dicom", first_run=True
    ) as svc:
        yield svc


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 70, 140)).save(out, format="PNG")
    return out.getvalue()


def second_factor(page) -> None:
    """Administrators set up two-factor authentication first: read the key, enter the code."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    key_bytes = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Six-digit code").fill(f"{totp(key_bytes):06d}")
    page.get_by_role("button", name="Turn on").click()


def add_room(page, *, name, code, kind, modality, ae="", capabilities=(), others=()) -> None:
    page.get_by_role("link", name="Add a room").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Kind").select_option(label=kind)
    page.get_by_label("Main modality").select_option(label=modality)
    for label in others:
        page.get_by_role("group", name="Other modalities").get_by_label(label).check()
    for label in capabilities:
        page.get_by_role("group", name="Capabilities").get_by_label(label).check()
    page.get_by_label("DICOM station AE title").fill(ae)
    page.get_by_label("Closes at").fill("19:00")
    screenshot(page, f"admin-room-form-{code.lower()}")
    page.get_by_role("button", name="Add the room").click()
    expect(page.get_by_text(f"Saved: {name}.")).to_be_visible()


def add_procedure(page, name, code, category, modality, minutes, needs) -> None:
    page.get_by_role("link", name="Add a procedure").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Category", exact=True).select_option(category)
    page.get_by_label("Main guidance modality").select_option(modality)
    for label in needs:
        page.get_by_role("group", name="The room must also offer").get_by_label(label).check()
    page.get_by_label("Bleeding-risk category").select_option("low")
    page.get_by_label("Usual duration (minutes)").fill(minutes)
    page.get_by_label("Follow-up rules").fill("clinic, 42, Clinic review")
    if code == "UFE-LOCAL":
        # A mistake first: the rule line is named, what was typed stays.
        page.get_by_label("Follow-up rules").fill("clinic in six weeks")
        page.get_by_role("button", name="Add the procedure").click()
        expect(page.get_by_role("alert")).to_contain_text("Line 1")
        expect(page.get_by_label("Name", exact=True)).to_have_value(name)
        screenshot(page, "admin-procedure-form-error")
        page.get_by_label("Follow-up rules").fill("clinic, 42, Gynaecology clinic")
    page.get_by_role("button", name="Add the procedure").click()
    expect(page.get_by_text(f"Saved: {name}.")).to_be_visible()


def add_user(page, username: str, first: str, last: str, role: str) -> str:
    """Create a user with a password irflow makes up; return it (shown once)."""
    page.get_by_role("link", name="New user").click()
    form = page.locator("main")
    form.get_by_label("Username").fill(username)
    form.get_by_label("First name").fill(first)
    form.get_by_label("Last name").fill(last)
    form.get_by_label("Role").select_option(label=role)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first} {last} is created")
    temporary = page.locator("#temporary-password").inner_text().strip()
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first} {last}")
    page.goto(page.url.split("/administration/")[0] + "/administration/users/")
    return temporary


def test_a_new_site_is_set_up_from_the_browser(service, page, browser):
    site = service.url
    # `irflow up` says so once it answers, from its own thread: a moment after /health does.
    deadline = time.monotonic() + 30
    while "No administrator yet" not in service.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "No administrator yet" in service.log()

    # The first visit: no administrator, so the first-run page.
    page.goto(site + "/")
    expect(page).to_have_url(f"{site}/administration/first-run/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to irflow")
    screenshot(page, "admin-first-run")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Your name").fill("Alex Morgan")
    page.get_by_label("Email").fill("alex@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    second_factor(page)

    # The hub leads through the set-up, the department first.
    expect(page).to_have_url(f"{site}/administration/")
    expect(page.get_by_role("heading", name="Setting up irflow")).to_be_visible()
    screenshot(page, "admin-hub-setup")
    page.get_by_role("link", name="Next: name the department").click()
    page.get_by_label("Hospital").fill("Riverside General Hospital")
    page.locator("#id_department_name").fill("Interventional Radiology")
    page.get_by_label("Department phone").fill("0100 200 300")
    page.get_by_label("Out-of-hours phone").fill("0100 200 399")
    page.get_by_label("Department address").fill("Level 2, East Wing\nRiverside RV1 2AB")
    page.get_by_label("Logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}
    )
    page.get_by_role("button", name="Save the department").click()
    expect(page.get_by_text("The department's details are saved")).to_be_visible()
    expect(page.get_by_role("img", name="The department's logo")).to_be_visible()
    screenshot(page, "admin-department")

    # Two rooms.
    page.get_by_role("link", name="Administration").first.click()
    page.get_by_role("link", name="Next: add the rooms").click()
    add_room(
        page,
        name="Angio suite 1",
        code="ANGIO1",
        kind="Angiography suite",
        modality="Fluoroscopy / angiography (XA)",
        ae="ANGIO1",
        capabilities=["Biplane angiography", "Anaesthesia support"],
        others=["Ultrasound"],
    )
    add_room(
        page, name="Ultrasound room", code="US1", kind="Ultrasound room", modality="Ultrasound"
    )
    rooms = page.get_by_role("table")
    expect(rooms).to_contain_text("Angio suite 1")
    expect(rooms).to_contain_text("Ultrasound room")
    screenshot(page, "admin-rooms")

    # The angio suite closes for a day of maintenance.
    page.get_by_role("link", name="Angio suite 1").click()
    page.get_by_label("Closed from").fill("2030-03-04T08:00")
    page.get_by_label("Until").fill("2030-03-04T19:00")
    page.get_by_label("Reason").fill("Tube replacement")
    page.get_by_role("button", name="Close the room").click()
    expect(page.get_by_text("Angio suite 1 is closed from")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Tube replacement")
    screenshot(page, "admin-room-closures")

    # Three procedures; the catalogue says which rooms can host each.
    page.goto(site + "/administration/procedures/")
    for row in PROCEDURES:
        add_procedure(page, *row)
    catalogue = page.get_by_role("table")
    ufe = catalogue.get_by_role("row").filter(has_text="UFE-LOCAL")
    expect(ufe).to_contain_text("Angio suite 1")
    expect(ufe).not_to_contain_text("Ultrasound room")
    thyroid = catalogue.get_by_role("row").filter(has_text="THY-RFA")
    expect(thyroid).to_contain_text("Ultrasound room")
    screenshot(page, "admin-procedures")

    # The modality in the angio suite.
    page.goto(site + "/administration/modalities/")
    page.get_by_role("link", name="Add a modality").click()
    page.get_by_label("AE title").fill("ANGIO1")
    page.get_by_label("Room").select_option(label="Angio suite 1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("table")).to_contain_text("Angio suite 1")
    screenshot(page, "admin-modalities")

    # Four users: the team, and the account the hospital's interface signs in with.
    page.goto(site + "/administration/")
    page.get_by_role("link", name="Next: create the team's accounts").click()
    temporary = {member[0]: add_user(page, *member) for member in TEAM}
    users = page.get_by_role("table")
    for username, *_names in TEAM:
        expect(users).to_contain_text(username)
    screenshot(page, "admin-users-team")
    page.goto(site + "/administration/tokens/")
    page.get_by_role("link", name="New API token").click()
    page.get_by_label("Acts as user").select_option(label="Hospital Interface")
    page.get_by_label("What it is for").fill("HL7 engine")
    page.get_by_label("Scope").select_option(label="Read and write")  # read only unless said
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#api-token").inner_text().strip()
    page.get_by_role("link", name="Done").click()

    page.goto(site + "/administration/")
    expect(page.get_by_role("heading", name="Setting up irflow")).to_have_count(0)
    screenshot(page, "admin-hub")

    # The hospital's interface sends a patient, with the token made for it.
    sent = requests.post(
        site + "/api/patients",
        json={
            "mrn": "R2000417",
            "family_name": "Okonkwo",
            "given_name": "Adaeze",
            "birth_date": "1958-03-14",
            "sex": "F",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text

    # The new nurse: her own password first, then the patient from the header's search.
    nurse_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    nurse = nurse_context.new_page()
    nurse.set_default_timeout(15_000)
    nurse.goto(site + "/accounts/login/")
    nurse.get_by_label("Username").fill("gmensah")
    nurse.get_by_label("Password").fill(temporary["gmensah"])
    nurse.get_by_role("button", name="Sign in").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Change your password")
    form = nurse.locator("main")
    form.get_by_label("Current password").fill(temporary["gmensah"])
    form.get_by_label("New password", exact=True).fill(NURSE_PASSWORD)
    form.get_by_label("New password again").fill(NURSE_PASSWORD)
    nurse.get_by_role("button", name="Change password").click()
    expect(nurse.get_by_text("Your password is changed.")).to_be_visible()
    nurse.wait_for_load_state("load")  # "/" is the page's script's: it must have run (deferred)
    nurse.keyboard.press("/")
    expect(nurse.locator(".header-search input")).to_be_focused()
    nurse.keyboard.type("okonk")
    found = nurse.get_by_role("link", name=re.compile("OKONKWO, Adaeze"))
    expect(found).to_be_visible()
    screenshot(nurse, "first-run-nurse-search")
    found.click()
    expect(nurse.get_by_role("region", name="Patient")).to_contain_text("R2000417")
    nurse_context.close()
    # The one refusal was the mistake made on purpose (a form answered 422).
    assert [m for m in page.console_errors if "(Unprocessable Entity)" not in m] == []

    # Set up: the first-run page is gone, the sign-in page is the sign-in page.
    assert requests.get(site + "/administration/first-run/", timeout=10).status_code == 404
    login = requests.get(site + "/accounts/login/", timeout=10)
    assert login.status_code == 200 and re.search(r"<h1>Sign in</h1>", login.text)
