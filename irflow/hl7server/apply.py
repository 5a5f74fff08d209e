"""Applying a received message through irflow's services, as the system actor.

Patients (ADT A01/A04/A05/A08/A31). The patient is found by a PID-3 identifier and its
issuer: the assigning authority PID-3.4 (its namespace, else its universal ID) mapped through
IRFLOW_HL7_ISSUERS, or — when the sender names none, as Epic does — the hospital's MRN issuer
IRFLOW_MRN_ISSUER (the hospital's own system speaks for the hospital's MRN). National numbers
(PID-3 of type NH, NI, SS, NN; PID-19) are added to the record but never identify it: test and
placeholder numbers are shared by many patients. A message changes only what it says: an
empty field leaves the value, HL7's null `""` clears it (not for the values irflow cannot do
without: names, date of birth). The patient's row is locked while a message applies, so that
two messages for one patient apply one after the other, in the order they were stored.

Merges (A40) go through `patients.services.patient_merge`: the record of MRG-1 is merged into
the record of PID-3 (created from PID if irflow does not know it yet). Its identifiers move to
the surviving record; a later message naming one of them is applied to the surviving record
and says so, or refused (AE naming PID-3) when IRFLOW_HL7_MERGED_IDENTIFIER is "reject".
A47 changes the identifier of MRG-1 to PID-3's, on the same patient.

Orders (ORM^O01, OMI^O23, OMG^O19). A placer order from the hospital's EHR has been placed by
a clinician with the right to order it; an IR department books such requests as they come
(the "order from the EHR" of the demo and of the orders API). So an order whose procedure
irflow knows (`CodeMapping` for this sender or any sender, by OBR-4 code and coding system;
else the catalogue's own code) becomes an order at once, with the placer's number, and with
the placer's accession number, requested procedure ID and Study Instance UID when it sends
them and they are free (identifiers must match across HL7 and DICOM). An order whose
procedure irflow cannot name would be a guess: it becomes a referral in the triage queue, from
the interface's account, with OBR-4 as sent, so that an IR physician decides — never dropped.
The placer's number is remembered (`PlacerOrder`): a repeated NW is not a second order, and
CA (cancel), XO and SC (change) find the order or the referral again. An order's PID
registers a patient irflow does not know yet; it does not change one it knows (ADT does).

Everything else that is valid (A02, A03, other order controls, …) is acknowledged and recorded
as ignored, with the reason in words. A service's refusal becomes an AE naming the HL7 field
that carried the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.accounts.services import user_create
from irflow.catalogue.models import ProcedureType
from irflow.hl7.inbound import (
    IdentifierData,
    OrderData,
    PatientData,
    merge_data,
    order_data,
    patient_data,
    require_procedure,
)
from irflow.hl7.parse import (
    APPLICATION_INTERNAL_ERROR,
    DATA_TYPE_ERROR,
    DUPLICATE_KEY_IDENTIFIER,
    REQUIRED_FIELD_MISSING,
    TABLE_VALUE_NOT_FOUND,
    UNKNOWN_KEY_IDENTIFIER,
    UNSUPPORTED_EVENT_CODE,
    HL7Error,
    Message,
    rejected,
)
from irflow.hl7server.models import CodeMapping, Inbound, InboundMessage, PlacerOrder
from irflow.lib.errors import ServiceError, ValidationFailed
from irflow.orders.models import Order, OrderStatus
from irflow.orders.services import order_amend, order_create
from irflow.patients.models import IdentifierKind, Patient, PatientIdentifier, PatientMerge
from irflow.patients.services import (
    identifier_add,
    identifier_change,
    patient_create,
    patient_merge,
    patient_update,
)
from irflow.referrals.models import ReferralStatus
from irflow.referrals.services import referral_add_information, referral_cancel, referral_create
from irflow.scheduling.services import order_cancel

# ADT triggers that change a patient; the others of A01–A62 are valid and ignored.
PATIENT_EVENTS = frozenset({"A01", "A04", "A05", "A08", "A31"})
ORDER_TRIGGERS = {"ORM": "O01", "OMI": "O23", "OMG": "O19"}
_ADT_TRIGGER = re.compile(r"^A(\d\d)$")

# The account referrals from the hospital's EHR come from (created on first use; no password:
# it cannot sign in).
INTERFACE_USERNAME = "hl7-interface"
INTERFACE_NAME = "HL7 interface"

MAX_IDENTIFIER = PatientIdentifier._meta.get_field("value").max_length or 64

# Service field names → the HL7 field that carried the value.
PATIENT_LOCATIONS = {
    "family_name": "PID-5",
    "given_name": "PID-5",
    "birth_date": "PID-7",
    "sex": "PID-8",
    "address": "PID-11",
    "phone": "PID-13",
    "mrn": "PID-3",
    "value": "PID-3",
    "new_value": "PID-3",
    "issuer": "PID-3",
    "target_id": "PID-3",
    "source_id": "MRG-1",
}
ORDER_LOCATIONS = {
    "procedure_type": "OBR-4",
    "priority": "ORC-7",
    "clinical_indication": "OBR-31",
    "clinical_question": "OBR-31",
    "urgency": "ORC-7",
    "requested_procedure_text": "OBR-4",
    "referring_clinician": "ORC-12",
    "reason": "ORC-1",
    "placer_order_number": "ORC-2",
}


@dataclass(frozen=True)
class Applied:
    status: str  # Inbound.APPLIED or Inbound.IGNORED
    outcome: str  # what was done, in words
    patient_id: int | None = None


def _no_nul_character(parsed: Message) -> None:
    """A NUL character means nothing in HL7 text and no database keeps it: a value holding one
    is refused (AE naming its field), never applied with the character silently dropped."""
    for segment in parsed.segments:
        if segment.name == "MSH":
            continue
        for number in range(1, 100):
            if "\x00" in segment.raw(number):
                raise HL7Error(
                    "The value holds a NUL character (0x00).",
                    location=f"{segment.name}-{number}",
                    error_code=DATA_TYPE_ERROR,
                )


def apply(message: InboundMessage, parsed: Message) -> Applied:
    """Apply one stored message; raises HL7Error (AE/AR) and then nothing of it is applied.

    Called inside the transaction that stores the message; the caller sets the status."""
    header = parsed.header
    code, trigger = header.message_code.upper(), header.trigger.upper()
    if code == "ADT":
        match = _ADT_TRIGGER.match(trigger)
        if match is None or not 1 <= int(match.group(1)) <= 62:
            raise rejected(
                f"ADT^{trigger or '(empty)'} is not an ADT event.",
                location="MSH-9",
                error_code=UNSUPPORTED_EVENT_CODE,
            )
    elif code in ORDER_TRIGGERS:
        if trigger != ORDER_TRIGGERS[code]:
            raise rejected(
                f"{code}^{trigger or '(empty)'}: {code} comes with {ORDER_TRIGGERS[code]}.",
                location="MSH-9",
                error_code=UNSUPPORTED_EVENT_CODE,
            )
    else:
        raise rejected(f"Message type {code or '(empty)'} is not supported.", location="MSH-9")
    _no_nul_character(parsed)
    with transaction.atomic():
        applied = _apply(message, parsed, code, trigger)
        if applied.patient_id is not None:
            message.patient_id = applied.patient_id
            if message.pk is not None:
                InboundMessage.objects.filter(pk=message.pk).update(patient=applied.patient_id)
    return applied


def _apply(message: InboundMessage, parsed: Message, code: str, trigger: str) -> Applied:
    if code == "ADT":
        if trigger in PATIENT_EVENTS:
            return _patient_event(parsed)
        if trigger == "A40":
            return _merge(message, parsed)
        if trigger == "A47":
            return _identifier_change(parsed)
        return Applied(
            Inbound.IGNORED,
            f"ADT^{trigger}: a valid event that irflow does not act on (it does not track "
            "admissions, transfers or stays).",
        )
    return _order_message(message, parsed)


# ---------------------------------------------------------------- errors


@contextmanager
def _fields(locations: dict[str, str], default: str) -> Iterator[None]:
    """A service's refusal → an AE naming the HL7 field that carried the value."""
    try:
        yield
    except ValidationFailed as exc:
        name, messages = next(iter(exc.errors.items()))
        location = locations.get(name, default)
        text = " ".join(messages)
        if "required" in text.lower():
            code = REQUIRED_FIELD_MISSING
        elif "valid choice" in text.lower():
            code = TABLE_VALUE_NOT_FOUND
        else:
            code = DATA_TYPE_ERROR
        raise HL7Error(text, location=location, error_code=code) from exc
    except ServiceError as exc:
        raise HL7Error(
            exc.message, location=default, error_code=APPLICATION_INTERNAL_ERROR
        ) from exc


