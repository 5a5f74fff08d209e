"""Who changed clinical data: django-auditlog's history written inside `history_actor` is
attributed to the actor, from where the current piece of work came (`irflow.lib.origin`).

django-auditlog points to users only. An actor that is no user — the system actor,
`irflow.accounts.actors.SYSTEM` — leaves the entry's user empty and names itself in the
entry's `actor_email` ("system")."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
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


# The history blocks open in this context, innermost last: django-auditlog keeps only the
# current one and never restores an enclosing one when a nested block ends.
_open: ContextVar[tuple[dict, ...]] = ContextVar("irflow_history_blocks", default=())


@contextlib.contextmanager
def history_actor(actor: AbstractBaseUser | NotAUser) -> Iterator[None]:
    """Attribute django-auditlog history written inside the block to `actor`.

    Blocks nest: when an administrator's action runs a service that acts as the system (an
    HL7 message re-processed), what is written after the inner block is the administrator's
    again."""
    enclosing = _open.get()
    if isinstance(actor, AbstractBaseUser):
        manager = set_actor(actor, remote_addr=current_origin().remote_addr or None)
    else:
        manager = set_extra_data({"actor_email": actor.history_name})
    try:
        with manager:
            token = _open.set((*enclosing, auditlog_value.get()))
            try:
                yield
            finally:
                _open.reset(token)
    finally:
        if enclosing:
            _reopen(enclosing[-1])


def _reopen(context: dict) -> None:
    """Make an enclosing block's context current again, its receiver connected."""
    auditlog_value.set(context)
    duid = context["signal_duid"]
    receiver = functools.partial(_set_extra_data, signal_duid=duid)
    pre_save.connect(receiver, sender=get_logentry_model(), dispatch_uid=duid, weak=False)
