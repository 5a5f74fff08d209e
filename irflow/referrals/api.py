"""Referrals over REST: submit, follow, triage; the queue, waiting times, notifications."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from irflow.accounts.permissions import require
from irflow.lib.apischema import Day, Moment, NestedIn, perm
from irflow.lib.errors import NotFound
from irflow.orders.models import Laterality, Priority
from irflow.orders.services import procedure_by_code
from irflow.patients.models import Sex
from irflow.referrals import selectors, services
from irflow.referrals.models import Referral, ReferralStatus

router = Router()
API_PREFIX = "/referrals"
API_TAGS = ["referrals"]


class NewPatientIn(NestedIn):
    mrn: str = Field(min_length=1, max_length=64)
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field(min_length=1, max_length=100)
    birth_date: Day
    sex: Sex


class ReferralIn(Schema):
    patient_id: int | None = Field(None, description="A patient you may see…")
    patient: NewPatientIn | None = Field(None, description="…or one to find by MRN or register.")
    clinical_question: str = Field(min_length=1, max_length=4000)
    procedure_code: str = Field("", max_length=20, description="From the catalogue, or…")
    requested_procedure_text: str = Field("", max_length=200, description="…in your words.")
    laterality: Laterality = Laterality.NOT_APPLICABLE
    site: str = Field("", max_length=100)
    urgency: Priority
    relevant_history: str = Field("", max_length=8000)
    medications: list[str] = Field(
        [],
        max_length=30,
        description="Current medications, one per entry (e.g. 'Apixaban 5 mg twice daily'); "
        "each reaches the chart as reported by the referrer, to confirm.",
    )
    allergies: list[str] = Field(
        [],
        max_length=30,
        description="Allergies and previous reactions, one per entry (e.g. 'Iodinated "
        "contrast — hives'); each reaches the chart as reported, to confirm.",
    )
    referring_clinician: str = Field("", max_length=150)
    referrer_specialty: str = Field("", max_length=100)


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class ReferralEventOut(Schema):
    at: datetime
    from_status: str
    to_status: str
    note: str


class ReferralOut(Schema):
    id: int
    patient_id: int | None = Field(
        description="Null for the referrer until IR confirms the patient (`patient_match`)."
    )
    patient_match: str = Field(
        description="'' (not needed), 'pending' (IR confirms the patient on record), "
        "'confirmed' or 'corrected' (attached to another patient)."
    )
    submitted_patient: dict[str, str] = Field(
        description="The patient as the referrer typed them (when not chosen by id)."
    )
    medications: str
    allergies: str
    status: str
    status_note: str
    urgency: str
    clinical_question: str
    procedure_code: str | None
    requested_procedure_text: str
    laterality: str
    site: str
    relevant_history: str
    referring_clinician: str
    referrer_specialty: str
    received_at: datetime
    triaged_at: datetime | None
    procedure_at: datetime | None
    order_id: int | None
    accession_number: str | None

    @staticmethod
    def resolve_patient_id(obj: Referral) -> int | None:
        # `patient_hidden`: annotated by `referrals_visible` (the referrer, match pending).
        return None if getattr(obj, "patient_hidden", False) else obj.patient_id

    @staticmethod
    def resolve_procedure_code(obj: Referral) -> str | None:
        return obj.procedure_type.code if obj.procedure_type is not None else None

    @staticmethod
    def resolve_accession_number(obj: Referral) -> str | None:
        return obj.order.accession_number if obj.order is not None else None


class ReferralDetailOut(ReferralOut):
    attachments: list[AttachmentOut]
    events: list[ReferralEventOut]

    @staticmethod
    def resolve_attachments(obj: Referral) -> list:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_events(obj: Referral) -> list:
        return list(obj.events.all())


class QueueItemOut(Schema):
    referral: ReferralOut
    due_at: datetime
    overdue: bool
    hours_against_target: float


class QueueOut(Schema):
    to_triage: list[QueueItemOut]
    to_order: list[QueueItemOut]
    waiting: list[QueueItemOut]
    breaches: int


class AcceptIn(Schema):
    procedure_code: str = Field("", max_length=20)
    priority: Priority | None = None
    laterality: Laterality | None = None
    site: str | None = Field(None, max_length=100)
    note: str = Field("", max_length=1000)


class ReattachIn(Schema):
    patient_id: int | None = Field(None, description="The right patient on record…")
    patient: NewPatientIn | None = Field(None, description="…or a new one to register.")


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class QuestionIn(Schema):
    question: str = Field(min_length=1, max_length=2000)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class InformationIn(Schema):
    information: str = Field(min_length=1, max_length=8000)


class SummaryOut(Schema):
    count: int
    median_hours: float | None
    p90_hours: float | None
    within_target_pct: float | None
    target_hours: float
    waiting_over_target: int


class WaitingTimesOut(Schema):
    since: datetime
    until: datetime
    triage: dict[str, SummaryOut]
    procedure: dict[str, SummaryOut]


class NotificationOut(Schema):
    id: int
    referral_id: int | None
    message: str
    url: str
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[int] | None = None


class ReadOut(Schema):
    marked: int


def _detail(request, referral_id: int) -> Referral:
    return selectors.referral_get(actor=request.auth, referral_id=referral_id)


@router.get("", response=list[ReferralOut], openapi_extra=perm("referral.view"))
def referral_list(
    request, status: ReferralStatus | None = None, limit: int = Query(200, ge=1, le=500)
):
    """Referrals, newest first: a referrer's own, everyone's for IR staff."""
    return selectors.referral_list(actor=request.auth, status=status or "", limit=limit)


@router.post(
    "", response={201: ReferralDetailOut}, openapi_extra=perm("referral.create", errors=(404,))
)
def referral_create(request, payload: ReferralIn):
    """Submit a referral for a patient you may see (`patient_id`) or by MRN (`patient`)."""
    require(request.auth, "referral.create")
    data = payload.dict()
    code = data.pop("procedure_code")
    new_patient = data.pop("patient")
    referral = services.referral_create(
        actor=request.auth,
        new_patient=new_patient,
        procedure_type=procedure_by_code(code) if code else None,
        **data,
    )
    return Status(201, _detail(request, referral.pk))


@router.get("/queue", response=QueueOut, openapi_extra=perm("referral.triage"))
def triage_queue(request):
    """The triage queue: most urgent and most overdue first, against the target."""
    queue = selectors.triage_queue(actor=request.auth)
    return {
        "to_triage": queue.to_triage,
        "to_order": queue.to_order,
        "waiting": queue.waiting,
        "breaches": queue.breaches,
    }


@router.get("/waiting-times", response=WaitingTimesOut, openapi_extra=perm("waiting_times.view"))
def waiting_times(request, since: Moment | None = None, until: Moment | None = None):
    """Referral → triage and referral → procedure per urgency (hours) against the targets."""
    result = selectors.waiting_times(actor=request.auth, since=since, until=until)
    return {"since": result.since, "until": result.until, **result.figures}


@router.get("/notifications", response=list[NotificationOut], openapi_extra=perm("authenticated"))
def notification_list(request):
    """Your own notifications, newest first."""
    return selectors.notifications_for(actor=request.auth)


@router.post("/notifications/read", response=ReadOut, openapi_extra=perm("authenticated"))
def notifications_read(request, payload: ReadIn):
    """Mark your notifications (all, or `ids`) as read."""
    return {"marked": services.notifications_mark_read(actor=request.auth, ids=payload.ids)}


@router.get("/{referral_id}", response=ReferralDetailOut, openapi_extra=perm("referral.view"))
def referral_get(request, referral_id: int):
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/accept", response=ReferralDetailOut, openapi_extra=perm("referral.triage")
)
def referral_accept(request, referral_id: int, payload: AcceptIn):
    """Accept; with a catalogue procedure (given or requested) the order is created at once."""
    require(request.auth, "referral.triage")
    services.referral_accept(
        actor=request.auth,
        referral_id=referral_id,
        procedure_type=procedure_by_code(payload.procedure_code)
        if payload.procedure_code
        else None,
        priority=payload.priority,
        laterality=payload.laterality,
        site=payload.site,
        note=payload.note,
    )
    return _detail(request, referral_id)


@router.post(
    "/{pending_referral_id}/patient/confirm",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.triage"),
)
def referral_patient_confirm(request, pending_referral_id: int):
    """This is the same patient: the referral sent by MRN is for the patient on record, and
    its referrer may see that patient from now on (409 once the patient is settled)."""
    services.referral_patient_confirm(actor=request.auth, referral_id=pending_referral_id)
    return _detail(request, pending_referral_id)


@router.post(
    "/{pending_referral_id}/patient/reattach",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.triage", errors=(404,)),
)
def referral_patient_reattach(request, pending_referral_id: int, payload: ReattachIn):
    """Not the same patient: attach the referral to the right patient on record
    (`patient_id`) or to a new one (`patient`) (409 once the patient is settled)."""
    services.referral_patient_reattach(
        actor=request.auth,
        referral_id=pending_referral_id,
        patient_id=payload.patient_id,
        new_patient=payload.patient.dict() if payload.patient is not None else None,
    )
    return _detail(request, pending_referral_id)


@router.post(
    "/{referral_id}/decline", response=ReferralDetailOut, openapi_extra=perm("referral.triage")
)
def referral_decline(request, referral_id: int, payload: ReasonIn):
    services.referral_decline(actor=request.auth, referral_id=referral_id, reason=payload.reason)
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/request-information",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.triage"),
)
def referral_request_information(request, referral_id: int, payload: QuestionIn):
    services.referral_request_information(
        actor=request.auth, referral_id=referral_id, question=payload.question
    )
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/send-to-board",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.triage"),
)
def referral_send_to_board(request, referral_id: int, payload: NoteIn):
    services.referral_send_to_board(actor=request.auth, referral_id=referral_id, note=payload.note)
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/clinic-first",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.triage"),
)
def referral_clinic_first(request, referral_id: int, payload: NoteIn):
    services.referral_clinic_first(actor=request.auth, referral_id=referral_id, note=payload.note)
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/information",
    response=ReferralDetailOut,
    openapi_extra=perm("referral.create"),
)
def referral_add_information(request, referral_id: int, payload: InformationIn):
    """Add information (answers a request for more information)."""
    services.referral_add_information(
        actor=request.auth, referral_id=referral_id, information=payload.information
    )
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/cancel", response=ReferralDetailOut, openapi_extra=perm("referral.cancel")
)
def referral_cancel(request, referral_id: int, payload: ReasonIn):
    services.referral_cancel(actor=request.auth, referral_id=referral_id, reason=payload.reason)
    return _detail(request, referral_id)


@router.post(
    "/{referral_id}/attachments",
    response={201: AttachmentOut},
    openapi_extra=perm("referral.create"),
)
def attachment_add(request, referral_id: int, file: File[UploadedFile]):
    """Attach a PDF, PNG or JPEG (multipart/form-data, field `file`)."""
    attachment = services.attachment_add(actor=request.auth, referral_id=referral_id, upload=file)
    return Status(201, attachment)


@router.get(
    "/{referral_id}/attachments/{attachment_id}",
    response={200: None},
    openapi_extra=perm("referral.view"),
)
def attachment_download(request, referral_id: int, attachment_id: int):
    """The file itself (access-logged)."""
    attachment, path = selectors.attachment_get(actor=request.auth, attachment_id=attachment_id)
    if attachment.referral_id != referral_id:
        raise NotFound(selectors.MSG_ATTACHMENT_NOT_FOUND)
    return FileResponse(
        path.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=True,
    )
