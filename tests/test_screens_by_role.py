"""Every screen in docs/security.md's table "Screens and the actions they need", opened as
every role: 200 where the role holds the screen's action, 403 where it does not (404 for a
patient outside a referrer's care). The table is the documentation and the test's input, so
the two cannot drift apart; a page of these parts of irflow missing from it fails the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from irflow.accounts.actors import SYSTEM
from irflow.accounts.permissions import OWN, scope
from irflow.accounts.services import api_token_create
from irflow.catalogue.models import ProcedureType, Room
from irflow.dicomserver.models import RemoteAE
from irflow.hl7server.models import CodeMapping, Destination, InboundMessage, OutboundMessage
from irflow.testing.fixtures import PERSONAS, login, make_order

pytestmark = pytest.mark.django_db

TABLE = Path(__file__).resolve().parent.parent / "docs" / "security.md"
HEADING = "## Screens and the actions they need"
# The parts of irflow whose pages must all be in the table.
COVERED = (
    "administration/",
    "timeline/",
    "scheduling/book/<order>/slots/",
    "accounts/password/",
    "hl7/",
    "registry/",
)
ROW = re.compile(r"^\| `(?P<path>[^`]+)` — .*\| (?P<rule>.+) \|$")


def screens() -> list[tuple[str, str | None]]:
    """(path with placeholders, action or None for "any signed-in user"), from the table.
    The first-run page is left out: it exists only while there is no administrator."""
    text = TABLE.read_text(encoding="utf-8")
    section = text[text.index(HEADING) :].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = ROW.match(line)
        if match is None or match["path"] == "screen":
            continue
        path, rule = match["path"], match["rule"]
        if path.startswith("/administration/first-run/"):
            continue
        action = re.match(r"`([a-z0-9_.]+)`", rule)
        assert action or rule == "any signed-in user", line
        rows.append((path, action.group(1) if action else None))
    return rows


def _placeholder_path(route: str) -> str:
    return "/" + re.sub(r"<(?:int:)?(\w+?)(?:_id)?>", r"<\1>", route)


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


@pytest.fixture
def world(personas, patient):
    room = Room.objects.create(code="WALK1", name="Walk room", kind="angio", modality="XA")
    return {
        "room": room.pk,
        "procedure": ProcedureType.objects.get(code="PICC").pk,
        "remote": RemoteAE.objects.create(ae_title="WALKAE", room=room).pk,
        "user": personas["nurse"].pk,
        "token": api_token_create(actor=SYSTEM, user_id=personas["nurse"].pk, name="walk")[0].pk,
        "order": make_order(personas["attending"], patient).pk,
        "patient": patient.pk,
        "name": "mull",
        **_hl7_world(patient),
    }


def _hl7_world(patient) -> dict[str, int]:
    destination = Destination.objects.create(name="Walk EHR", host="127.0.0.1", port=2576)
    return {
        "message": InboundMessage.objects.create(
            raw=b"MSH|^~\\&|PAS|RVH|||20260105||ADT^A08|W1|P|2.5.1\rPID|1||T0000001\r",
            control_id="W1",
            patient=patient,
        ).pk,
        "outbound": OutboundMessage.objects.create(
            destination=destination, message_type="ORU^R01", control_id="W1", text="MSH|"
        ).pk,
        "destination": destination.pk,
        "mapping": CodeMapping.objects.create(
            code="W1", procedure_type=ProcedureType.objects.get(code="PICC")
        ).pk,
    }


def _concrete(path: str, world: dict) -> str:
    """The path with the walk's objects (1 for those only a POST route names: it answers 405
    before it looks anything up)."""
    return re.sub(r"<(\w+)>", lambda m: str(world.get(m.group(1), 1)), path)


def test_the_table_lists_every_page_of_the_parts_it_covers(client, personas, world):
    """A page is a route that answers a GET (the administrator holds every action here); the
    routes that only take a POST answer 405 and are the pages' buttons."""
    listed = {path.split("?")[0] for path, _ in screens()}
    login(client, personas["admin"])
    missing = []
    for route in _routes():
        path = _placeholder_path(route)
        if not any(path.startswith("/" + part) for part in COVERED) or "first-run" in path:
            continue
        if client.get(_concrete(path, world)).status_code == 405:
            continue
        if path not in listed:
            missing.append(path)
    assert missing == [], f"pages missing from {TABLE.name}'s table of screens: {missing}"


@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_screen_answers_each_role_as_the_matrix_says(client, personas, world, name):
    user = personas[name]
    login(client, user)
    wrong = []
    for path, action in screens():
        held = scope(user, action) if action else True
        expected = 403 if held is None else 200
        if held is OWN and "<patient>" in path:
            expected = 404  # the walk's patient is not in this referrer's care
        response = client.get(_concrete(path, world))
        if response.status_code != expected:
            wrong.append(f"{path}: {response.status_code}, expected {expected} ({action})")
        elif held is OWN and "MÜLLER" in response.content.decode():
            wrong.append(f"{path}: shows a patient outside this referrer's care")
    assert wrong == []
