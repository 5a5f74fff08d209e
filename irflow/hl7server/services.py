"""The administrator's writes of the HL7 configuration: destinations (where irflow sends) and
code mappings (a sender's procedure code → the catalogue). Each checks `hl7.manage`, names
the field of a wrong value, writes nothing on a refusal and is kept in the history."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.catalogue.models import ProcedureType
from irflow.hl7server.models import CodeMapping, Destination
from irflow.lib.errors import ValidationFailed, from_django_validation
from irflow.lib.history import history_actor

MSG_REQUIRED = "Required."
MSG_PORT = "A TCP port: a whole number from 1 to 65535."
MSG_HOST = "A host name or an IP address, without spaces or a port."
MSG_ATTEMPTS = "From 1 to 1000 tries."
MSG_TIMEOUT = "From 1 to 600 seconds."
MSG_SEPARATORS = "HL7 separators (| ~ \\) cannot be part of it."
MSG_CODE_SEPARATORS = "HL7 separators (| ^ ~ \\ &) cannot be part of a code: type it decoded."
MSG_NO_PROCEDURE = "Choose a procedure of the catalogue that is offered."
MSG_MAPPED = "This sender's code is mapped already (to {procedure}): change that mapping."

_HOST = re.compile(r"^[A-Za-z0-9._:-]+$")
MAX_ATTEMPTS = 1000
MAX_ACK_TIMEOUT_S = 600


def _destination_problems(
    *, name: str, host: str, port: int | None, max_attempts: int, ack_timeout_s: int, **hd: str
) -> dict[str, str]:
    problems = {}
    if not name:
        problems["name"] = MSG_REQUIRED
    if not host:
        problems["host"] = MSG_REQUIRED
    elif not _HOST.match(host):
        problems["host"] = MSG_HOST
    if port is None or not 1 <= port <= 65535:
        problems["port"] = MSG_PORT
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        problems["max_attempts"] = MSG_ATTEMPTS
    if not 1 <= ack_timeout_s <= MAX_ACK_TIMEOUT_S:
        problems["ack_timeout_s"] = MSG_TIMEOUT
    for key, value in hd.items():
        if any(ch in value for ch in "|~\\\r\n"):
            problems[key] = MSG_SEPARATORS
    return problems


@transaction.atomic
def destination_save(
    *,
    actor: Actor,
    destination_id: int | None,
    name: str,
    host: str,
    port: int,
    receiving_application: str = "",
    receiving_facility: str = "",
    version: str = Destination.Version.V251,
    charset: str = Destination.Charset.UTF8,
    sends_results: bool = True,
    sends_orders: bool = False,
    sends_schedules: bool = False,
    include_pdf: bool = False,
    max_attempts: int = 10,
    ack_timeout_s: int = 30,
    active: bool = True,
) -> Destination:
    """Create (`destination_id` None) or change a destination. What it sends from now on
    follows the new values; messages already in its outbox keep the text they were built
    with."""
    require(actor, "hl7.manage")
    name, host = name.strip(), host.strip()
    receiving_application = receiving_application.strip()
    receiving_facility = receiving_facility.strip()
    problems = _destination_problems(
        name=name,
        host=host,
        port=port,
        max_attempts=max_attempts,
        ack_timeout_s=ack_timeout_s,
        receiving_application=receiving_application,
        receiving_facility=receiving_facility,
    )
    if problems:
        raise ValidationFailed(problems)
    destination = (
        Destination()
        if destination_id is None
        else Destination.objects.select_for_update().get(pk=destination_id)
    )
    destination.name, destination.host, destination.port = name, host, port
    destination.receiving_application = receiving_application
    destination.receiving_facility = receiving_facility
    destination.version, destination.charset = version, charset
    destination.sends_results, destination.sends_orders = sends_results, sends_orders
    destination.sends_schedules, destination.include_pdf = sends_schedules, include_pdf
    destination.max_attempts, destination.ack_timeout_s = max_attempts, ack_timeout_s
    destination.active = active
    try:
        destination.full_clean()
    except DjangoValidationError as exc:
        raise from_django_validation(exc) from exc
    with history_actor(actor):
        destination.save()
    return destination


@transaction.atomic
def destination_deactivate(*, actor: Actor, destination_id: int) -> Destination:
    """Stop sending to a destination: nothing new is put in its outbox and nothing in it is
    sent until it is made active again; no message is deleted (the history keeps who did it)."""
    require(actor, "hl7.manage")
    destination = Destination.objects.select_for_update().get(pk=destination_id)
    if destination.active:
        destination.active = False
        with history_actor(actor):
            destination.save(update_fields=["active", "updated_at"])
    return destination


def _code_problems(code: str, coding_system: str, sending_application: str) -> dict[str, str]:
    problems = {}
    if not code:
        problems["code"] = MSG_REQUIRED
    for key, value in (("code", code), ("coding_system", coding_system)):
        if any(ch in value for ch in "|^~\\&\r\n") and key not in problems:
            problems[key] = MSG_CODE_SEPARATORS
    # MSH-3 is compared as the listener stores it (components joined with ^).
    if any(ch in sending_application for ch in "|~\\\r\n"):
        problems["sending_application"] = MSG_SEPARATORS
    return problems


@transaction.atomic
def code_mapping_save(
    *,
    actor: Actor,
    mapping_id: int | None,
    code: str,
    procedure_type_id: int | None,
    coding_system: str = "",
    text: str = "",
    sending_application: str = "",
) -> CodeMapping:
    """Map a sender's procedure code (OBR-4: code, coding system; `sending_application` empty
    for any sender) to a procedure of the catalogue, or change a mapping. Orders that arrive
    from now on use it; orders already in triage keep what they were given."""
    require(actor, "hl7.manage")
    code, coding_system = code.strip(), coding_system.strip()
    text, sending_application = text.strip(), sending_application.strip()
    problems = _code_problems(code, coding_system, sending_application)
    procedure = (
        ProcedureType.objects.filter(pk=procedure_type_id, active=True).first()
        if procedure_type_id is not None
        else None
    )
    if procedure is None:
        problems["procedure_type"] = MSG_NO_PROCEDURE
    twins = CodeMapping.objects.filter(
        sending_application=sending_application, code=code, coding_system=coding_system
    )
    if mapping_id is not None:
        twins = twins.exclude(pk=mapping_id)
    twin = twins.select_related("procedure_type").first()
    if twin is not None and "code" not in problems:
        problems["code"] = MSG_MAPPED.format(procedure=twin.procedure_type)
    if problems:
        raise ValidationFailed(problems)
    mapping = (
        CodeMapping(created_by=person(actor))
        if mapping_id is None
        else CodeMapping.objects.select_for_update().get(pk=mapping_id)
    )
    mapping.sending_application, mapping.code = sending_application, code
    mapping.coding_system, mapping.text = coding_system, text
    mapping.procedure_type = procedure  # type: ignore[assignment]  # checked above
    try:
        mapping.full_clean()
    except DjangoValidationError as exc:
        raise from_django_validation(exc) from exc
    with history_actor(actor):
        mapping.save()
    return mapping


@transaction.atomic
def code_mapping_delete(*, actor: Actor, mapping_id: int) -> None:
    """Remove a mapping (the history keeps what it was): the code goes to triage again."""
    require(actor, "hl7.manage")
    mapping = CodeMapping.objects.select_for_update().get(pk=mapping_id)
    with history_actor(actor):
        mapping.delete()
