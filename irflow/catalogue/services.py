"""Writes of reference data: rooms (with their opening hours and closures) and the procedure
catalogue. Administrators only; every change is kept in the history."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.catalogue.models import (
    BleedingRisk,
    Capability,
    Modality,
    ProcedureType,
    Room,
    RoomClosure,
    RoomKind,
)
from irflow.clinical.inputs import SEDATION_LEVELS
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES
from irflow.lib.db import violates
from irflow.lib.errors import NotFound, ValidationFailed, from_django_validation
from irflow.lib.history import history_actor

MSG_HOURS = "The room must close after it opens."
MSG_WEEKDAYS = "Choose at least one day of the week the room is open."
MSG_WEEKDAY_UNKNOWN = "Days of the week are numbered 1 (Monday) to 7 (Sunday)."
MSG_AE_TITLE = "An AE title has at most 16 letters, digits, spaces or _-. characters."
MSG_AE_TAKEN = "Another room already uses the station AE title {ae}."
MSG_CODE_TAKEN = "The code {code} is already used."
MSG_CLOSURE_ORDER = "The closure must end after it starts."
MSG_CLOSURE_REASON = "Say why the room is closed (shown to whoever books it)."
MSG_NAIVE = "Give the time with its time zone."
MSG_CLOSURE_NOT_FOUND = "This closure does not exist (any more)."
MSG_MODALITIES = "Choose at least one modality the procedure is done under."
MSG_CHOICE = "“{value}” is not one of: {known}."
MSG_DURATION = "The usual duration must be between 5 and 720 minutes."
MSG_SHORTEST = "The shortest slot must be at least 5 minutes and below the usual duration."
MSG_COMPLETION = "“{value}” is not something a record can be required to hold ({known})."
MSG_FOLLOW_UP = "Rule {n}: {problem}"
MSG_FOLLOW_UP_SHAPE = "each rule needs a kind, a number of days (0–3650) and a description."
MSG_TEMPLATE_SHAPE = (
    "The report template has “sections” (each with a key and a label) and optionally "
    "“fields” (each with a key, a label and a type)."
)
MSG_TEMPLATE_DUPLICATE = "The report template uses the key “{key}” twice."
MSG_DEVICE_DEFAULTS = "Device defaults are lists under “places” and “removes”."

# What the procedure record may be required to hold before the procedure is completed
# (irflow.dayofcase.guards checks them; a test keeps the two lists the same).
COMPLETION_REQUIREMENTS = {
    "technical_success": "Technical success",
    "contrast": "Contrast given (agent and volume)",
    "findings": "Findings",
    "devices": "Devices used",
    "specimens": "Specimens taken",
}
WEEKDAY_NUMBERS = range(1, 8)


def _choice(errors: dict[str, str], field: str, value: str, known: list[str]) -> None:
    if value not in known:
        errors[field] = MSG_CHOICE.format(value=value, known=", ".join(known))


def _is_ae_title(value: str) -> bool:
    """PS3.5 AE: at most 16 characters of the default repertoire, not only spaces."""
    return (
        bool(value.strip(" "))
        and len(value) <= 16
        and "\\" not in value
        and all(0x20 <= ord(c) <= 0x7E for c in value)
    )


def _full_clean(row: Any, exclude: list[str] | None = None) -> None:
    try:
        row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _refuse_if_invalid(row: Any, errors: dict[str, str]) -> None:
    """Refuse the row with every problem at once: the model's own checks and those already
    found (which win for the same field)."""
    try:
        _full_clean(row)
    except ValidationFailed as exc:
        errors = {**{k: " ".join(v) for k, v in exc.errors.items()}, **errors}
    if errors:
        raise ValidationFailed(errors)


# ------------------------------------------------------------------ rooms


@transaction.atomic
def room_save(
    *,
    actor: Actor,
    room_id: int | None,
    code: str,
    name: str,
    kind: str,
    modality: str,
    modalities: list[str] = (),  # type: ignore[assignment]
    capabilities: list[str] = (),  # type: ignore[assignment]
    station_ae_title: str = "",
    opens_at: time = time(8, 0),
    closes_at: time = time(18, 0),
    open_weekdays: list[int] = (1, 2, 3, 4, 5),  # type: ignore[assignment]
    active: bool = True,
) -> Room:
    """Create (`room_id` None) or change a room; every field is checked and named when wrong."""
    require(actor, "room.manage")
    room = Room() if room_id is None else Room.objects.select_for_update().get(pk=room_id)
    errors: dict[str, str] = {}
    code, name, station_ae_title = code.strip(), name.strip(), station_ae_title.strip()
    _choice(errors, "kind", kind, RoomKind.values)
    _choice(errors, "modality", modality, Modality.values)
    for value in modalities:
        _choice(errors, "modalities", value, Modality.values)
    for value in capabilities:
        _choice(errors, "capabilities", value, Capability.values)
    if station_ae_title and not _is_ae_title(station_ae_title):
        errors["station_ae_title"] = MSG_AE_TITLE
    elif (
        station_ae_title
        and Room.objects.filter(station_ae_title=station_ae_title).exclude(pk=room.pk).exists()
    ):
        errors["station_ae_title"] = MSG_AE_TAKEN.format(ae=station_ae_title)
    if code and Room.objects.filter(code__iexact=code).exclude(pk=room.pk).exists():
        errors["code"] = MSG_CODE_TAKEN.format(code=code)
    if opens_at >= closes_at:
        errors["closes_at"] = MSG_HOURS
    days = sorted(set(open_weekdays))
    if not days:
        errors["open_weekdays"] = MSG_WEEKDAYS
    elif any(d not in WEEKDAY_NUMBERS for d in days):
        errors["open_weekdays"] = MSG_WEEKDAY_UNKNOWN
    room.code, room.name, room.kind, room.modality = code, name, kind, modality
    room.modalities = [m for m in dict.fromkeys(modalities) if m != modality]
    room.capabilities = list(dict.fromkeys(capabilities))
    room.station_ae_title = station_ae_title
    room.opens_at, room.closes_at, room.open_weekdays = opens_at, closes_at, days
    room.active = active
    _refuse_if_invalid(room, errors)
    with history_actor(actor):
        try:
            with transaction.atomic():
                room.save()
        except IntegrityError as exc:  # a concurrent save took the code or the AE title
            if violates(exc, constraints=("room_unique_station_ae",)):
                raise ValidationFailed(
                    {"station_ae_title": MSG_AE_TAKEN.format(ae=station_ae_title)}
                ) from exc
            raise ValidationFailed({"code": MSG_CODE_TAKEN.format(code=code)}) from exc
    return room


@transaction.atomic
def room_closure_add(
    *, actor: Actor, room_id: int, starts_at: datetime, ends_at: datetime, reason: str
) -> RoomClosure:
    """Close a room from `starts_at` to `ends_at` (with the reason): nothing can be booked in it
    then, emergencies included."""
    require(actor, "room.manage")
    room = Room.objects.select_for_update().get(pk=room_id)
    errors: dict[str, str] = {}
    if timezone.is_naive(starts_at):
        errors["starts_at"] = MSG_NAIVE
    if timezone.is_naive(ends_at):
        errors["ends_at"] = MSG_NAIVE
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = MSG_CLOSURE_ORDER
    reason = reason.strip()
    if not reason:
        errors["reason"] = MSG_CLOSURE_REASON
    elif len(reason) > 200:
        errors["reason"] = "At most 200 characters."
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return RoomClosure.objects.create(
            room=room, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=person(actor)
        )


@transaction.atomic
def room_closure_remove(*, actor: Actor, closure_id: int) -> None:
    """Reopen a room: the closure goes (the history keeps what it was)."""
    require(actor, "room.manage")
    closure = RoomClosure.objects.select_for_update().filter(pk=closure_id).first()
    if closure is None:
        raise NotFound(MSG_CLOSURE_NOT_FOUND)
    with history_actor(actor):
        closure.delete()


# ------------------------------------------------------------------ the procedure catalogue


def _follow_up_problems(rules: object) -> list[str]:
    if not isinstance(rules, list):
        return [MSG_FOLLOW_UP.format(n=1, problem=MSG_FOLLOW_UP_SHAPE)]
    problems = []
    for n, rule in enumerate(rules, start=1):
        ok = (
            isinstance(rule, dict)
            and isinstance(rule.get("kind"), str)
            and rule["kind"].strip()
            and isinstance(rule.get("after_days"), int)
            and not isinstance(rule.get("after_days"), bool)
            and 0 <= rule["after_days"] <= 3650
            and isinstance(rule.get("description"), str)
            and 0 < len(rule["description"].strip()) <= 300
        )
        if not ok:
            problems.append(MSG_FOLLOW_UP.format(n=n, problem=MSG_FOLLOW_UP_SHAPE))
    return problems


def _template_problems(template: object) -> list[str]:
    if template in ({}, None):
        return []  # the generic template
    if not isinstance(template, dict) or not isinstance(template.get("sections"), list):
        return [MSG_TEMPLATE_SHAPE]
    items = [*template["sections"], *template.get("fields", [])]
    if not isinstance(template.get("fields", []), list) or set(template) - {"sections", "fields"}:
        return [MSG_TEMPLATE_SHAPE]
    if not all(isinstance(i, dict) and isinstance(i.get("key"), str) and i["key"] for i in items):
        return [MSG_TEMPLATE_SHAPE]
    keys = [i["key"] for i in items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    return [MSG_TEMPLATE_DUPLICATE.format(key=k) for k in duplicates]


def _device_problems(defaults: object) -> list[str]:
    if defaults in ({}, None):
        return []
    if (
        not isinstance(defaults, dict)
        or set(defaults) - {"places", "removes"}
        or not all(isinstance(v, list) for v in defaults.values())
    ):
        return [MSG_DEVICE_DEFAULTS]
    return []


@transaction.atomic
def procedure_type_save(
    *,
    actor: Actor,
    procedure_id: int | None,
    code: str,
    name: str,
    category: str,
    modalities: list[str],
    bleeding_risk: str,
    default_duration_min: int,
    bleeding_risk_note: str = "",
    shortest_duration_min: int | None = None,
    needs: list[str] = (),  # type: ignore[assignment]
    arterial_access: bool = False,
    uses_contrast: bool = True,
    default_sedation: str = "moderate",
    technical_success_definition: str = "",
    clinical_success_definition: str = "",
    report_template: dict | None = None,
    follow_up_rules: list | None = None,
    completion_requires: list[str] = ("technical_success",),  # type: ignore[assignment]
    device_defaults: dict | None = None,
    active: bool = True,
) -> ProcedureType:
    """Create (`procedure_id` None) or change a procedure of the catalogue; every field is
    checked (the structured ones too) and named when wrong."""
    require(actor, "catalogue.manage")
    procedure = (
        ProcedureType()
        if procedure_id is None
        else ProcedureType.objects.select_for_update().get(pk=procedure_id)
    )
    errors: dict[str, str] = {}
    code, name = code.strip(), name.strip()
    if code and ProcedureType.objects.filter(code__iexact=code).exclude(pk=procedure.pk).exists():
        errors["code"] = MSG_CODE_TAKEN.format(code=code)
    _choice(errors, "category", category, list(PROCEDURE_CATEGORIES))
    _choice(errors, "bleeding_risk", bleeding_risk, BleedingRisk.values)
    _choice(errors, "default_sedation", default_sedation, list(SEDATION_LEVELS))
    if not modalities:
        errors["modalities"] = MSG_MODALITIES
    for value in modalities:
        _choice(errors, "modalities", value, Modality.values)
    for value in needs:
        _choice(errors, "needs", value, Capability.values)
    unknown = [v for v in completion_requires if v not in COMPLETION_REQUIREMENTS]
    if unknown:
        errors["completion_requires"] = MSG_COMPLETION.format(
            value=unknown[0], known=", ".join(COMPLETION_REQUIREMENTS)
        )
    if not 5 <= default_duration_min <= 720:
        errors["default_duration_min"] = MSG_DURATION
    elif shortest_duration_min is not None and not (
        5 <= shortest_duration_min < default_duration_min
    ):
        errors["shortest_duration_min"] = MSG_SHORTEST
    for field, problems in (
        ("report_template", _template_problems(report_template)),
        ("follow_up_rules", _follow_up_problems(follow_up_rules or [])),
        ("device_defaults", _device_problems(device_defaults)),
    ):
        if problems:
            errors[field] = " ".join(problems)
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "category": category,
        "modalities": list(dict.fromkeys(modalities)),
        "bleeding_risk": bleeding_risk,
        "bleeding_risk_note": bleeding_risk_note.strip(),
        "default_duration_min": default_duration_min,
        "shortest_duration_min": shortest_duration_min,
        "needs": list(dict.fromkeys(needs)),
        "arterial_access": arterial_access,
        "uses_contrast": uses_contrast,
        "default_sedation": default_sedation,
        "technical_success_definition": technical_success_definition.strip(),
        "clinical_success_definition": clinical_success_definition.strip(),
        "report_template": report_template or {},
        "follow_up_rules": follow_up_rules or [],
        "completion_requires": list(dict.fromkeys(completion_requires)),
        "device_defaults": device_defaults or {},
        "active": active,
    }
    for name, value in values.items():
        setattr(procedure, name, value)
    _refuse_if_invalid(procedure, errors)
    with history_actor(actor):
        try:
            with transaction.atomic():
                procedure.save()
        except IntegrityError as exc:  # a concurrent save took the code
            raise ValidationFailed({"code": MSG_CODE_TAKEN.format(code=code)}) from exc
    return procedure
