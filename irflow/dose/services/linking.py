"""Link a dose report to its procedure: automatically by identifiers, or by a technologist.

A report is attached to an order only when the patient matches: the report's Patient ID must
be one of the order's patient's identifiers. Otherwise the report waits in the
reconciliation list with the reason — a dose is never silently attached to the wrong patient.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import SYSTEM, Actor, person
from irflow.accounts.permissions import require
from irflow.dose.models import LinkMethod, LinkStatus, RadiationDoseReport
from irflow.dose.services.alerts import dose_alerts_refresh
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Order
from irflow.patients.models import Patient
from irflow.patients.selectors import patient_get
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import Booking

MSG_NO_MATCH = (
    "No order has this report's Study Instance UID ({study}), accession number ({accession}) "
    "or MPPS reference ({mpps}). Link it to its procedure by hand."
)
MSG_CONFLICT = (
    "The report's identifiers point to different orders ({orders}); link it to the right "
    "procedure by hand."
)
MSG_PATIENT_MISMATCH = (
    "Patient ID “{dicom_id}” in the dose report is not an identifier of the order's patient "
    "({patient}, MRN {mrn}); the dose was not attached. Check that this is the right "
    "procedure — to link it anyway, give the reason."
)
MSG_NO_PATIENT_ID = "The report carries no Patient ID: linked by {method} without a patient check."
MSG_MISMATCH_ACCEPTED = (
    "Patient ID “{dicom_id}” differs from the order's patient; linked by {user}: {reason}"
)
MSG_ALREADY_LINKED = "This dose report is already linked to order {accession}."
MSG_REPORT_NOT_FOUND = "No such dose report."
MSG_ORDER_NOT_FOUND = "No such order."


@dataclass(frozen=True)
class Match:
    order: Order | None
    booking: Booking | None
    step: PerformedProcedureStep | None
    method: str
    problem: str


def _patient_ids(patient: Patient) -> set[str]:
    return {i.value.strip().upper() for i in patient.identifiers.all()}


def _patient_matches(report: RadiationDoseReport, patient: Patient) -> bool:
    """The report's Patient ID is one of the patient's identifiers (any issuer)."""
    return report.dicom_patient_id.strip().upper() in _patient_ids(patient)


def _booking_for(order: Order) -> Booking | None:
    """The order's booking to attribute the dose to: an active one, the latest start first."""
    return order.bookings.select_related("primary_operator").order_by("-active", "-start").first()


def _find(report: RadiationDoseReport) -> Match:
    found: list[tuple[str, Order, Booking | None, PerformedProcedureStep | None]] = []
    if report.mpps_sop_instance_uid:
        step = (
            PerformedProcedureStep.objects.select_related("booking__order", "order")
            .filter(sop_instance_uid=report.mpps_sop_instance_uid)
            .first()
        )
        if step is not None:
            order = step.order or (step.booking.order if step.booking else None)
            if order is not None:
                found.append((LinkMethod.MPPS, order, step.booking, step))
    if report.study_instance_uid:
        order = Order.objects.filter(study_instance_uid=report.study_instance_uid).first()
        if order is not None:
            found.append((LinkMethod.STUDY_UID, order, None, None))
    if report.accession_number:
        order = Order.objects.filter(accession_number=report.accession_number).first()
        if order is not None:
            found.append((LinkMethod.ACCESSION, order, None, None))
    orders = {o.pk: o for _, o, _, _ in found}
    if not orders:
        problem = MSG_NO_MATCH.format(
            study=report.study_instance_uid or "none",
            accession=report.accession_number or "none",
            mpps=report.mpps_sop_instance_uid or "none",
        )
        return Match(None, None, None, LinkMethod.NONE, problem)
    if len(orders) > 1:
        numbers = ", ".join(sorted(o.accession_number for o in orders.values()))
        return Match(None, None, None, LinkMethod.NONE, MSG_CONFLICT.format(orders=numbers))
    method, order, booking, step = found[0]
    booking = next((b for _, _, b, _ in found if b is not None), None)
    step = next((s for _, _, _, s in found if s is not None), None)
    return Match(order, booking, step, str(method), "")


