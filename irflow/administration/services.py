"""The first run: an installation without an administrator creates its first one from the
browser (and only then: once an administrator exists, nobody can do this again)."""

from __future__ import annotations

from django.db import connection, transaction

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.accounts.services import user_create
from irflow.lib.errors import Forbidden

MSG_ALREADY_SET_UP = (
    "irflow already has an administrator: sign in, or ask an administrator for an account."
)


def administrator_exists() -> bool:
    """Whether an active administrator (or superuser) can sign in."""
    return User.objects.filter(is_active=True, role=Role.ADMIN).exists() or (
        User.objects.filter(is_active=True, is_superuser=True).exists()
    )


@transaction.atomic
def first_administrator_create(
    *, username: str, password: str, display_name: str, email: str = ""
) -> User:
    """Create the installation's first administrator, while none exists (the system acts: it is
    the set-up, as `irflow createsuperuser` would be). Two people trying at once get one
    administrator between them: the second is refused."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one first run at a time
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('irflow.first_run'))")
    # On SQLite the transaction is IMMEDIATE (settings): it holds the write lock already.
    if administrator_exists():
        raise Forbidden(MSG_ALREADY_SET_UP, code="already_set_up")
    return user_create(
        actor=SYSTEM,
        username=username.strip(),
        role=Role.ADMIN,
        password=password,
        display_name=display_name.strip(),
        email=email.strip(),
    )
