"""Who changed clinical data: django-auditlog's history written inside `history_actor` is
attributed to the actor, from where the current piece of work came (`irflow.lib.origin`).

django-auditlog points to users only. An actor that is no user — the system actor,
`irflow.accounts.actors.SYSTEM` — leaves the entry's user empty and names itself in the
entry's `actor_email` ("system")."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from auditlog.context import set_actor, set_extra_data
from django.contrib.auth.base_user import AbstractBaseUser

from irflow.lib.origin import current_origin


class NotAUser(Protocol):
    """An actor with no user row to point to."""

    @property
    def history_name(self) -> str: ...


@contextlib.contextmanager
def history_actor(actor: AbstractBaseUser | NotAUser) -> Iterator[None]:
    """Attribute django-auditlog history written inside the block to `actor`."""
    if isinstance(actor, AbstractBaseUser):
        with set_actor(actor, remote_addr=current_origin().remote_addr or None):
            yield
    else:
        with set_extra_data({"actor_email": actor.history_name}):
            yield
