"""Every resource irflow produces, from the demo department, is valid FHIR R4: fhir.resources'
R4B models and the official R4 JSON schema (draft-06) both accept each one — all of them, type
after type, not a sample."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.demo.generator import demo_create
from irflow.devices.models import DeviceInSitu
from irflow.fhirserver.gather import RESOURCE_TYPES, SOURCES, department_resources, fhir_site
from irflow.patients.models import Patient
from irflow.patients.services import patient_create, patient_merge
from irflow.testing.fhir import SCHEMA_MISSING, r4_problems, r4_validators, references_in

pytestmark = pytest.mark.django_db

# Elements every resource has, not part of a mapping.
BOOKKEEPING = {"resourceType", "id", "meta"}


@pytest.fixture(scope="module")
def validators():
    return r4_validators(RESOURCE_TYPES)


def _department() -> None:
    """The demo department, plus what the demo leaves out: a merged duplicate record and a
    device left in a patient that came without a scanned label."""
    ctx = demo_create(patients=14, seed=7, today=date(2026, 3, 4))
    scheduler = ctx.users["scheduler"]
    target = Patient.objects.filter(is_active=True).order_by("pk").first()
    assert target is not None
    duplicate = patient_create(
        actor=scheduler,
        mrn="DUP0001",
        family_name=target.family_name,
        given_name=target.given_name,
        birth_date=target.birth_date,
        sex=target.sex,
    )
    patient_merge(actor=scheduler, source_id=duplicate.pk, target_id=target.pk, reason="Duplicate")
    DeviceInSitu.objects.create(
        patient=target,
        kind="drain",
        name="Drain placed elsewhere",
        action="review",
        placed_on=date(2026, 2, 1),
        due_on=date(2026, 3, 1),
    )


def _bounded_queries(site) -> None:
    """Each source reads one row or all of them with the same number of queries."""
    for source in SOURCES:
        counts = []
        for limit in (1, None):
            with CaptureQueriesContext(connection) as queries:
                rows = source.queryset()
                for row in rows[:limit] if limit else rows:
                    source.resource(row, site)
            counts.append(len(queries))
        assert counts[0] == counts[1], (source.resource_type, source.prefix, counts)


def test_every_resource_of_the_demo_department_is_valid_r4(validators):
    _department()
    site = fhir_site()
    counts: Counter[str] = Counter()
    prefixes: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    ids: set[str] = set()
    produced: dict[tuple[str, str], set[str]] = {}
    references: set[tuple[str, str]] = set()
    for resource in department_resources(site):
        kind = resource["resourceType"]
        counts[kind] += 1
        rid = resource["id"]
        ids.add(f"{kind}/{rid}")
        references.update((f"{kind}/{rid}", r) for r in references_in(resource))
        prefix = rid.rsplit("-", 1)[0] + "-" if "-" in rid else ""
        prefixes[(kind, prefix)] += 1
        produced.setdefault((kind, prefix), set()).update(set(resource) - BOOKKEEPING)
        problems.extend(r4_problems(resource, validators))
    assert not problems, "\n".join(problems[:30])
    assert set(counts) == set(RESOURCE_TYPES), counts
    dangling = sorted(f"{source} -> {target}" for source, target in references if target not in ids)
    assert not dangling, dangling[:20]
    for source in SOURCES:
        undocumented = produced[(source.resource_type, source.prefix)] - set(source.elements)
        assert not undocumented, (source.resource_type, source.prefix, undocumented)
        assert prefixes[(source.resource_type, source.prefix)] > 0, (
            source.resource_type,
            source.prefix,
        )
    _bounded_queries(site)
    if validators is None:
        pytest.skip(SCHEMA_MISSING)