def _attach(
    report: RadiationDoseReport,
    *,
    order: Order,
    booking: Booking | None,
    step: PerformedProcedureStep | None,
    method: str,
    problem: str,
    actor: Actor,
) -> None:
    report.order = order
    report.patient = order.patient
    report.booking = booking or _booking_for(order)
    report.performed_step = step
    report.link_status = LinkStatus.LINKED
    report.link_method = method
    report.link_problem = problem
    report.linked_at = timezone.now()
    report.linked_by = person(actor)
    with history_actor(actor):
        report.save(
            update_fields=[
                "order",
                "patient",
                "booking",
                "performed_step",
                "link_status",
                "link_method",
                "link_problem",
                "linked_at",
                "linked_by",
            ]
        )


def report_auto_link(*, actor: Actor, report_id: int) -> RadiationDoseReport:
    """Link a newly stored report by MPPS reference, Study Instance UID or accession number
    (in the storing transaction; the system acts)."""
    report = RadiationDoseReport.objects.select_for_update().get(pk=report_id)
    match = _find(report)
    if match.order is None:
        report.link_status = LinkStatus.UNMATCHED
        report.link_problem = match.problem
        report.save(update_fields=["link_status", "link_problem"])
        return report
    order = Order.objects.select_related("patient").get(pk=match.order.pk)
    label = LinkMethod(match.method).label
    if not report.dicom_patient_id.strip():
        problem = MSG_NO_PATIENT_ID.format(method=label)
    elif not _patient_matches(report, order.patient):
        report.link_status = LinkStatus.MISMATCH
        report.link_problem = MSG_PATIENT_MISMATCH.format(
            dicom_id=report.dicom_patient_id, patient=order.patient, mrn=order.patient.mrn or "—"
        )
        report.save(update_fields=["link_status", "link_problem"])
        return report
    else:
        problem = ""
    _attach(
        report,
        order=order,
        booking=match.booking,
        step=match.step,
        method=match.method,
        problem=problem,
        actor=actor,
    )
    return report


@transaction.atomic
def dose_report_link(
    *, actor: Actor, report_id: int, order_id: int, mismatch_reason: str = ""
) -> RadiationDoseReport:
    """Link an unmatched report to an order by hand (audited); refuses a patient mismatch
    unless the technologist gives the reason (e.g. an emergency registered under a temporary
    ID at the modality)."""
    require(actor, "dose.reconcile")
    report = RadiationDoseReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound(MSG_REPORT_NOT_FOUND)
    if report.link_status == LinkStatus.LINKED and report.order_id:
        accession = report.order.accession_number if report.order else ""
        raise Conflict(MSG_ALREADY_LINKED.format(accession=accession))
    order = Order.objects.select_related("patient").filter(pk=order_id).first()
    if order is None:
        raise ValidationFailed({"order_id": MSG_ORDER_NOT_FOUND})
    patient = patient_get(actor=actor, patient_id=order.patient_id, what="dose report link")
    problem = ""
    if not _patient_matches(report, patient):
        reason = mismatch_reason.strip()
        if not reason:
            raise ValidationFailed(
                {
                    "order_id": MSG_PATIENT_MISMATCH.format(
                        dicom_id=report.dicom_patient_id or "(none)",
                        patient=patient,
                        mrn=patient.mrn or "—",
                    )
                }
            )
        problem = MSG_MISMATCH_ACCEPTED.format(
            dicom_id=report.dicom_patient_id or "(none)", user=actor, reason=reason[:300]
        )
    _attach(
        report,
        order=order,
        booking=None,
        step=None,
        method=LinkMethod.MANUAL,
        problem=problem,
        actor=actor,
    )

    # The alerts and their follow-up are the rules' work, not the linker's.
    dose_alerts_refresh(actor=SYSTEM, order_id=order.pk, report_id=report.pk)
    return report
