"""Sending requests over a pynetdicom association, one after another, without losing answers.

Every pynetdicom association runs a reactor thread that takes incoming messages off the
queue. Its `send_*` methods pause the reactor first: they clear a checkpoint and wait for the
reactor's `_is_paused` flag. The reactor raises that flag just *before* it looks at the
checkpoint, so a request sent while the reactor is between the two goes ahead, the reactor
takes one more message off the queue — the answer the request is waiting for — and drops it
as unexpected; the request then waits for its DIMSE timeout. It shows under load, after a
C-FIND, when the next request starts just as the reactor wakes.

`hold_reactor` closes that gap: it returns once the reactor thread is parked inside the
checkpoint's wait, so the `send_*` call that follows finds it truly paused. `Serial` wraps an
association so that every request does so first.
"""

from __future__ import annotations

import sys
import time
from types import FrameType
from typing import Any

from pynetdicom.association import Association


def hold_reactor(assoc: Association, timeout_s: float = 10.0) -> None:
    """Pause the association's reactor; return when it is waiting at its checkpoint."""
    assoc._reactor_checkpoint.clear()
    deadline = time.monotonic() + timeout_s
    while assoc.is_alive():
        frame = sys._current_frames().get(assoc.ident or -1)
        if frame is None or _parked(frame):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("The association's reactor did not pause.")
        time.sleep(0.0002)


def _parked(frame: FrameType) -> bool:
    """Inside Condition.wait, called by Event.wait, called by the reactor loop: the
    checkpoint was clear when the reactor reached it, and it waits there."""
    names: list[str] = []
    current: FrameType | None = frame
    while current is not None and len(names) < 3:
        names.append(current.f_code.co_name)
        current = current.f_back
    return names == ["wait", "wait", "_run_reactor"]


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
