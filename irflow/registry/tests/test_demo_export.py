"""The registry export of the demo department, every family: the validation finds every
required element, the FHIR file is valid R4 (fhir.resources and the official R4 schema, the way
irflow's FHIR server is checked) whose references all resolve inside it, and the de-identified
archive names nobody. The demo is built once for the module and rolled back after it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from irflow.accounts.roles import Role
from irflow.dayofcase import services as day
from irflow.demo.generator import demo_create
from irflow.fhirserver.gather import fhir_site
from irflow.patients.models import Patient, PatientIdentifier
from irflow.procedures.models import ProcedureRecord
from irflow.registry import datasets, export, selectors
from irflow.testing.cases import fresh_room, ready_to_complete
from irflow.testing.fhir import SCHEMA_MISSING, r4_problems, r4_validators, references_in
from irflow.testing.fixtures import make_booking, make_order, make_user

# The database is set up for this module's tests (the demo fixture builds in it).
pytestmark = pytest.mark.django_db

PERIOD = {"start": date(2025, 3, 1), "end": date(2026, 3, 4)}
FAMILIES = [f.code for f in datasets.FAMILIES]
# The required value sets of R4: AdministrativeGender and EventStatus.
ADMINISTRATIVE_GENDER = {"male", "female", "other", "unknown"}
EVENT_STATUS = {
    "preparation",
    "in-progress",
    "not-done",
    "on-hold",
    "stopped",
    "completed",
    "entered-in-error",
    "unknown",
}


@dataclass(frozen=True)
class Export:
    family: str
    files: dict[str, bytes]  # by the file's name in the archive, without its folder
    missing: dict[int, list[str]]  # what the validation found lacking, by record
    expected_missing: dict[int, list[str]]  # what the records themselves lack

    def ndjson(self) -> list[dict]:
        return [json.loads(line) for line in self.files[f"{self.family}.ndjson"].splitlines()]

    def csv_rows(self) -> list[dict[str, str]]:
        text = self.files[f"{self.family}.csv"].decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class DemoExports:
    deidentified: dict[str, Export]
    identified: dict[str, Export]
    identities: list[list[bytes]]  # per patient: every way the archive could name them
    system_base: str


def _files(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {name.split("/", 1)[1]: z.read(name) for name in z.namelist()}


def _identities() -> list[list[bytes]]:
    values: dict[int, list[str]] = {}
    for patient_id, value in PatientIdentifier.objects.values_list("patient_id", "value"):
        values.setdefault(patient_id, []).append(value)
    people = []
    for p in Patient.objects.all():
        texts = [p.family_name, p.given_name, *values.get(p.pk, [])]
        texts += [p.birth_date.isoformat(), p.birth_date.strftime("%Y%m%d")]
        people.append([t.encode() for t in texts if t])
    return people


def _ablation() -> None:
    """The demo has no room fitted for tumour ablation: one liver ablation, completed in the
    period, so that every family has a case."""
    attending = make_user("attending", Role.PHYSICIAN)
    patient = Patient.objects.filter(is_active=True).order_by("pk").first()
    assert patient is not None
    order = make_order(attending, patient, "ABL-LIV", site="segment VIII")
    start = datetime(2025, 6, 2, 9, tzinfo=ZoneInfo(settings.TIME_ZONE))
    booking = make_booking(attending, order, fresh_room(), start, primary_operator=attending)
    record = ready_to_complete(attending, booking)
    day.case_record_update(
        actor=attending,
        procedure_id=record.pk,
        group="sedation",
        values={"sedation_depth": "general", "asa_class": "III"},
    )
    day.case_complete(actor=attending, procedure_id=record.pk)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> DemoExports:
    """One demo department (a year of history), exported de-identified and identified for
    every family by its QI lead; the database is rolled back afterwards."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    blocker = django_db_blocker.unblock()
    with blocker, override_settings(PASSWORD_HASHERS=fast), transaction.atomic():
        ctx = demo_create(
            patients=14, seed=7, today=date(2026, 3, 4), years=1, procedures_per_year=120
        )
        qi = ctx.users["qi"]
        _ablation()
        plain: dict[str, Export] = {}
        named: dict[str, Export] = {}
        for family in FAMILIES:
            result = selectors.registry_validation(actor=qi, family=family, **PERIOD)
            # The demo records every required element; were the body site required, the
            # validation would list exactly the cases whose order names none.
            site_required = any(
                e.name == "body_site" and e.required for e in datasets.elements(family)
            )
            blank_site = ProcedureRecord.objects.filter(
                pk__in=[c.record_id for c in result.cases], order__site=""
            ).values_list("pk", flat=True)
            expected = {pk: ["body_site"] for pk in blank_site} if site_required else {}
            for identified, into in ((False, plain), (True, named)):
                _, data = export.registry_export(
                    actor=qi, family=family, identified=identified, **PERIOD
                )
                into[family] = Export(family, _files(data), result.missing, expected)
        exports = DemoExports(plain, named, _identities(), fhir_site().system_base)
        transaction.set_rollback(True)
    return exports


