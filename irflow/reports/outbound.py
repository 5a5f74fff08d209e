"""The outbound-report hook: what happens when a report (or an addendum) is signed.

Interfaces that send final reports on (HL7 ORU^R01, FHIR DiagnosticReport) register a
callable here; signing enqueues one background task (`report_outbound_task`) after the
transaction commits, and the task calls every registered callable with the event.

    from irflow.reports.outbound import register_outbound
    register_outbound("hl7-oru", send_oru)   # send_oru(event: OutboundEvent) -> None
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.tasks import task

from irflow.lib.origin import origin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundEvent:
    report_id: int
    event: str  # "signed" or "addendum_signed"
    addendum_id: int | None = None


OutboundHook = Callable[[OutboundEvent], None]
_HOOKS: dict[str, OutboundHook] = {}


def register_outbound(name: str, hook: OutboundHook) -> None:
    """Call `hook` for every signed report and addendum (the name keeps it registered once)."""
    _HOOKS[name] = hook


def unregister_outbound(name: str) -> None:
    _HOOKS.pop(name, None)


def registered_outbound() -> list[str]:
    return sorted(_HOOKS)


def outbound_dispatch(event: OutboundEvent) -> list[str]:
    """Call each registered hook; one failing hook does not stop the others (it is logged,
    and the task reports it failed so it can be retried)."""
    called, failed = [], []
    for name, hook in sorted(_HOOKS.items()):
        try:
            hook(event)
        except Exception:
            log.exception("outbound hook %s failed for report %s", name, event.report_id)
            failed.append(name)
        else:
            called.append(name)
    if failed:
        raise RuntimeError(f"outbound hooks failed: {', '.join(failed)}")
    return called


@task()
def report_outbound_task(report_id: int, event: str, addendum_id: int | None = None) -> list[str]:
    """Hand a signed report (or addendum) to the registered outbound interfaces."""
    with origin("task"):
        return outbound_dispatch(
            OutboundEvent(report_id=report_id, event=event, addendum_id=addendum_id)
        )


def outbound_enqueue(event: OutboundEvent) -> None:
    """Queue the dispatch once the signing transaction has committed."""
    transaction.on_commit(
        lambda: report_outbound_task.enqueue(
            report_id=event.report_id, event=event.event, addendum_id=event.addendum_id
        )
    )
