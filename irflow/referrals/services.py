"""Writes of referrals: submit, add information, triage, order, cancel; notifications.

Every status change goes through `irflow.referrals.transitions.transition`: it checks the
declared state machine, records an event in the referral's timeline and notifies the referrer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, SystemActor, person, person_only
from irflow.accounts.models import User
from irflow.accounts.permissions import OWN, require
from irflow.accounts.roles import Role
from irflow.catalogue.models import ProcedureType
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, InvalidTransition, ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Laterality, Order, OrderStatus, Priority
from irflow.orders.services import order_create
from irflow.patients.models import CareRelation, Patient, PatientIdentifier, normalise_name
from irflow.patients.reported import lines
from irflow.patients.selectors import patient_get, patients_visible
from irflow.patients.services import MSG_MRN_TAKEN, patient_create, reported_entries_add
from irflow.referrals.attachments import (
    MSG_DUPLICATE,
    CheckedFile,
    StagedFiles,
    UploadLike,
    check_file,
    check_files,
    staged_files,
)
from irflow.referrals.models import (
    REFERRAL_STATES,
    Notification,
    PatientMatch,
    Referral,
    ReferralAttachment,
    ReferralEvent,
    ReferralStatus,
)
from irflow.referrals.selectors import referral_get
from irflow.referrals.transitions import notify_referrer, transition
from irflow.scheduling.services import order_cancel

MSG_QUESTION_REQUIRED = "Write the clinical question: what should IR answer or do?"
MSG_PROCEDURE_REQUIRED = "Choose a procedure from the catalogue or describe the one you request."
MSG_URGENCY = "Choose an urgency: emergent, urgent or routine."
MSG_PATIENT_REQUIRED = "Choose the patient, or give the details of a new one."
MSG_MRN_OTHER_PATIENT = (
    "MRN {mrn} belongs to a patient with another name or date of birth. Check the details."
)
MSG_DECLINE_REASON = "Give the reason for declining, for the referrer."
MSG_INFO_QUESTION = "Say what information is needed."
MSG_INFO_REQUIRED = "Write the information you are adding."
MSG_INFO_NOT_WAITING = "Information can be added while the referral waits for triage."
MSG_CANCEL_REASON = "Give a reason for cancelling the referral."
MSG_CANCEL_ASK_IR = "The procedure is already ordered: ask the IR department to cancel it."
MSG_CHOOSE_PROCEDURE = "Choose the procedure from the catalogue before it can be ordered."
MSG_MATCH_FIRST = (
    "Confirm the patient first: is this referral for the patient on record with MRN {mrn}?"
)
MSG_MATCH_SETTLED = "The patient of this referral is already settled."
MSG_REATTACH_ONE = "Choose the right patient on record, or give the details of a new one."
MSG_REATTACH_SAME = "That is the patient on record: confirm it as the same patient instead."

# The reason of the care relation a referral gives its referrer (`CareRelation.reason`);
# cancelling the referral ends it unless another referral of theirs for the patient holds.
CARE_FROM_REFERRAL = "referral"

NEW_PATIENT_FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")


def _locked(*, actor: Actor, referral_id: int, action: str) -> Referral:
    """The referral, if `actor` may see it under `action`, locked for this transaction."""

    referral = referral_get(actor=actor, referral_id=referral_id, what="change", action=action)
    return Referral.objects.select_for_update().select_related("patient").get(pk=referral.pk)


def _submitted(new_patient: dict[str, Any]) -> dict[str, str]:
    """The patient as typed, kept with the referral (what the referrer sees until IR
    confirms the match)."""
    keep = (*NEW_PATIENT_FIELDS, "issuer")
    return {k: str(new_patient[k]).strip() for k in keep if new_patient.get(k) not in (None, "")}


def _patient_for_referral(actor: Actor, new_patient: dict[str, Any]) -> tuple[Patient, bool]:
    """Find the patient by MRN among those `actor` may see, or register them; and whether
    IR must confirm the match first.

    A referrer who sends a patient IR already knows (same MRN, family name and date of
    birth) but who does not care for them yet is not given that record: the referral waits
    for IR staff to confirm that it is the same patient (`referral_patient_confirm`), or to
    attach it to the right one (`referral_patient_reattach`). Only then does the referral
    make them one of the patient's carers.
    """
    missing = {f: "This field is required." for f in NEW_PATIENT_FIELDS if not new_patient.get(f)}
    if missing:
        raise ValidationFailed(missing)
    mrn = str(new_patient["mrn"]).strip()
    birth_date = new_patient["birth_date"]
    if isinstance(birth_date, str):
        try:
            birth_date = date.fromisoformat(birth_date)
        except ValueError as exc:
            raise ValidationFailed({"birth_date": "Enter a valid date."}) from exc
    issuer = new_patient.get("issuer") or settings.IRFLOW_MRN_ISSUER
    existing = Patient.objects.filter(
        is_active=True, identifiers__issuer=issuer, identifiers__value=mrn
    ).first()
    if existing is None:
        return patient_create(actor=actor, **{**new_patient, "birth_date": birth_date}), False
    same_person = existing.birth_date == birth_date and normalise_name(
        existing.family_name
    ) == normalise_name(str(new_patient["family_name"]))
    if patients_visible(actor=actor, action="patient.create").filter(pk=existing.pk).exists():
        if not same_person:
            raise ValidationFailed({"mrn": MSG_MRN_OTHER_PATIENT.format(mrn=mrn)})
        return existing, False
    if not same_person or actor.role != Role.REFERRER:
        raise ValidationFailed({"mrn": MSG_MRN_TAKEN.format(mrn=mrn, issuer=issuer)})
    return existing, True


def _attach(
    referral: Referral, files: list[CheckedFile], stage: StagedFiles, actor: Actor
) -> list[ReferralAttachment]:
    """Write each file, then its row; a refused row leaves the files to the stage's cleanup."""
    created = []
    for checked in files:
        stored = stage.write(checked)
        try:
            with transaction.atomic():
                attachment = ReferralAttachment.objects.create(
                    referral=referral,
                    stored_name=stored,
                    original_name=checked.name,
                    content_type=checked.content_type,
                    size_bytes=len(checked.content),
                    sha256=checked.sha256,
                    uploaded_by=person(actor),
                )
        except IntegrityError as exc:
            if not violates(
                exc, constraints=("referral_attachment_once",), unique=[("referral_id", "sha256")]
            ):
                raise
            raise ValidationFailed(
                {"attachments": MSG_DUPLICATE.format(name=checked.name)}
            ) from exc
        created.append(attachment)
    return created