# ---------------------------------------------------------------- patients


def _issuer(ident: IdentifierData) -> str:
    social = ident.location == "PID-19" or ident.type_code.upper() == "SS"
    if social and not ident.authority:
        return settings.IRFLOW_HL7_SSN_ISSUER[:64]
    if not ident.authority:
        if ident.national:
            return ident.type_code.upper()[:64]
        return settings.IRFLOW_MRN_ISSUER
    return settings.IRFLOW_HL7_ISSUERS.get(ident.authority, ident.authority)[:64]


def _kind(ident: IdentifierData) -> str:
    if ident.national:
        return IdentifierKind.NATIONAL
    if ident.type_code.upper() in ("", "MR", "MRN", "PI", "PT", "PN", "EPI", "MRT"):
        return IdentifierKind.MRN
    return IdentifierKind.OTHER


def _keys(data: PatientData) -> list[IdentifierData]:
    """The identifiers that find a patient: PID-3's, national numbers apart."""
    return [i for i in data.identifiers if i.location == "PID-3" and not i.national]


@dataclass
class Found:
    patient: Patient | None
    merged: str = ""  # the merged identifier named, in words, when it came by a merge


def _find(keys: list[IdentifierData], location: str = "PID-3") -> Found:
    """The patient these identifiers name (locked), refusing identifiers of two patients."""
    if not keys:
        raise HL7Error(
            f"{location} gives no patient identifier irflow can match (only national numbers).",
            location=location,
            error_code=REQUIRED_FIELD_MISSING,
        )
    query = Q()
    for ident in keys:
        if len(ident.value) > MAX_IDENTIFIER:
            raise HL7Error(
                f"Identifier “{ident.value[:20]}…” is longer than {MAX_IDENTIFIER} characters.",
                location=location,
                error_code=DATA_TYPE_ERROR,
            )
        query |= Q(issuer=_issuer(ident), value=ident.value)
    rows = list(PatientIdentifier.objects.filter(query))
    patients = {row.patient_id for row in rows}
    if len(patients) > 1:
        raise HL7Error(
            f"The identifiers of {location} belong to {len(patients)} different patients in "
            "irflow; merge them first (A40).",
            location=location,
            error_code=DUPLICATE_KEY_IDENTIFIER,
        )
    if not rows:
        return Found(None)
    patient = Patient.objects.select_for_update().get(pk=rows[0].patient_id)
    merged = [row for row in rows if _came_by_merge(row)]
    if len(merged) < len(rows):  # it names the surviving record's own identifier too
        return Found(patient)
    row = merged[0]
    said = f"{location} {row.value} ({row.issuer}) was merged into patient {patient.pk}"
    if settings.IRFLOW_HL7_MERGED_IDENTIFIER == "reject":
        raise HL7Error(
            f"{said}: use the surviving record's identifier.",
            location=location,
            error_code=UNKNOWN_KEY_IDENTIFIER,
        )
    return Found(patient, merged=f"{said}: applied to the surviving record.")


