"""Demo data of the day of procedure and after: records for the procedures done and under
way, signed reports (one a trainee's, co-signed, one with a signed addendum), recovery with
pain scores, a few adverse events, follow-up tasks due and overdue, and devices in situ —
among them an IVC filter whose retrieval is overdue.

Everything goes through the services, so the demo obeys the same rules as real use.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import ServiceError
from irflow.scheduling.models import Booking, BookingStatus

FINDINGS = {
    "vascular": "Vessels opacified as expected; target lesion treated.",
    "non_vascular": "Target reached under image guidance; position confirmed.",
    "oncology": "Lesion(s) treated as planned; no immediate complication.",
    "venous_access": "Catheter tip at the cavo-atrial junction.",
    "spine_pain": "Needle position confirmed; injectate spread as intended.",
    "neuro": "Intracranial vessels assessed; no new abnormality.",
}
RECORDED_PAST = 6  # past procedures documented in full


def _times(record_start: datetime) -> dict[str, datetime]:
    return {
        "in_room_at": record_start,
        "started_at": record_start + timedelta(minutes=12),
        "ended_at": record_start + timedelta(minutes=47),
        "out_at": record_start + timedelta(minutes=58),
    }


def _document(actor, booking: Booking, rng: random.Random, *, complete: bool):
    from irflow.procedures import services

    record = services.procedure_check_in(actor=actor, booking_id=booking.pk)
    times = _times(booking.start)
    if not complete:
        times = {k: v for k, v in times.items() if k in ("in_room_at", "started_at")}
    services.procedure_record_update(
        actor=actor, procedure_id=record.pk, group="times", values=times
    )
    procedure_type = booking.order.procedure_type
    if procedure_type.uses_contrast:
        services.procedure_record_update(
            actor=actor,
            procedure_id=record.pk,
            group="contrast",
            values={"contrast_agent": "Iohexol 300", "contrast_ml": str(rng.randint(15, 120))},
        )
    services.procedure_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="findings",
        values={"findings": FINDINGS.get(procedure_type.category, "As planned.")},
    )
    if not complete:
        return record
    services.procedure_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="outcome",
        values={"technical_success": "success" if rng.random() > 0.08 else "partial"},
    )
    for place in procedure_type.device_defaults.get("places", []):
        services.device_add(
            actor=actor,
            procedure_id=record.pk,
            device_type=place["name"],
            manufacturer="Demo Medical",
            lot=f"L{rng.randint(10000, 99999)}",
            implanted=True,
            in_situ_kind=place["kind"],
        )
    return services.procedure_complete(actor=actor, procedure_id=record.pk)


def _report(record, author, signer, *, addendum: bool = False):
    from irflow.reports import services as reports
    from irflow.reports.structure import normalised

    report = reports.report_start(actor=author, procedure_id=record.pk)
    values = {}
    for field in normalised(report.template)["fields"]:
        if field["type"] == "choice":
            values[field["key"]] = field["choices"][0]
        elif field["type"] == "yes_no":
            values[field["key"]] = "yes"
        elif field["type"] == "number":
            values[field["key"]] = "1"
    keys = {s["key"] for s in normalised(report.template)["sections"]}
    sections = {
        "impression": f"{record.order.procedure_type.name}: technically successful.",
        "plan": "Follow-up as planned in the catalogue; return if unwell.",
    }
    reports.report_update(
        actor=author,
        report_id=report.pk,
        fields=values,
        sections={k: v for k, v in sections.items() if k in keys},
    )
    if author.role == "trainee":
        reports.report_submit(actor=author, report_id=report.pk)
        report = reports.report_cosign(actor=signer, report_id=report.pk)
    else:
        report = reports.report_sign(actor=author, report_id=report.pk)
    if addendum:
        reports.addendum_create(
            actor=signer,
            report_id=report.pk,
            text="Histology received: benign. No change to the plan.",
            sign=True,
        )
    return report


def _recover(record, nurse, rng: random.Random, *, discharge: bool) -> None:
    from irflow.recovery import services as recovery

    out = record.out_at
    for minutes, score in ((10, rng.randint(3, 7)), (45, rng.randint(1, 4))):
        recovery.pain_score_record(
            actor=nurse,
            procedure_id=record.pk,
            score=score,
            recorded_at=out + timedelta(minutes=minutes),
        )
    recovery.recovery_update(
        actor=nurse,
        procedure_id=record.pk,
        observations="Observations stable; puncture site dry; eating and drinking.",
    )
    if discharge:
        admitted = rng.random() < 0.15
        recovery.recovery_discharge(
            actor=nurse,
            procedure_id=record.pk,
            disposition="admitted" if admitted else "same_day",
            admitted_to="Ward 7" if admitted else "",
            discharged_at=out + timedelta(hours=2, minutes=rng.randint(0, 90)),
        )


def _adverse_event(record, actor, grade: str, legacy: str, text: str) -> None:
    from irflow.outcomes.services import adverse_event_record

    adverse_event_record(
        actor=actor,
        procedure_id=record.pk,
        onset_at=record.out_at + timedelta(minutes=20),
        detection="recovery",
        description=text,
        sir_grade=grade,
        legacy_sir_class=legacy,
        attribution="procedure",
        management="Manual compression and observation.",
        outcome="resolved",
    )


def _overdue_filter(ctx, physician, nurse) -> None:
    """An IVC filter placed about four months ago whose retrieval is overdue."""
    from irflow.orders.services import order_create
    from irflow.scheduling.services import booking_create

    room = next((r for r in ctx.rooms if r.modality == "XA" and r.active), None)
    if room is None or not ctx.patients:
        return
    day = ctx.today - timedelta(days=121)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    start = datetime.combine(day, room.opens_at, timezone.get_current_timezone())
    patient = ctx.patients[len(ctx.patients) // 2]
    order = order_create(
        actor=physician,
        patient_id=patient.pk,
        procedure_type=ProcedureType.objects.get(code="IVCF-IN"),
        clinical_indication="Pulmonary embolism; anticoagulation contraindicated after surgery.",
    )
    booking = booking_create(
        actor=ctx.users["scheduler"],
        order=order,
        room=room,
        start=start,
        primary_operator=physician,
    )
    record = _document(physician, booking, random.Random(ctx.seed), complete=True)
    _report(record, physician, physician)
    _recover(record, nurse, random.Random(ctx.seed + 1), discharge=True)


def demo_procedures_create(ctx) -> None:
    users = ctx.users
    physician, nurse = users.get("physician"), users.get("nurse")
    trainee = users.get("trainee")
    if physician is None or nurse is None:
        return
    rng = random.Random(ctx.seed * 31 + 7)
    count = 0
    try:
        _overdue_filter(ctx, physician, nurse)
        count += 1
    except ServiceError:
        pass
    today_start = datetime.combine(ctx.today, datetime.min.time(), timezone.get_current_timezone())
    past = list(
        Booking.objects.filter(status=BookingStatus.DISCHARGED, start__lt=today_start)
        .filter(procedure_record__isnull=True)
        .select_related("order__procedure_type", "primary_operator")
        .order_by("-start")[:RECORDED_PAST]
    )
    todays = list(
        Booking.objects.filter(
            start__gte=today_start,
            start__lt=today_start + timedelta(days=1),
            status__in=[BookingStatus.IN_ROOM, BookingStatus.RECOVERY, BookingStatus.DISCHARGED],
        )
        .filter(procedure_record__isnull=True)
        .select_related("order__procedure_type", "primary_operator")
        .order_by("start")
    )
    events = [
        ("mild", "A", "Small groin haematoma, no treatment needed."),
        ("moderate", "C", "Vasovagal episode needing IV fluids and overnight observation."),
    ]
    for index, booking in enumerate([*past, *todays]):
        operator = booking.primary_operator or physician
        if operator.role != "physician":
            operator = physician
        try:
            if booking.status == BookingStatus.IN_ROOM:
                _document(operator, booking, rng, complete=False)
                count += 1
                continue
            record = _document(operator, booking, rng, complete=True)
            author = trainee if trainee is not None and index % 4 == 1 else operator
            if booking in past or index % 2 == 0:
                _report(record, author, operator, addendum=index % 5 == 3)
            _recover(record, nurse, rng, discharge=booking.status == BookingStatus.DISCHARGED)
            if events and index % 4 == 2:
                grade, legacy, text = events.pop()
                _adverse_event(record, nurse, grade, legacy, text)
            count += 1
        except ServiceError:
            continue  # a demo booking that does not fit a rule is left undocumented
    ctx.counts["procedure records"] = count
