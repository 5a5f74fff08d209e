"""Telling "the database is away" apart from every other error.

Django wraps the driver's errors: a refused or dropped connection (PostgreSQL stopped,
restarting, or unreachable; SQLite locked past its busy timeout) is an OperationalError or an
InterfaceError. Everything else (a bug, a refused constraint) is not an outage.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import InterfaceError, OperationalError

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it was raised from) says the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class CalmLog:
    """One warning when an outage starts, then one every `every_s` while it lasts, one info
    line when it ends: a long outage must not flood the log with a traceback per attempt."""

    def __init__(self, logger: logging.Logger, what: str, *, every_s: float = 60.0) -> None:
        self.logger = logger
        self.what = what
        self.every_s = every_s
        self._since: float | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def away(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            first = self._since is None
            if first:
                self._since = now
            elif now - self._last < self.every_s:
                return
            self._last = now
            since = self._since
        assert since is not None
        if first:
            self.logger.warning("%s: the database is unavailable (%s)", self.what, _short(exc))
        else:
            self.logger.warning(
                "%s: the database is still unavailable after %d s", self.what, now - since
            )

    def back(self) -> None:
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            self.logger.warning(
                "%s: the database is back after %d s", self.what, time.monotonic() - since
            )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
