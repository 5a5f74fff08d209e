"""Shared pytest fixtures: personas (one user per role) and clients that behave like browsers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.test import Client

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.accounts.services import api_token_create, privilege_grant, user_create
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES

PASSWORD = "correct horse battery staple"

PERSONAS = {
    "attending": Role.PHYSICIAN,
    "trainee": Role.TRAINEE,
    "nurse": Role.NURSE,
    "technologist": Role.TECHNOLOGIST,
    "scheduler": Role.SCHEDULER,
    "referrer": Role.REFERRER,
    "qi_lead": Role.QI_LEAD,
    "admin": Role.ADMIN,
    "auditor": Role.AUDITOR,
    "integration": Role.INTEGRATION,
}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is what production uses (test_security checks it); tests hash with MD5 for speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = False


@pytest.fixture(autouse=True, scope="session")
def _reference_data_survives_flushes():
    """Transactional tests end with a flush, which also empties what data migrations seeded
    (the procedure catalogue, urgency targets, training programmes). Django sends post_migrate
    after that flush (it is how content types come back); seed the reference data again on
    it, so that the next test starts from a migrated database. (Hence no test uses
    serialized_rollback: its restore would clash with the recreated content types.)"""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from irflow.catalogue.seed import catalogue_seed
    from irflow.referrals.seed import urgency_targets_seed
    from irflow.training.seed import programmes_seed

    def reseed(sender, app_config, using="default", **kwargs):
        if app_config.label == "referrals":
            catalogue_seed(apps.get_model("catalogue", "ProcedureType"))
            urgency_targets_seed(apps.get_model("referrals", "UrgencyTarget"))
        if app_config.label == "training":
            programmes_seed(
                apps.get_model("training", "Programme"), apps.get_model("training", "Requirement")
            )

    post_migrate.connect(reseed, dispatch_uid="irflow-test-reseed")
    yield
    post_migrate.disconnect(dispatch_uid="irflow-test-reseed")


@contextlib.contextmanager
def shared_by_the_module(django_db_blocker) -> Iterator[None]:
    """Rows that every test of a module reads, made once for the module (a module-scoped
    fixture builds them inside this block): a transaction opened here stays open while the
    module's tests run, each test runs in a savepoint of it and is rolled back to the shared
    rows, and the rows are rolled back after the module's last test, so other modules never
    see them. Only for modules whose tests are all non-transactional (a transactional test
    would flush the database under the open transaction) and all use the shared rows (a test
    that did not would find them or not depending on the order): make the fixture autouse.
    Passwords are hashed as the tests hash them (`_fast_hashing`)."""
    from django.db import transaction
    from django.test import override_settings

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def pytest_unconfigure(config) -> None:
    """The migrated databases the services of this run were copied from go with the run."""
    from irflow.testing.service import migrated_drop

    migrated_drop()


def make_user(username: str, role: str, **kwargs) -> User:
    user = user_create(
        actor=SYSTEM,
        username=username,
        role=role,
        password=PASSWORD,
        check_password=False,
        first_name=username.capitalize(),
        last_name="Test",
        **kwargs,
    )
    if role == Role.PHYSICIAN:
        for category in PROCEDURE_CATEGORIES:
            privilege_grant(
                actor=SYSTEM, user_id=user.pk, category=category, granted_at=date(2020, 1, 1)
            )
    return user


@pytest.fixture
def personas(db) -> dict[str, User]:
    """One user per role, keyed by persona name (attending, trainee, nurse, …)."""
    return {name: make_user(name, role) for name, role in PERSONAS.items()}


@pytest.fixture
def attending(personas) -> User:
    return personas["attending"]


@pytest.fixture
def api_client(client, attending) -> Client:
    """The test client as an integration calling the API with the attending's API token."""
    token = api_token_create(actor=SYSTEM, user_id=attending.pk, name="tests")[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def nurse(personas) -> User:
    return personas["nurse"]


@pytest.fixture
def referrer(personas) -> User:
    return personas["referrer"]


@pytest.fixture
def auditor(personas) -> User:
    return personas["auditor"]


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser does."""
    return Client(enforce_csrf_checks=True)


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def patient(db, attending):
    from irflow.patients.services import patient_create

    return patient_create(
        actor=attending,
        mrn="T0000001",
        family_name="Müller",
        given_name="Jörg",
        birth_date=date(1956, 4, 12),
        sex="M",
        weight_kg=82,
    )


def merged_just_before(monkeypatch, module, name: str, *, actor, source_id, target_id) -> None:
    """Make another user merge patient `source_id` into `target_id` just before the service
    `module.name` runs: the page had read the record, the service finds it merged away."""
    from irflow.patients.services import patient_merge

    service = getattr(module, name)

    def merged_meanwhile(**kwargs):
        patient_merge(actor=actor, source_id=source_id, target_id=target_id, reason="Same person")
        return service(**kwargs)

    monkeypatch.setattr(module, name, merged_meanwhile)


def next_weekday_at(hour: int, minute: int = 0, *, days_ahead: int = 7):
    """A timezone-aware datetime on a weekday at least `days_ahead` days from today."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def angio_room(db):
    from irflow.catalogue.models import Room

    return Room.objects.create(
        code="ANGIO1", name="Angio suite 1", kind="angio", modality="XA", station_ae_title="ANGIO1"
    )


def make_order(actor, patient, code: str = "PICC", **kwargs):
    from irflow.catalogue.models import ProcedureType
    from irflow.orders.services import order_create

    return order_create(
        actor=actor,
        patient_id=patient.pk,
        procedure_type=ProcedureType.objects.get(code=code),
        **kwargs,
    )


def make_booking(actor, order, room, start, **kwargs):
    """Book as the scheduler would have, ahead of time: a past start is booked as if the day
    before it (a retrospective entry is tested on its own, with `now`)."""
    from django.utils import timezone

    from irflow.scheduling.services import booking_create

    kwargs.setdefault("now", min(timezone.now(), start - timedelta(days=1)))
    return booking_create(actor=actor, order_id=order.pk, room=room, start=start, **kwargs)


def page_with_parts(client: Client, url: str) -> str:
    """A page as a browser shows it: its HTML, with the parts it loads in place on load
    (`hx-get … hx-trigger="load"`) fetched as the browser would and appended."""
    import re

    html = client.get(url).content.decode()
    parts = re.findall(r'hx-get="([^"]+)" hx-trigger="load"', html)
    return html + "".join(client.get(part).content.decode() for part in parts)