def referral_problems(
    *,
    clinical_question: str,
    urgency: str,
    procedure_chosen: bool,
    requested_procedure_text: str,
    laterality: str,
    patient_given: bool,
) -> dict[str, str]:
    """What `referral_create` would refuse in what a referral says, by field, before any
    look-up: the referral form asks it too, so that every message shows at the first try."""
    errors = {}
    if not (clinical_question or "").strip():
        errors["clinical_question"] = MSG_QUESTION_REQUIRED
    if urgency not in Priority.values:
        errors["urgency"] = MSG_URGENCY
    if not procedure_chosen and not (requested_procedure_text or "").strip():
        errors["procedure_type"] = MSG_PROCEDURE_REQUIRED
    if laterality not in Laterality.values:
        errors["laterality"] = f"“{laterality}” is not a laterality."
    if not patient_given:
        errors["patient"] = MSG_PATIENT_REQUIRED
    return errors


def referral_create(
    *,
    actor: Actor,
    clinical_question: str,
    urgency: str,
    patient_id: int | None = None,
    new_patient: dict[str, Any] | None = None,
    procedure_type: ProcedureType | None = None,
    requested_procedure_text: str = "",
    laterality: str = "",
    site: str = "",
    relevant_history: str = "",
    medications: str | Iterable[str] = "",
    allergies: str | Iterable[str] = "",
    referring_clinician: str = "",
    referrer_specialty: str = "",
    attachments: Iterable[UploadLike] = (),
    referrer_id: int | None = None,
) -> Referral:
    """Submit a referral for a known or new patient, with its files, in one transaction; the
    medications and allergies it lists reach the chart as "reported — to confirm".

    A person refers in their own name; the system (an order from the hospital's EHR over
    HL7 that irflow's catalogue does not know) names the account it comes from in
    `referrer_id` — the interface's account — and the ordering clinician in
    `referring_clinician`."""
    require(actor, "referral.create")
    errors: dict[str, str | list[str]] = dict(
        referral_problems(
            clinical_question=clinical_question,
            urgency=urgency,
            procedure_chosen=procedure_type is not None,
            requested_procedure_text=requested_procedure_text,
            laterality=laterality,
            patient_given=patient_id is not None or bool(new_patient),
        )
    )
    files, file_errors = check_files(attachments)
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise ValidationFailed(errors)
    profile = getattr(actor, "profile", None)
    with staged_files() as stage, transaction.atomic():
        pending = False
        submitted: dict[str, str] = {}
        if patient_id is not None:
            patient = patient_get(
                actor=actor, patient_id=patient_id, what="referral", action="patient.view"
            )
        else:
            patient, pending = _patient_for_referral(actor, dict(new_patient or {}))
            submitted = _submitted(dict(new_patient or {}))
        now = timezone.now()
        referral = Referral(
            patient=patient,
            submitted_patient=submitted,
            patient_match=PatientMatch.PENDING if pending else PatientMatch.NONE,
            referrer=_referrer(actor, referrer_id),
            referring_clinician=(referring_clinician or str(actor)).strip()[:150],
            referrer_specialty=(
                referrer_specialty or (profile.specialty if profile is not None else "")
            ).strip()[:100],
            clinical_question=clinical_question.strip(),
            procedure_type=procedure_type,
            requested_procedure_text=(requested_procedure_text or "").strip()[:200],
            laterality=laterality,
            site=(site or "").strip()[:100],
            urgency=urgency,
            relevant_history=(relevant_history or "").strip(),
            medications="\n".join(lines(medications)),
            allergies="\n".join(lines(allergies)),
            status=ReferralStatus.RECEIVED,
            received_at=now,
            status_changed_at=now,
            created_by=person(actor),
        )
        with history_actor(actor):
            referral.save()
            ReferralEvent.objects.create(
                referral=referral, at=now, actor=person(actor), to_status=ReferralStatus.RECEIVED
            )
            _attach(referral, files, stage, actor)
        if not pending:  # else when IR confirms the patient: not on a chart they may not see
            _report_entries(referral, actor)
    return referral


