"""Sending requests over a pynetdicom association, one after another, without losing answers.

Every pynetdicom association runs a reactor thread that takes incoming messages off the
queue. Its `send_*` methods pause the reactor first: they clear a checkpoint (a
`threading.Event`) and wait for the reactor's `_is_paused` flag. The reactor raises that flag
just *before* it waits on the checkpoint, and lowers it only once it has left the wait. Two
gaps follow: a request sent while the reactor is between the flag and the wait goes ahead;
and so does one sent while the reactor, woken by the previous request's answer, is still on
its way out of the wait. Either way the reactor takes one more message off the queue — the
answer the new request is waiting for — and drops it as unexpected; the request then waits
for its DIMSE timeout. It shows under load, after a C-FIND, when the next request starts just
as the reactor wakes.

`hold_reactor` closes both gaps: it clears the checkpoint and returns once the reactor is
among the checkpoint's waiters. A thread is only put there when it finds the checkpoint
clear, and only taken off by the next `set()`, so the `send_*` call that follows finds the
reactor truly paused. `Serial` wraps an association so that every request does so first.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pynetdicom.association import Association


def hold_reactor(assoc: Association, timeout_s: float = 10.0) -> None:
    """Pause the association's reactor; return when it is waiting at its checkpoint."""
    checkpoint = assoc._reactor_checkpoint
    checkpoint.clear()
    deadline = time.monotonic() + timeout_s
    while assoc.is_alive():
        if parked(checkpoint):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("The association's reactor did not pause.")
        time.sleep(0.0002)


def parked(checkpoint: threading.Event) -> bool:
    """The checkpoint is clear and a thread waits on it, not yet woken: `Event.wait` adds its
    waiter under the event's lock only when the flag is clear, and `Event.set` removes every
    waiter under the same lock. The reactor is the only thread that waits on it."""
    condition = checkpoint._cond  # type: ignore[attr-defined]
    with condition:
        return not checkpoint.is_set() and bool(condition._waiters)


class Serial:
    """An association whose requests each wait for the reactor to be parked first.

    C-CANCEL is sent as it is: it expects no answer, and it is sent while a C-FIND's
    answers are still arriving, with the reactor already paused by that C-FIND.
    """

    def __init__(self, assoc: Association) -> None:
        self.association = assoc

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.association, name)
        if not name.startswith("send_") or name == "send_c_cancel":
            return attribute

        def request(*args: Any, **kwargs: Any) -> Any:
            hold_reactor(self.association)
            return attribute(*args, **kwargs)

        return request