def _came_by_merge(row: PatientIdentifier) -> bool:
    for merge in PatientMerge.objects.filter(target_id=row.patient_id):
        if row.pk in (merge.moved or {}).get(PatientIdentifier._meta.label, []):
            return True
    return False


def _primary(keys: list[IdentifierData]) -> IdentifierData:
    mrns = [i for i in keys if _kind(i) == IdentifierKind.MRN]
    hospital = [i for i in mrns if _issuer(i) == settings.IRFLOW_MRN_ISSUER]
    return (hospital or mrns or keys)[0]


def _required(value: str | None, location: str, what: str) -> str:
    if not value:
        raise HL7Error(
            f"irflow needs the patient's {what}.",
            location=location,
            error_code=REQUIRED_FIELD_MISSING,
        )
    return value


def _create(data: PatientData) -> Patient:
    keys = _keys(data)
    primary = _primary(keys)
    birth_date = data.birth_date
    if birth_date is None:
        raise HL7Error(
            "irflow needs the patient's date of birth.",
            location="PID-7",
            error_code=REQUIRED_FIELD_MISSING,
        )
    extra = {
        name: value
        for name, value in (("phone", data.phone), ("address", data.address))
        if value is not None
    }
    with _fields(PATIENT_LOCATIONS, "PID"):
        patient = patient_create(
            actor=SYSTEM,
            mrn=primary.value,
            issuer=_issuer(primary),
            family_name=_required(data.family_name, "PID-5", "family name"),
            given_name=_required(data.given_name, "PID-5", "given name"),
            birth_date=birth_date,
            sex=data.sex or "U",
            **extra,
        )
    return patient