def _referrer(actor: Actor, referrer_id: int | None) -> User:
    """Who the referral is from: the person acting, or (the system only) `referrer_id`."""
    if isinstance(actor, SystemActor) and referrer_id is not None:
        return User.objects.get(pk=referrer_id)
    return person_only(actor)


def _report_entries(referral: Referral, actor: Actor) -> None:
    """The medications and allergies the referral lists, on its patient's chart "to confirm"."""
    if not (referral.medications or referral.allergies):
        return
    reported_entries_add(
        actor=actor,
        patient_id=referral.patient_id,
        reported_by=f"Referral {referral.pk} · {referral.referring_clinician}",
        medications=referral.medications,
        allergies=referral.allergies,
    )


def referral_patient_refusal(referral: Referral) -> str:
    """Why the moves that act on the patient (accept, order, the board, clinic first) are
    refused now — IR has not confirmed the patient of the referral — or "" when they are not."""
    return MSG_MATCH_FIRST.format(mrn=referral.patient.mrn) if referral.match_pending else ""


def _patient_settled(referral: Referral) -> None:
    """Refuse to act on the patient of a referral whose match IR has not confirmed."""
    if refusal := referral_patient_refusal(referral):
        raise Conflict(refusal, code="patient_unconfirmed")


def _settle(referral: Referral, actor: Actor, match: str, note: str) -> Referral:
    """The match is settled: the referrer becomes one of the patient's carers, the referral's
    medications and allergies reach the chart, the timeline says so and the referrer is told."""
    referral.patient_match = match
    with history_actor(actor):
        CareRelation.objects.select_for_update().get_or_create(
            patient_id=referral.patient_id,
            clinician_id=referral.referrer_id,
            defaults={"reason": CARE_FROM_REFERRAL},
        )
        referral.save(update_fields=["patient", "patient_match", "updated_at"])
        ReferralEvent.objects.create(
            referral=referral,
            actor=person(actor),
            from_status=referral.status,
            to_status=referral.status,
            note=note,
        )
        notify_referrer(referral=referral, text="IR confirmed the patient", actor=actor)
    _report_entries(referral, actor)
    return referral


