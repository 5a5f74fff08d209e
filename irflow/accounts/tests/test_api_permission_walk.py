"""Walk every API route for every role and compare the answer with the permission matrix.

Each call runs inside a savepoint that is rolled back, so every (role, route) pair starts
from the same data. A route added without an example here fails `test_every_route_has_example`.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from irflow.accounts.actors import SYSTEM
from irflow.accounts.permissions import MATRIX
from irflow.accounts.roles import Role
from irflow.accounts.services import api_token_create
from irflow.api import api
from irflow.patients.models import CareRelation
from irflow.patients.services import patient_create
from irflow.testing.cases import day_world, procedure_examples, procedure_world
from irflow.testing.dose import dose_examples, dose_world
from irflow.testing.referrals import encode_example, journey_examples, journey_world

pytestmark = pytest.mark.django_db


def examples(ids: dict) -> dict[tuple[str, str], dict | None]:
    """A valid request for each operation: (METHOD, path template) -> JSON body or None."""
    return {
        ("GET", "/api/patients"): None,
        ("POST", "/api/patients"): {
            "mrn": "W0000099",
            "family_name": "Walker",
            "given_name": "Ada",
            "birth_date": "1970-01-02",
            "sex": "F",
        },
        ("GET", "/api/patients/{patient_id}"): None,
        ("PATCH", "/api/patients/{patient_id}"): {"weight_kg": "71.5"},
        ("POST", "/api/patients/{patient_id}/allergies"): {
            "agent": "Iohexol",
            "category": "iodinated_contrast",
            "severity": "moderate",
        },
        ("POST", "/api/patients/{patient_id}/medications"): {
            "name": "Apixaban 5 mg",
            "drug": "apixaban",
            "frequency": "bd",
            "dose_times": ["08:00", "20:00"],
        },
        ("POST", "/api/patients/{patient_id}/labs"): {
            "analyte": "inr",
            "value": "1.1",
            "collected_at": "2026-01-05T09:30:00+00:00",
        },
        ("POST", "/api/patients/{patient_id}/conditions"): {"code": "dialysis"},
        ("POST", "/api/patients/merge"): {
            "source_id": ids["other_patient"],
            "target_id": ids["patient_id"],
            "reason": "Duplicate registration",
        },
        ("GET", "/api/catalogue/procedures"): None,
        ("GET", "/api/catalogue/rooms"): None,
        ("GET", "/api/accounts/me"): None,
        ("GET", "/api/accounts/staff"): None,
        ("GET", "/api/audit/access"): None,
        ("GET", "/api/audit/history"): None,
        **readiness_examples(ids),
        **dose_examples(ids),
        **journey_examples(ids),
        **procedure_examples(ids),
    }


def readiness_world(attending, patient) -> dict:
    """A booking of `patient` (with an antithrombotic) for the readiness and checklist routes."""
    from irflow.catalogue.models import Room
    from irflow.patients.services import medication_add
    from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

    room = Room.objects.create(code="WALK1", name="Walk room", kind="angio", modality="XA")
    order = make_order(attending, patient, "PICC")
    booking = make_booking(attending, order, room, next_weekday_at(10))
    med = medication_add(
        actor=attending, patient_id=patient.pk, name="Apixaban 5 mg", drug="apixaban"
    )
    return {"booking_id": booking.pk, "medication_id": med.pk, "ruleset_id": "sir-2019"}


def readiness_examples(ids: dict) -> dict[tuple[str, str], dict | None]:
    from irflow.clinical import checklist_items

    booking = "/api/readiness/bookings/{booking_id}"
    return {
        ("GET", booking): None,
        ("GET", booking + "/preparation"): None,
        ("PATCH", booking + "/preparation"): {"consent": "signed", "sedation": "local"},
        ("POST", booking + "/last-doses"): {
            "medication_id": ids["medication_id"],
            "taken_at": "2026-01-05T08:00:00+00:00",
        },
        ("POST", booking + "/acknowledgements"): {
            "rule_id": "checklists.sign-in.consent",
            "reason": "Consent confirmed by telephone, witnessed.",
        },
        ("POST", "/api/readiness/evaluate"): {
            "procedure": {"code": "PICC", "bleeding_risk": "low"},
            "planned_start": "2026-03-02T09:00:00+00:00",
            "urgency": "routine",
            "now": "2026-03-01T09:00:00+00:00",
        },
        ("GET", "/api/readiness/rulesets"): None,
        ("GET", "/api/readiness/rulesets/{ruleset_id}"): None,
        ("GET", "/api/readiness/policy"): None,
        ("PUT", "/api/readiness/policy"): {
            "overrides": {"irflow-site.lab-validity": {"inr_days": 14}}
        },
        ("GET", "/api/checklists/bookings/{booking_id}"): None,
        ("POST", "/api/checklists/bookings/{booking_id}"): {
            "phase": "sign_in",
            "done": [i.id for i in checklist_items("sign_in") if i.required],
        },
    }


# Query strings some GET routes need to do real work.
QUERY = {"/api/patients": "?q=walk"}


def operations() -> list[tuple[str, str, str]]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            ops.append((method.upper(), path, op["x-permission"]))
    return ops


@pytest.fixture
def world(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    attending = personas["attending"]
    mine = patient_create(
        actor=attending,
        mrn="W0000001",
        family_name="Walkabout",
        given_name="Ruth",
        birth_date="1950-05-05",
        sex="F",
    )
    other = patient_create(
        actor=attending,
        mrn="W0000002",
        family_name="Walkabout",
        given_name="Ruth",
        birth_date="1950-05-05",
        sex="F",
    )
    # The referrer cares for both: referrers may see their own patients, not merge them.
    CareRelation.objects.create(patient=mine, clinician=personas["referrer"])
    CareRelation.objects.create(patient=other, clinician=personas["referrer"])
    tokens = {
        name: api_token_create(actor=SYSTEM, user_id=user.pk, name=f"walk {name}")[1]
        for name, user in personas.items()
    }
    ids = {"patient_id": mine.pk, "other_patient": other.pk}
    ids.update(readiness_world(attending, mine))
    ids.update(day_world(attending, ids["booking_id"]))
    ids = {**dose_world(attending, mine), **ids}  # keys already set win
    ids = {**journey_world(personas, mine), **ids}
    ids = {**procedure_world(personas, mine), **ids}
    return {"ids": ids, "tokens": tokens}


def test_every_route_has_example_and_permission(world):
    known = examples(world["ids"])
    for method, path, permission in operations():
        assert (method, path) in known, f"add an example for {method} {path}"
        assert permission == "authenticated" or permission in MATRIX, permission


def test_every_route_for_every_role(client, personas, world):
    known = examples(world["ids"])
    failures = []
    for method, path, permission in operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(world["ids"][m.group(1)]), path)
        url += QUERY.get(path, "")
        body = known[(method, path)]
        for name, user in personas.items():
            allowed = permission == "authenticated" or Role(user.role) in MATRIX[permission]
            with transaction.atomic():
                response = client.generic(
                    method,
                    url,
                    **encode_example(body),
                    headers={"authorization": f"Bearer {world['tokens'][name]}"},
                )
                transaction.set_rollback(True)
            ok = 200 <= response.status_code < 300 if allowed else response.status_code == 403
            if not ok:
                failures.append(
                    f"{name:12} {method:5} {url}: {response.status_code} "
                    f"(expected {'2xx' if allowed else '403'}) {response.content[:120]!r}"
                )
    assert not failures, "\n".join(failures)


def test_unauthenticated_gets_401_everywhere(client, world):
    for method, path, _ in operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(world["ids"][m.group(1)]), path)
        response = client.generic(method, url, data="{}", content_type="application/json")
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.json()["code"] == "not_authenticated"


def test_referrer_cannot_open_another_referrers_patient(client, personas):
    other = patient_create(
        actor=personas["attending"],
        mrn="W0000003",
        family_name="Other",
        given_name="Person",
        birth_date="1960-01-01",
        sex="M",
    )
    token = api_token_create(actor=SYSTEM, user_id=personas["referrer"].pk, name="t")[1]
    response = client.get(f"/api/patients/{other.pk}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 404
    search = client.get("/api/patients?q=other", headers={"authorization": f"Bearer {token}"})
    assert search.status_code == 200 and search.json() == []


def test_every_fhir_type_for_every_role(client, personas, world):
    """/fhir obeys the same matrix: a role that holds a source's permission searches and reads
    its resources (a referrer: those of the patients in their care), any other role gets 403;
    without credentials, 401."""
    from irflow.fhirserver.gather import RESOURCE_TYPES, SOURCES, sources_of

    mine = world["ids"]["patient_id"]
    failures = []
    for resource_type in RESOURCE_TYPES:
        actions = [s.action for s in sources_of(resource_type)]
        assert client.get(f"/fhir/{resource_type}").status_code == 401
        for name, user in personas.items():
            role = Role(user.role)
            allowed = resource_type == "Organization" or any(role in MATRIX[a] for a in actions)
            response = client.get(
                f"/fhir/{resource_type}",
                headers={"authorization": f"Bearer {world['tokens'][name]}"},
            )
            if response.status_code != (200 if allowed else 403):
                failures.append(f"{name:12} search {resource_type}: {response.status_code}")
    read = 0
    for source in SOURCES:
        rows = source.queryset()
        if source.patient is not None:
            rows = rows.filter(**{"pk" if source.patient == "pk" else source.patient: mine})
        row = rows.first()
        if row is None:
            continue
        read += 1
        url = f"/fhir/{source.resource_type}/{source.prefix}{row.pk}"
        for name, user in personas.items():
            allowed = Role(user.role) in MATRIX[source.action]
            response = client.get(url, headers={"authorization": f"Bearer {world['tokens'][name]}"})
            if response.status_code != (200 if allowed else 403):
                failures.append(f"{name:12} read {url}: {response.status_code}")
    assert read >= len(RESOURCE_TYPES) - 1, read
    assert not failures, "\n".join(failures)