def _add_identifiers(patient: Patient, data: PatientData) -> list[str]:
    """Identifiers the message names that the record lacks; notes of those left out."""
    notes = []
    have = {(i.issuer, i.value) for i in PatientIdentifier.objects.filter(patient=patient)}
    for ident in data.identifiers:
        issuer = _issuer(ident)
        if (issuer, ident.value) in have:
            continue
        owner = PatientIdentifier.objects.filter(issuer=issuer, value=ident.value).first()
        if owner is not None:
            if not ident.national:
                raise HL7Error(
                    f"Identifier {ident.value} ({issuer}) belongs to another patient in irflow.",
                    location=ident.location,
                    error_code=DUPLICATE_KEY_IDENTIFIER,
                )
            notes.append(
                f"{ident.location} {ident.value} ({issuer}) is another patient's: not added."
            )
            continue
        with _fields({"value": ident.location}, ident.location):
            identifier_add(
                actor=SYSTEM,
                patient_id=patient.pk,
                issuer=issuer,
                value=ident.value[:64],
                kind=_kind(ident),
            )
        have.add((issuer, ident.value))
    return notes


def _changes(patient: Patient, data: PatientData) -> dict[str, Any]:
    """What the message changes: sent values that differ; "" clears what may be empty."""
    if data.family_name == "":
        _required(None, "PID-5", 'family name ("" cannot clear it)')
    if data.given_name == "":
        _required(None, "PID-5", 'given name ("" cannot clear it)')
    if data.birth_date_cleared:
        _required(None, "PID-7", 'date of birth ("" cannot clear it)')
    sent = {
        "family_name": data.family_name,
        "given_name": data.given_name,
        "birth_date": data.birth_date,
        "sex": "U" if data.sex == "" else data.sex,
        "address": data.address,
        "phone": data.phone,
    }
    return {
        name: value
        for name, value in sent.items()
        if value is not None and getattr(patient, name) != value
    }


def _upsert(data: PatientData, *, update: bool = True) -> tuple[Patient, list[str]]:
    """The patient of PID, created or (with `update`) brought up to what PID says."""
    found = _find(_keys(data))
    notes = [found.merged] if found.merged else []
    if found.patient is None:
        try:
            with transaction.atomic():
                created = _create(data)
        except HL7Error as exc:
            # Another message registered them meanwhile: apply onto that record.
            again = _find(_keys(data)) if exc.location == "PID-3" else Found(None)
            if again.patient is None:
                raise
            found = again
        else:
            notes.append(f"Patient {created.pk} registered ({created}).")
            notes += _add_identifiers(created, data)
            return created, notes
    patient = found.patient
    if patient is None:  # pragma: no cover - found again above
        raise HL7Error("The patient could not be registered.", location="PID-3")
    if update:
        changes = _changes(patient, data)
        if changes:
            with _fields(PATIENT_LOCATIONS, "PID"):
                patient = patient_update(actor=SYSTEM, patient_id=patient.pk, **changes)
            notes.append(f"Patient {patient.pk} updated: {', '.join(sorted(changes))}.")
        else:
            notes.append(f"Patient {patient.pk}: nothing to change.")
    notes += _add_identifiers(patient, data)
    return patient, notes


def _patient_event(parsed: Message) -> Applied:
    patient, notes = _upsert(patient_data(parsed))
    return Applied(Inbound.APPLIED, " ".join(notes), patient.pk)


