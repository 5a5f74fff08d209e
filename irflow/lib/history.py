"""Who changed clinical data: django-auditlog's history written inside `history_actor` is
attributed to the actor, from where the current piece of work came (`irflow.lib.origin`).

django-auditlog points to users only. An actor that is no user — the system actor,
`irflow.accounts.actors.SYSTEM` — leaves the entry's user empty and names itself in the
entry's `actor_email` ("system")."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Protocol

from auditlog import get_logentry_model
from auditlog.context import _set_extra_data, auditlog_value, set_actor, set_extra_data
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models.signals import pre_save

from irflow.lib.origin import current_origin


class NotAUser(Protocol):
    """An actor with no user row to point to."""

    @property
    def history_name(self) -> str: ...


@contextlib.contextmanager
def history_actor(actor: AbstractBaseUser | NotAUser) -> Iterator[None]:
    """Attribute django-auditlog history written inside the block to `actor`.

    Blocks nest: when an administrator's action runs a service that acts as the system (an
    HL7 message re-processed), what is written after the inner block is the administrator's
    again. django-auditlog's own context does not restore the outer one, so this does."""
    outer = auditlog_value.get(None)
    try:
        if isinstance(actor, AbstractBaseUser):
            with set_actor(actor, remote_addr=current_origin().remote_addr or None):
                yield
        else:
            with set_extra_data({"actor_email": actor.history_name}):
                yield
    finally:
        if outer is not None:
            _restore(outer)


def _restore(context: dict) -> None:
    """Make `context` (an enclosing block's) the current one again, its receiver connected."""
    auditlog_value.set(context)
    duid = context["signal_duid"]
    receiver = functools.partial(_set_extra_data, signal_duid=duid)
    pre_save.connect(receiver, sender=get_logentry_model(), dispatch_uid=duid, weak=False)
