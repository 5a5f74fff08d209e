"""Where the current piece of work came from (web request, API call, DICOM association, CLI).

Entry points set it once; the access log reads it, so selectors need not be handed a request.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    channel: str
    remote_addr: str = ""
    path: str = ""
    # Refused reads the access log took down during this piece of work, when its entry point
    # collects them (an HTTP request): a refusal inside a transaction that then rolls back is
    # written again by the entry point after the answer; None where nobody collects them.
    refusals: list[object] | None = field(default=None, compare=False, repr=False)


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "irflow_origin", default=None
)

DEFAULT_ORIGIN = Origin(channel="cli")


def current_origin() -> Origin:
    return _origin.get() or DEFAULT_ORIGIN


@contextlib.contextmanager
def origin(
    channel: str, remote_addr: str = "", path: str = "", *, collect_refusals: bool = False
) -> Iterator[Origin]:
    value = Origin(
        channel=channel,
        remote_addr=remote_addr,
        path=path[:300],
        refusals=[] if collect_refusals else None,
    )
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)


# Paths that machines call (the REST API and FHIR): they are answered in JSON, never with a
# redirect to a sign-in or password page.
MACHINE_PREFIXES = ("/api/", "/fhir/")


def is_machine_path(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES) or path == "/fhir"