def _merge(message: InboundMessage, parsed: Message) -> Applied:
    data = patient_data(parsed)
    merge = merge_data(parsed)
    header = parsed.header
    old = merge.identifier
    old_row = (
        PatientIdentifier.objects.filter(issuer=_issuer(old), value=old.value)
        .select_related("patient")
        .first()
    )
    target, notes = _upsert(data)
    source_name = f"MRG-1 {old.value} ({_issuer(old)})"
    if old_row is None:
        notes.append(f"{source_name} is not known to irflow: nothing to merge.")
        return Applied(Inbound.APPLIED, " ".join(notes), target.pk)
    if old_row.patient_id == target.pk:
        notes.append(f"{source_name} is already on patient {target.pk}: already merged.")
        return Applied(Inbound.APPLIED, " ".join(notes), target.pk)
    reason = (
        f"HL7 ADT^A40 from {header.sending_application or 'the sender'}, message "
        f"{header.control_id}: {old.value} merged into {data.identifiers[0].value}."
    )
    with _fields(PATIENT_LOCATIONS, "MRG-1"):
        done = patient_merge(
            actor=SYSTEM, source_id=old_row.patient_id, target_id=target.pk, reason=reason[:300]
        )
    named = f" ({merge.name})" if merge.name else ""
    notes.append(f"Patient {done.source_id}{named} merged into patient {target.pk}.")
    return Applied(Inbound.APPLIED, " ".join(notes), target.pk)


def _identifier_change(parsed: Message) -> Applied:
    data = patient_data(parsed)
    old = merge_data(parsed).identifier
    new = _keys(data)[0] if _keys(data) else data.identifiers[0]
    issuer = _issuer(old)
    row = PatientIdentifier.objects.filter(issuer=issuer, value=old.value).first()
    if row is None:
        already = PatientIdentifier.objects.filter(issuer=_issuer(new), value=new.value).first()
        if already is not None:
            return Applied(
                Inbound.IGNORED,
                f"MRG-1 {old.value} is unknown and PID-3 {new.value} is already patient "
                f"{already.patient_id}'s: nothing to change.",
                already.patient_id,
            )
        raise HL7Error(
            f"No patient has identifier {old.value} ({issuer}).",
            location="MRG-1",
            error_code=UNKNOWN_KEY_IDENTIFIER,
        )
    Patient.objects.select_for_update().get(pk=row.patient_id)
    taken = PatientIdentifier.objects.filter(issuer=_issuer(new), value=new.value).first()
    if taken is not None and taken.pk != row.pk:
        raise HL7Error(
            f"Identifier {new.value} ({_issuer(new)}) is already patient {taken.patient_id}'s: "
            "merge the records (A40) instead.",
            location="PID-3",
            error_code=DUPLICATE_KEY_IDENTIFIER,
        )
    with _fields(PATIENT_LOCATIONS, "PID-3"):
        identifier_change(
            actor=SYSTEM,
            issuer=issuer,
            value=old.value,
            new_value=new.value[:64],
            new_issuer=_issuer(new),
        )
    return Applied(
        Inbound.APPLIED,
        f"Patient {row.patient_id}: identifier {old.value} ({issuer}) is now {new.value} "
        f"({_issuer(new)}).",
        row.patient_id,
    )


# ---------------------------------------------------------------- orders


def _procedure(sender: str, order: OrderData) -> ProcedureType | None:
    """The catalogue entry OBR-4 names: the sender's mapping, any sender's, the catalogue."""
    if not order.code:
        return None
    mappings = CodeMapping.objects.filter(
        code=order.code,
        sending_application__in=[sender, ""],
        coding_system__in=[order.code_system, ""],
        procedure_type__active=True,
    ).select_related("procedure_type")
    best = sorted(
        mappings,
        key=lambda m: (m.sending_application != sender, m.coding_system != order.code_system),
    )
    if best:
        return best[0].procedure_type
    return ProcedureType.objects.filter(code=order.code, active=True).first()


def _interface_account() -> User:
    account = User.objects.filter(username=INTERFACE_USERNAME).first()
    if account is None:
        account = user_create(
            actor=SYSTEM,
            username=INTERFACE_USERNAME,
            role=Role.INTEGRATION,
            display_name=INTERFACE_NAME,
        )
    return account


def _indication(order: OrderData) -> str:
    parts = [order.reason]
    if order.ordering_provider:
        parts.append(f"Ordered by {order.ordering_provider}.")
    if order.requested_start is not None:
        parts.append(f"Requested for {order.requested_start:%Y-%m-%d %H:%M}.")
    return " ".join(p for p in parts if p)


def _details(order: OrderData) -> list[str]:
    """What the order said that irflow does not keep as such, for the outcome."""
    said = []
    if order.priority_sent:
        said.append(f"priority “{order.priority_sent}” not understood: routine")
    if order.requested_start is not None:
        said.append(f"requested for {order.requested_start:%Y-%m-%d %H:%M}")
    if order.sps_id:
        said.append(f"step {order.sps_id}")
    if order.modality:
        said.append(f"modality {order.modality}")
    if order.station_aets:
        said.append("stations " + ", ".join(order.station_aets))
    return said


