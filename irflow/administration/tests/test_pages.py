"""The administration pages: the first run (only while no administrator exists), the hub, and
the forms of rooms, closures, procedures, the department and modalities — offered to
administrators only, wrong values shown beside their fields, kept when the form comes back."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.administration.forms import MSG_PASSWORDS_DIFFER, MSG_RULE_KIND, MSG_RULE_LINE
from irflow.administration.services import MSG_ALREADY_SET_UP, first_administrator_create
from irflow.catalogue.models import ProcedureType, Room, RoomClosure
from irflow.catalogue.services import MSG_HOURS
from irflow.dicomserver.models import RemoteAE
from irflow.followup.models import FollowUpKind
from irflow.lib.errors import Forbidden
from irflow.readiness.policy import policy_settings
from irflow.testing.fixtures import PERSONAS, login, make_booking, make_order, next_weekday_at

STRONG = "a long enough passphrase 42"
PAGES = [
    "/administration/",
    "/administration/rooms/",
    "/administration/rooms/new/",
    "/administration/procedures/new/",
    "/administration/department/",
    "/administration/modalities/",
    "/administration/modalities/new/",
]
ROOM_POST = {
    "name": "Ultrasound room",
    "code": "US1",
    "kind": "us",
    "modality": "US",
    "station_ae_title": "",
    "opens_at": "08:00",
    "closes_at": "17:00",
    "open_weekdays": ["1", "2", "3", "4", "5"],
    "active": "on",
}


@pytest.mark.django_db
def test_the_first_visit_creates_the_first_administrator_then_the_page_is_gone(client):
    assert client.get("/").url.startswith("/accounts/login/")
    login_page = client.get("/accounts/login/")
    assert login_page.status_code == 302 and login_page.url == "/administration/first-run/"
    page = client.get("/administration/first-run/")
    assert page.status_code == 200 and "Create the administrator" in page.content.decode()
    differ = client.post(
        "/administration/first-run/",
        {"username": "alex", "display_name": "Alex", "password": STRONG, "password_again": "x"},
    )
    assert differ.status_code == 422 and MSG_PASSWORDS_DIFFER in differ.content.decode()
    assert not User.objects.exists()
    done = client.post(
        "/administration/first-run/",
        {
            "username": "alex",
            "display_name": "Alex Morgan",
            "password": STRONG,
            "password_again": STRONG,
        },
    )
    assert done.status_code == 302 and done.url == "/administration/"
    alex = User.objects.get(username="alex")
    assert alex.role == Role.ADMIN and alex.check_password(STRONG)
    hub = client.get("/administration/")
    assert "Setting up irflow" in hub.content.decode()
    # Gone for everyone once an administrator exists; the sign-in page is the sign-in page.
    client.logout()
    assert client.get("/administration/first-run/").status_code == 404
    assert client.get("/accounts/login/").status_code == 200
    with pytest.raises(Forbidden) as caught:
        first_administrator_create(username="eve", password=STRONG, display_name="Eve")
    assert caught.value.message == MSG_ALREADY_SET_UP


@pytest.mark.django_db
def test_the_first_administrator_needs_a_password_the_validators_accept(client):
    page = client.post(
        "/administration/first-run/",
        {"username": "alex", "display_name": "Alex", "password": "1", "password_again": "1"},
    )
    assert page.status_code == 422 and 'id="id_password_error"' in page.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("name", [n for n, r in PERSONAS.items() if r != Role.ADMIN])
def test_administration_is_refused_and_not_offered_to_other_roles(client, personas, name):
    login(client, personas[name])
    home = client.get("/", follow=True).content.decode()
    assert 'href="/administration/"' not in home
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/administration/rooms/new/", ROOM_POST).status_code == 403
    assert not Room.objects.filter(code="US1").exists()


def test_the_administrator_opens_every_page(client, personas):
    login(client, personas["admin"])
    home = client.get("/", follow=True).content.decode()
    assert 'href="/administration/"' in home
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    hub = client.get("/administration/").content.decode()
    assert "/readiness/policy/" in hub  # the site policy is one of the sections
    spine = client.get("/administration/procedures/?category=spine_pain").content.decode()
    assert "Vertebroplasty" in spine and "Carotid artery stenting" not in spine


def test_a_room_is_added_from_its_form_and_errors_sit_by_their_fields(client, personas):
    login(client, personas["admin"])
    wrong = client.post("/administration/rooms/new/", {**ROOM_POST, "closes_at": "07:00"})
    body = wrong.content.decode()
    assert wrong.status_code == 422
    assert 'id="id_closes_at_error"' in body and MSG_HOURS in body
    assert 'href="#id_closes_at"' in body  # the summary links to the field
    assert 'value="Ultrasound room"' in body  # what was typed is kept
    assert client.post("/administration/rooms/new/", ROOM_POST).status_code == 302
    room = Room.objects.get(code="US1")
    assert room.open_weekdays == [1, 2, 3, 4, 5] and room.closes_at.hour == 17


def test_a_closure_is_added_and_removed_from_the_room_page(client, personas, angio_room):
    login(client, personas["admin"])
    start = next_weekday_at(8)
    added = client.post(
        f"/administration/rooms/{angio_room.pk}/closures/",
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": start.replace(hour=18).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Tube replacement",
        },
    )
    assert added.status_code == 302
    page = client.get(f"/administration/rooms/{angio_room.pk}/").content.decode()
    assert "Tube replacement" in page
    closure = RoomClosure.objects.get()
    removed = client.post(f"/administration/rooms/{angio_room.pk}/closures/{closure.pk}/remove/")
    assert removed.status_code == 302 and not RoomClosure.objects.exists()


def test_a_procedure_is_added_with_follow_up_rules_typed_a_line_each(client, personas):
    login(client, personas["admin"])
    post = {
        "name": "Genicular artery embolisation",
        "code": "GAE",
        "category": "vascular",
        "modality": "XA",
        "bleeding_risk": "low",
        "default_duration_min": "90",
        "default_sedation": "moderate",
        "uses_contrast": "on",
        "active": "on",
        "completion_requires": ["technical_success"],
        "follow_up_rules": "clinic, 42, Knee clinic",
        "report_template": "",
        "device_defaults": "",
    }
    wrong = client.post(
        "/administration/procedures/new/",
        {**post, "follow_up_rules": "clinic 42\nparty, 3, Cake", "report_template": "{nope"},
    )
    body = wrong.content.decode()
    assert wrong.status_code == 422
    assert escape(MSG_RULE_LINE.format(n=1)) in body
    assert "This is not valid JSON (line 1" in body
    assert client.post("/administration/procedures/new/", post).status_code == 302
    gae = ProcedureType.objects.get(code="GAE")
    assert gae.follow_up_rules == [
        {"kind": "clinic", "after_days": 42, "description": "Knee clinic"}
    ]
    # An unknown kind is named with the kinds there are.
    form_kind = client.post(
        f"/administration/procedures/{gae.pk}/", {**post, "follow_up_rules": "party, 3, Cake"}
    )
    assert form_kind.status_code == 422
    kinds = ", ".join(FollowUpKind.values)
    said = MSG_RULE_KIND.format(n=1, kind="party", known=kinds)
    assert escape(said) in form_kind.content.decode()


def test_the_department_page_saves_the_letterhead_the_policy_page_shows(client, personas):
    login(client, personas["admin"])
    saved = client.post(
        "/administration/department/",
        {
            "hospital_name": "St Elsewhere",
            "department_name": "Interventional Radiology",
            "department_phone": "0100 000 000",
            "out_of_hours_phone": "0100 999 999",
            "department_address": "Level 2, Main Building",
        },
    )
    assert saved.status_code == 302
    assert policy_settings().department_name == "Interventional Radiology"
    policy_page = client.get("/readiness/policy/").content.decode()
    assert 'value="St Elsewhere"' in policy_page  # one source of truth
    targets = client.post(
        "/administration/department/",
        {
            "save_targets": "1",
            "emergent_triage": "1",
            "emergent_procedure": "4",
            "urgent_triage": "48",
            "urgent_procedure": "24",
            "routine_triage": "72",
            "routine_procedure": "504",
        },
    )
    assert targets.status_code == 422
    assert 'id="id_urgent_procedure_error"' in targets.content.decode()


def test_a_modality_is_configured_and_forgotten_from_the_pages(client, personas, angio_room):
    login(client, personas["admin"])
    added = client.post(
        "/administration/modalities/new/",
        {
            "ae_title": "ANGIO1",
            "room": angio_room.pk,
            "charset": "ISO_IR 100",
            "active": "on",
            "may_query_worklist": "on",
            "may_send_dose_reports": "on",
        },
    )
    assert added.status_code == 302
    remote = RemoteAE.objects.get(ae_title="ANGIO1")
    assert remote.room == angio_room
    assert remote.refused_services() == {"mpps"}
    listed = client.get("/administration/modalities/").content.decode()
    assert "worklist, dose reports" in listed
    wrong = client.post(
        f"/administration/modalities/{remote.pk}/", {"ae_title": "BAD\\AE", "charset": "ISO_IR 100"}
    )
    assert wrong.status_code == 422 and 'id="id_ae_title_error"' in wrong.content.decode()
    assert client.post(f"/administration/modalities/{remote.pk}/remove/").status_code == 302
    assert not RemoteAE.objects.exists()


def test_help_and_errors_are_tied_to_their_inputs(client, personas):
    """Every id an input or a group of choices names in aria-describedby is on the page."""
    login(client, personas["admin"])
    for page in (
        client.get("/administration/rooms/new/"),
        client.post("/administration/rooms/new/", {**ROOM_POST, "closes_at": "07:00"}),
        client.get("/administration/procedures/new/"),
    ):
        body = page.content.decode()
        named = {i for ids in re.findall(r'aria-describedby="([^"]+)"', body) for i in ids.split()}
        assert named, "no input is described"
        assert {i for i in named if f'id="{i}"' not in body} == set()


def test_closing_a_room_over_bookings_says_how_many_must_move(
    client, personas, patient, angio_room
):
    booking = make_booking(
        personas["attending"],
        make_order(personas["attending"], patient, code="PICC"),
        angio_room,
        next_weekday_at(9),
    )
    login(client, personas["admin"])
    page = client.post(
        f"/administration/rooms/{angio_room.pk}/closures/",
        {
            "starts_at": booking.start.strftime("%Y-%m-%dT08:00"),
            "ends_at": booking.start.strftime("%Y-%m-%dT18:00"),
            "reason": "Flooded",
        },
        follow=True,
    )
    assert "1 booking(s) already in that time must be moved" in page.content.decode()
