"""Who changed clinical data: django-auditlog's history written inside `history_actor` is
attributed to the actor, from where the current piece of work came (`irflow.lib.origin`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditlog.context import set_actor

from irflow.lib.origin import current_origin


@contextlib.contextmanager
def history_actor(actor) -> Iterator[None]:
    """Attribute django-auditlog history written inside the block to `actor`."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        yield
        return
    with set_actor(actor, remote_addr=current_origin().remote_addr or None):
        yield