@pytest.fixture(scope="module")
def validators():
    return r4_validators(["Patient", "Procedure"])


def test_every_family_validates_and_exports_cases(demo):
    exported = 0
    for family, got in demo.deidentified.items():
        assert got.missing == got.expected_missing, (family, got.missing)
        assert got.missing == {}, family
        rows = got.csv_rows()
        assert rows, f"the demo has no {family} case to export"
        exported += len(rows)
        manifest = json.loads(got.files["manifest.json"])
        assert manifest["cases_exported"] == len(rows), family
    assert exported > 20


@pytest.mark.parametrize("identified", [False, True], ids=["deidentified", "identified"])
def test_the_fhir_file_of_every_family_is_valid_r4(demo, validators, identified):
    exports = demo.identified if identified else demo.deidentified
    problems: list[str] = []
    kinds: set[str] = set()
    for family, got in exports.items():
        lines = got.files[f"{family}.ndjson"].splitlines()
        assert lines, family
        for line in lines:
            resource = json.loads(line)  # one resource per line, nothing else
            kinds.add(resource["resourceType"])
            problems.extend(f"{family}: {p}" for p in r4_problems(resource, validators))
    assert not problems, "\n".join(problems[:30])
    assert kinds == {"Patient", "Procedure"}
    # What neither checks: the required bindings of the codes the file holds, and the Age's
    # invariant (age-1: a positive value in UCUM time units).
    for got in exports.values():
        for r in got.ndjson():
            if r["resourceType"] == "Patient":
                assert r["gender"] in ADMINISTRATIVE_GENDER, r
                continue
            assert r["status"] in EVENT_STATUS, r
            for e in r["extension"]:
                if "valueAge" in e:
                    age = e["valueAge"]
                    assert age["value"] > 0 and age["code"] in {"a", "mo", "d"}, r
                    assert age["system"] == "http://unitsofmeasure.org", r
    if validators is None:
        pytest.skip(SCHEMA_MISSING)


def test_the_fhir_file_points_only_inside_itself(demo):
    declared = {f"{demo.system_base}/StructureDefinition/{name}" for name in export.EXTENSIONS}
    for family, got in demo.deidentified.items():
        resources = got.ndjson()
        ids = [f"{r['resourceType']}/{r['id']}" for r in resources]
        assert len(ids) == len(set(ids)), family
        procedures = [r for r in resources if r["resourceType"] == "Procedure"]
        patients = {r["id"] for r in resources if r["resourceType"] == "Patient"}
        dangling = [
            (rid, target)
            for rid, r in zip(ids, resources, strict=True)
            for target in references_in(r)
            if target not in ids
        ]
        assert not dangling, (family, dangling[:10])
        # Every patient is somebody's subject: no Patient without a case.
        assert patients == {p["subject"]["reference"].split("/")[1] for p in procedures}
        used = {e["url"] for r in resources for e in r.get("extension", [])}
        assert used == declared, (family, used - declared)
        # The FHIR file holds the CSV's cases: the same keys, days and codes.
        rows = got.csv_rows()
        assert sorted(
            (r["patient_key"], r["procedure_date"], r["procedure_code"]) for r in rows
        ) == sorted(
            (
                p["subject"]["reference"].split("/")[1],
                p["performedDateTime"],
                p["code"]["coding"][0]["code"],
            )
            for p in procedures
        ), family


def test_the_deidentified_archive_names_nobody(demo):
    for family, got in demo.deidentified.items():
        fhir = got.files[f"{family}.ndjson"]
        blob = b"".join(got.files.values())
        for texts in demo.identities:
            for text in texts:
                assert text not in fhir, (family, text)
                assert text not in blob, (family, text)


def test_the_identified_fhir_file_names_each_patient(demo):
    """The search above finds a name when there is one: the identified file holds them."""
    named = b"".join(got.files[f"{f}.ndjson"] for f, got in demo.identified.items())
    found = [texts for texts in demo.identities if all(t in named for t in texts[:2])]
    assert found
    for texts in found:
        assert texts[-2] in named  # the birth date, ISO