def _locked_pending(actor: Actor, referral_id: int) -> Referral:
    require(actor, "referral.triage")
    referral = _locked(actor=actor, referral_id=referral_id, action="referral.triage")
    if not referral.match_pending:
        raise Conflict(MSG_MATCH_SETTLED, code="match_settled")
    return referral


@transaction.atomic
def referral_patient_confirm(*, actor: Actor, referral_id: int) -> Referral:
    """IR staff confirm that a referral sent by MRN is for the patient on record ("this is
    the same patient"): the referrer is linked to that patient from now on."""
    referral = _locked_pending(actor, referral_id)
    note = f"Patient confirmed: the patient on record with MRN {referral.patient.mrn}."
    return _settle(referral, actor, PatientMatch.CONFIRMED, note)


@transaction.atomic
def referral_patient_reattach(
    *,
    actor: Actor,
    referral_id: int,
    patient_id: int | None = None,
    new_patient: dict[str, Any] | None = None,
) -> Referral:
    """ "Not the same patient": IR staff attach the referral to the right patient on record
    (`patient_id`) or to a new one they register (`new_patient`, usually what the referrer
    typed with the right MRN). The referrer never gains the record first matched."""
    referral = _locked_pending(actor, referral_id)
    if (patient_id is None) == (not new_patient):
        raise ValidationFailed({"patient_id": MSG_REATTACH_ONE})
    first_mrn = referral.patient.mrn
    if patient_id is not None:
        if patient_id == referral.patient_id:
            raise ValidationFailed({"patient_id": MSG_REATTACH_SAME})
        patient = patient_get(actor=actor, patient_id=patient_id, what="referral patient")
    else:
        details = dict(new_patient or {})
        errors = {f: "This field is required." for f in NEW_PATIENT_FIELDS if not details.get(f)}
        mrn, issuer = str(details.get("mrn") or "").strip(), settings.IRFLOW_MRN_ISSUER
        if mrn and PatientIdentifier.objects.filter(issuer=issuer, value=mrn).exists():
            errors["mrn"] = MSG_MRN_TAKEN.format(mrn=mrn, issuer=issuer)  # all at once
        if errors:
            raise ValidationFailed(errors)
        patient = patient_create(actor=actor, **details)
    referral.patient = patient
    note = (
        f"Not the patient on record with MRN {first_mrn}: "
        f"the referral is now for the patient with MRN {patient.mrn}."
    )
    return _settle(referral, actor, PatientMatch.CORRECTED, note)


def referral_add_information(
    *, actor: Actor, referral_id: int, information: str = "", attachments: Iterable[UploadLike] = ()
) -> Referral:
    """Add information or files to a referral waiting for triage; answers a request for more
    information (the referral goes back to the triage queue)."""
    require(actor, "referral.create")
    information = (information or "").strip()
    files, file_errors = check_files(attachments)
    if file_errors:
        raise ValidationFailed({"attachments": file_errors})
    if not information and not files:
        raise ValidationFailed({"information": MSG_INFO_REQUIRED})
    with staged_files() as stage, transaction.atomic():
        referral = _locked(actor=actor, referral_id=referral_id, action="referral.create")
        if referral.status not in (ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO):
            raise InvalidTransition(MSG_INFO_NOT_WAITING)
        note = information or "Files added: " + ", ".join(f.name for f in files)
        if referral.status == ReferralStatus.MORE_INFO:
            transition(referral, ReferralStatus.RECEIVED, actor=actor, note=note)
        else:
            with history_actor(actor):
                ReferralEvent.objects.create(
                    referral=referral,
                    actor=person(actor),
                    from_status=referral.status,
                    to_status=referral.status,
                    note=note,
                )
                referral.save(update_fields=["updated_at"])
        with history_actor(actor):
            _attach(referral, files, stage, actor)
    return referral