def _order_message(message: InboundMessage, parsed: Message) -> Applied:
    order = order_data(parsed)
    header = parsed.first("MSH")
    sender = header.get(3).strip() if header is not None else ""
    placer = (order.placer_namespace or sender or "?")[:227]
    number = order.placer_number[:199]
    link = _link(placer, number)
    name = f"Placer order {number} ({placer})"
    if order.control == "NW":
        if link is None:
            # Claim the number first: a concurrent NW for it waits here, then finds it taken.
            try:
                with transaction.atomic():
                    link = PlacerOrder.objects.create(
                        placer=placer,
                        number=number,
                        filler_number=order.filler_number[:199],
                        message=message if message.pk else None,
                    )
            except IntegrityError:
                link = _link(placer, number)
            else:
                return _new_order(parsed, order, sender, link)
        assert link is not None
        what = (
            f"order {link.order.accession_number}"
            if link.order is not None
            else f"referral {link.referral_id}"
        )
        return Applied(
            Inbound.IGNORED,
            f"{name} was already received ({what}): not a second order.",
            _link_patient(link),
        )
    if order.control not in ("CA", "XO", "SC"):
        return Applied(
            Inbound.IGNORED,
            f"ORC-1 {order.control}: an order control irflow does not act on ({name}).",
            _link_patient(link),
        )
    if link is None:
        raise HL7Error(
            f"{name} is not known to irflow.",
            location="ORC-2",
            error_code=UNKNOWN_KEY_IDENTIFIER,
        )
    if order.control == "CA":
        return _cancel(parsed, link, name)
    return _change(parsed, order, sender, link, name)


def _link(placer: str, number: str) -> PlacerOrder | None:
    """The placer's order as irflow has it, locked (the order and referral read along)."""
    return (
        PlacerOrder.objects.select_for_update(of=("self",))
        .filter(placer=placer, number=number)
        .select_related("order", "referral")
        .first()
    )


def _link_patient(link: PlacerOrder | None) -> int | None:
    if link is None:
        return None
    target = link.order or link.referral
    return target.patient_id if target is not None else None


def _new_order(parsed: Message, order: OrderData, sender: str, link: PlacerOrder) -> Applied:
    """NW: the order (or the referral) for the placer number `link` has just claimed."""
    placer, number = link.placer, link.number
    require_procedure(order)
    name = f"Placer order {number} ({placer})"
    patient, notes = _upsert(patient_data(parsed), update=False)
    procedure = _procedure(sender, order)
    priority = order.priority or "routine"
    details = _details(order)
    if procedure is not None:
        with _fields(ORDER_LOCATIONS, "ORC"):
            made = order_create(
                actor=SYSTEM,
                patient_id=patient.pk,
                procedure_type=procedure,
                priority=priority,
                clinical_indication=_indication(order),
                placer_order_number=number[:40],
                accession_number=order.accession_number,
                requested_procedure_id=order.requested_procedure_id,
                study_instance_uid=order.study_instance_uid,
            )
        link.order = made
        link.save(update_fields=["order"])
        notes.append(
            f"Order {made.accession_number} created: {procedure.name} ({priority}), "
            f"placer order {number}."
        )
        for label, sent, kept in (
            ("accession number", order.accession_number, made.accession_number),
            ("requested procedure ID", order.requested_procedure_id, made.requested_procedure_id),
            ("Study Instance UID", order.study_instance_uid, made.study_instance_uid),
        ):
            if sent and sent != kept:
                notes.append(
                    f"The sender's {label} {sent} is taken or too long: irflow's is {kept}."
                )
    else:
        header = parsed.header
        question = order.reason or f"Order from {sender or 'the EHR'}: {order.procedure}"
        history = [
            f"{name}, HL7 {header.message_type} message {header.control_id}.",
            f"Requested procedure (OBR-4) as sent: {order.procedure}.",
            *[d[:1].upper() + d[1:] + "." for d in details],
        ]
        if order.ordering_provider:
            history.append(f"Ordered by {order.ordering_provider}.")
        with _fields(ORDER_LOCATIONS, "ORC"):
            referral = referral_create(
                actor=SYSTEM,
                referrer_id=_interface_account().pk,
                patient_id=patient.pk,
                clinical_question=question,
                urgency=priority,
                requested_procedure_text=(order.code_text or order.procedure)[:200],
                referring_clinician=(order.ordering_provider or sender or "EHR")[:150],
                referrer_specialty=sender[:100],
                relevant_history="\n".join(history),
            )
        link.referral = referral
        link.save(update_fields=["referral"])
        notes.append(
            f"Procedure code {order.procedure} is not in the code mapping or the catalogue: "
            f"referral {referral.pk} waits in the triage queue with the text as sent "
            f"(placer order {number})."
        )
    if details:
        notes.append("Also sent: " + "; ".join(details) + ".")
    return Applied(Inbound.APPLIED, " ".join(notes), patient.pk)