def attachment_add(*, actor: Actor, referral_id: int, upload: UploadLike) -> ReferralAttachment:
    """Attach one file to a referral (API)."""
    require(actor, "referral.create")
    checked = check_file(upload, field="file")
    with staged_files() as stage, transaction.atomic():
        referral = _locked(actor=actor, referral_id=referral_id, action="referral.create")
        with history_actor(actor):
            try:
                (attachment,) = _attach(referral, [checked], stage, actor)
            except ValidationFailed as exc:
                raise ValidationFailed({"file": exc.errors["attachments"]}) from exc
            ReferralEvent.objects.create(
                referral=referral,
                actor=person(actor),
                from_status=referral.status,
                to_status=referral.status,
                note=f"File added: {checked.name}",
            )
    return attachment


@transaction.atomic
def referral_accept(
    *,
    actor: Actor,
    referral_id: int,
    procedure_type: ProcedureType | None = None,
    priority: str | None = None,
    laterality: str | None = None,
    site: str | None = None,
    note: str = "",
) -> Referral:
    """Accept a referral; with a catalogue procedure (chosen now or requested) it is ordered
    at once, otherwise it waits in "accepted" until one is chosen."""
    require(actor, "referral.triage")
    referral = _locked(actor=actor, referral_id=referral_id, action="referral.triage")
    _patient_settled(referral)
    if referral.status != ReferralStatus.ACCEPTED:
        transition(referral, ReferralStatus.ACCEPTED, actor=actor, note=note)
    procedure = procedure_type or referral.procedure_type
    if procedure is not None:
        _order(
            referral,
            actor=actor,
            procedure_type=procedure,
            priority=priority,
            laterality=laterality,
            site=site,
        )
    return referral


@transaction.atomic
def referral_order_create(
    *,
    actor: Actor,
    referral_id: int,
    procedure_type: ProcedureType | None,
    priority: str | None = None,
    laterality: str | None = None,
    site: str | None = None,
    note: str = "",
    action: str = "referral.triage",
) -> Order:
    """Create the order for an accepted referral (or, with action="board.decide", for one the
    board decided to treat): accession number, requested procedure ID, Study UID."""
    require(actor, action)
    referral = _locked(actor=actor, referral_id=referral_id, action="referral.view")
    return _order(
        referral,
        actor=actor,
        procedure_type=procedure_type,
        priority=priority,
        laterality=laterality,
        site=site,
        note=note,
    )


def _order(
    referral: Referral,
    *,
    actor: Actor,
    procedure_type: ProcedureType | None,
    priority: str | None,
    laterality: str | None,
    site: str | None,
    note: str = "",
) -> Order:
    REFERRAL_STATES.check(referral.status, ReferralStatus.ORDERED)
    _patient_settled(referral)
    if procedure_type is None:
        raise ValidationFailed({"procedure_type": MSG_CHOOSE_PROCEDURE})
    order = order_create(
        actor=actor,
        patient_id=referral.patient_id,
        procedure_type=procedure_type,
        priority=priority or referral.urgency,
        laterality=referral.laterality if laterality is None else laterality,
        site=referral.site if site is None else site,
        clinical_indication=referral.clinical_question,
    )
    referral.order = order
    text = f"{procedure_type.name}, accession {order.accession_number}"
    transition(referral, ReferralStatus.ORDERED, actor=actor, note=note or text, also=("order",))
    return order