def _cancel(parsed: Message, link: PlacerOrder, name: str) -> Applied:
    header = parsed.header
    reason = f"Cancelled by {header.sending_application or 'the placer'} (HL7 ORC-1 CA, " + (
        f"message {header.control_id})."
    )
    if link.referral is not None:
        referral = link.referral
        if referral.status == ReferralStatus.CANCELLED:
            return Applied(
                Inbound.IGNORED, f"{name}: referral {referral.pk} already cancelled.", _pid(link)
            )
        with _fields(ORDER_LOCATIONS, "ORC-1"):
            referral_cancel(actor=SYSTEM, referral_id=referral.pk, reason=reason)
        return Applied(
            Inbound.APPLIED,
            f"{name}: referral {referral.pk} cancelled (and its order).",
            _pid(link),
        )
    made = link.order
    assert made is not None
    if made.status == OrderStatus.CANCELLED:
        return Applied(
            Inbound.IGNORED, f"{name}: order {made.accession_number} already cancelled.", _pid(link)
        )
    with _fields(ORDER_LOCATIONS, "ORC-1"):
        order_cancel(actor=SYSTEM, order_id=made.pk, reason=reason)
    return Applied(
        Inbound.APPLIED,
        f"{name}: order {made.accession_number} cancelled, with its bookings not yet started.",
        _pid(link),
    )


def _pid(link: PlacerOrder) -> int | None:
    return _link_patient(link)


def _change(
    parsed: Message, order: OrderData, sender: str, link: PlacerOrder, name: str
) -> Applied:
    procedure = _procedure(sender, order)
    made: Order | None = link.order
    if made is None and link.referral is not None:
        made = link.referral.order
    if made is not None:
        changes: dict[str, object] = {}
        if procedure is not None and procedure.pk != made.procedure_type_id:
            changes["procedure_type"] = procedure
        if order.priority and order.priority != made.priority:
            changes["priority"] = order.priority
        indication = _indication(order)
        if indication and indication != made.clinical_indication:
            changes["clinical_indication"] = indication
        unknown = (
            f" OBR-4 {order.procedure} is not in the code mapping or the catalogue: the "
            "procedure is unchanged."
            if order.code and procedure is None
            else ""
        )
        if not changes:
            return Applied(
                Inbound.IGNORED,
                f"{name} (ORC-1 {order.control}): order {made.accession_number} already says this."
                f"{unknown}",
                made.patient_id,
            )
        with _fields(ORDER_LOCATIONS, "ORC-1"):
            order_amend(actor=SYSTEM, order_id=made.pk, **changes)  # type: ignore[arg-type]
        return Applied(
            Inbound.APPLIED,
            f"{name} (ORC-1 {order.control}): order {made.accession_number} changed: "
            f"{', '.join(sorted(changes))}.{unknown}",
            made.patient_id,
        )
    referral = link.referral
    assert referral is not None
    text = f"{name} changed by the placer (ORC-1 {order.control}): {order.procedure}" + (
        f"; {order.reason}" if order.reason else ""
    )
    if referral.status not in (ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO):
        return Applied(
            Inbound.IGNORED,
            f"{text}. Referral {referral.pk} is {referral.get_status_display().lower()}: "
            "the change is not applied (triage has decided).",
            referral.patient_id,
        )
    with _fields(ORDER_LOCATIONS, "ORC-1"):
        referral_add_information(actor=SYSTEM, referral_id=referral.pk, information=text)
    return Applied(
        Inbound.APPLIED,
        f"{text}. Added to referral {referral.pk}, which waits for triage.",
        referral.patient_id,
    )