def _triage(
    actor: Actor, referral_id: int, target: str, note: str, *, on_patient: bool = False
) -> Referral:
    require(actor, "referral.triage")
    referral = _locked(actor=actor, referral_id=referral_id, action="referral.triage")
    if on_patient:  # the board or the clinic will look at the patient's record
        _patient_settled(referral)
    transition(referral, target, actor=actor, note=note.strip())
    return referral


@transaction.atomic
def referral_decline(*, actor: Actor, referral_id: int, reason: str) -> Referral:
    """Decline, with the reason the referrer will read."""
    require(actor, "referral.triage")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": MSG_DECLINE_REASON})
    return _triage(actor, referral_id, ReferralStatus.DECLINED, reason)


@transaction.atomic
def referral_request_information(*, actor: Actor, referral_id: int, question: str) -> Referral:
    """Ask the referrer for more information; their answer puts it back in the queue."""
    require(actor, "referral.triage")
    if not (question or "").strip():
        raise ValidationFailed({"question": MSG_INFO_QUESTION})
    return _triage(actor, referral_id, ReferralStatus.MORE_INFO, question)


@transaction.atomic
def referral_send_to_board(*, actor: Actor, referral_id: int, note: str = "") -> Referral:
    """Send to the multidisciplinary board; it joins the agenda of a meeting there."""
    return _triage(actor, referral_id, ReferralStatus.BOARD, note, on_patient=True)


@transaction.atomic
def referral_clinic_first(*, actor: Actor, referral_id: int, note: str = "") -> Referral:
    """See the patient in the IR clinic before deciding."""
    return _triage(actor, referral_id, ReferralStatus.CLINIC, note, on_patient=True)


@transaction.atomic
def referral_board_outcome(*, actor: Actor, referral_id: int, target: str, note: str) -> Referral:
    """The board's decision moves the referral (declined, more information)."""
    require(actor, "board.decide")
    referral = Referral.objects.select_for_update().select_related("patient").get(pk=referral_id)
    transition(referral, target, actor=actor, note=note)
    return referral


@transaction.atomic
def referral_cancel(*, actor: Actor, referral_id: int, reason: str) -> Referral:
    """Withdraw (referrer, before ordering) or cancel (IR) a referral, with its order."""
    scope = require(actor, "referral.cancel")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": MSG_CANCEL_REASON})
    referral = _locked(actor=actor, referral_id=referral_id, action="referral.cancel")
    REFERRAL_STATES.check(referral.status, ReferralStatus.CANCELLED)
    order = referral.order
    if order is not None and scope is OWN:
        raise Conflict(MSG_CANCEL_ASK_IR, code="ask_ir")
    transition(referral, ReferralStatus.CANCELLED, actor=actor, note=reason.strip())
    if order is not None and order.status != OrderStatus.CANCELLED:
        order_cancel(actor=actor, order_id=order.pk, reason=f"Referral cancelled: {reason}")
    _end_care_from(referral, actor)
    return referral


def _end_care_from(referral: Referral, actor: Actor) -> None:
    """A cancelled referral no longer lets its referrer see the patient, unless something
    else does: another referral of theirs for the patient that is not cancelled (and whose
    patient IR has confirmed), their own registration of the record, or their role."""
    if referral.match_pending:
        return  # it gave no access
    # Locked first, so that two cancellations (or a confirmation) at once see each other.
    relations = list(
        CareRelation.objects.select_for_update().filter(
            patient_id=referral.patient_id,
            clinician_id=referral.referrer_id,
            reason=CARE_FROM_REFERRAL,
        )
    )
    if not relations:
        return
    others = (
        Referral.objects.filter(referrer_id=referral.referrer_id, patient_id=referral.patient_id)
        .exclude(pk=referral.pk)
        .exclude(status=ReferralStatus.CANCELLED)
        .exclude(patient_match=PatientMatch.PENDING)
    )
    if others.exists():
        return
    with history_actor(actor):
        for relation in relations:
            relation.delete()


@transaction.atomic
def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications (all, or `ids`) as read; returns how many."""
    qs = Notification.objects.filter(recipient=person(actor), read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
