"""The demo's day of the case: today's patients at every stage of their day, and the past
procedures done — each taken there through the day-of-case services and their rules (check-in,
sign-in, the room, time-out, the record, sign-out, completion, recovery, discharge), so the
demo shows what real use shows. Readiness is prepared as a department prepares it: most of
today's patients are ready, a few are not, each for a stated reason.

Also: signed reports (one a trainee's, co-signed, one with a signed addendum), pain scores, a
few adverse events, follow-up tasks due and overdue, devices in situ — among them an IVC filter
whose retrieval is overdue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType
from irflow.checklists.services import checklist_complete
from irflow.clinical import checklist_items
from irflow.dayofcase import services as day
from irflow.demo.bookings import date_done
from irflow.demo.devices import demo_sheath_udi, demo_udi
from irflow.lib.errors import ServiceError
from irflow.orders.services import order_create, order_record_bleeding_risk
from irflow.outcomes.services import adverse_event_record
from irflow.patients.models import Medication
from irflow.patients.services import lab_result_record
from irflow.procedures import services as procedures
from irflow.procedures.models import ProcedureRecord
from irflow.readiness.selectors import readiness_detail
from irflow.readiness.services import (
    finding_acknowledge,
    last_dose_record,
    policy_update,
    preparation_update,
)
from irflow.recovery import services as recovery
from irflow.reports import services as reports
from irflow.reports.structure import normalised
from irflow.scheduling.models import Booking, BookingStatus
from irflow.scheduling.services import booking_create

FINDINGS = {
    "vascular": "Vessels opacified as expected; target lesion treated.",
    "non_vascular": "Target reached under image guidance; position confirmed.",
    "oncology": "Lesion(s) treated as planned; no immediate complication.",
    "venous_access": "Catheter tip at the cavo-atrial junction.",
    "spine_pain": "Needle position confirmed; injectate spread as intended.",
    "neuro": "Intracranial vessels assessed; no new abnormality.",
}
ACCESS = {
    "non_vascular": "percutaneous",
    "oncology": "percutaneous",
    "spine_pain": "percutaneous",
    "venous_access": "right_ijv",
}
# Today's patients still waiting: one in GAP_EVERY is not ready, for one of these reasons.
GAP_EVERY = 4
GAPS = ("inr_high", "consent_pending", "labs_missing")
REASON_ACK = "Reviewed with the operator: safe to proceed as planned."
# (SIR 2017, legacy SIR, CIRSE, what happened, the facts that give those grades)
NO_HARM = {
    "therapy": "none",
    "care_level": "unchanged",
    "hospital_stay": "none",
    "life_threatening": "no",
    "sequelae": "none",
}
EVENTS = [
    ("mild", "A", "1", "Small groin haematoma, no treatment needed.", NO_HARM),
    (
        "moderate",
        "C",
        "3",
        "Pseudoaneurysm at the puncture site, closed by ultrasound-guided thrombin injection; "
        "kept overnight.",
        NO_HARM
        | {"therapy": "substantial", "care_level": "observation", "hospital_stay": "lt_48h"},
    ),
]


@dataclass
class Staff:
    physician: User
    nurse: User
    technologist: User | None
    trainee: User | None


def _before(moment: datetime, now: datetime, *, at_least: timedelta) -> datetime:
    """`moment`, or earlier so that it is in the past by `at_least`."""
    return min(moment, now - at_least)


def _prepare(booking: Booking, staff: Staff, rng: random.Random, *, gap: str = "") -> None:
    """What a department records before the day: labs, the preparation, the last doses of
    antithrombotics held; physicians acknowledge what remains after review. `gap` leaves one
    realistic thing undone (a high INR, consent not signed yet, labs not taken)."""
    now = timezone.now()
    nurse, physician = staff.nurse, staff.physician
    procedure = booking.order.procedure_type
    if procedure.bleeding_risk == "operator_decides" and not booking.order.bleeding_risk_choice:
        # The operator's choice where the SIR consensus leaves it to them (sheath size, site).
        order_record_bleeding_risk(
            actor=physician, order_id=booking.order_id, category=rng.choice(["low", "high"])
        )
    taken = _before(booking.start - timedelta(days=1), now, at_least=timedelta(hours=2))
    if gap != "labs_missing":
        labs = {
            "inr": "2.9" if gap == "inr_high" else f"{rng.uniform(0.9, 1.2):.1f}",
            "platelets": str(rng.randint(170, 330)),
            "haemoglobin": str(rng.randint(118, 152)),
            "creatinine": str(rng.randint(58, 98)),
            "egfr": str(rng.randint(68, 96)),
        }
        for analyte, value in labs.items():
            lab_result_record(
                actor=nurse,
                patient_id=booking.patient_id,
                analyte=analyte,
                value=value,
                collected_at=taken,
            )
    sedation = procedure.default_sedation if procedure.default_sedation else "local"
    route = "none"
    if procedure.uses_contrast:
        route = "ia_second_pass" if procedure.arterial_access else "iv"
    meal = _before(booking.start - timedelta(hours=9), now, at_least=timedelta(hours=1))
    fluids = _before(booking.start - timedelta(hours=3), now, at_least=timedelta(minutes=30))
    preparation_update(
        actor=nurse,
        booking_id=booking.pk,
        consent="pending" if gap == "consent_pending" else "signed",
        medications_confirmed=True,
        allergies_confirmed=True,
        sedation=sedation,
        contrast_route=route,
        access_site="femoral" if procedure.arterial_access else "none",
        anuric="no",
        stay="overnight" if sedation == "general" else "day_case",
        intake_asked=True,
        last_light_meal_at=meal,
        last_clear_fluids_at=fluids,
    )
    held = _before(booking.start - timedelta(days=7), now, at_least=timedelta(days=1))
    for med in Medication.objects.filter(
        patient_id=booking.patient_id, active=True, is_antithrombotic=True
    ):
        last_dose_record(actor=nurse, booking_id=booking.pk, medication_id=med.pk, taken_at=held)
    if gap:
        return
    for finding in readiness_detail(booking_id=booking.pk).findings:
        if finding["status"] in ("action_needed", "missing_data", "warning") and not finding.get(
            "acknowledgement"
        ):
            try:
                finding_acknowledge(
                    actor=physician,
                    booking_id=booking.pk,
                    finding_key=finding["key"],
                    reason=REASON_ACK,
                )
            except ServiceError:
                continue  # e.g. the bleeding-risk category: the operator chooses it instead


def _checklist(actor: User, booking: Booking, phase: str, present: list) -> None:
    items = checklist_items(phase)  # type: ignore[arg-type]
    checklist_complete(
        actor=actor,
        booking_id=booking.pk,
        phase=phase,
        done=[i.id for i in items],
        present=[u.pk for u in present if u is not None],
    )


def _times(start: datetime) -> dict[str, datetime]:
    return {
        "in_room_at": start,
        "started_at": start + timedelta(minutes=12),
        "ended_at": start + timedelta(minutes=47),
        "out_at": start + timedelta(minutes=58),
    }


def _walk(booking: Booking, target: str, staff: Staff, operator, rng) -> ProcedureRecord | None:
    """Take one booking to `target` through the day-of-case services."""
    nurse = staff.nurse
    record = day.case_check_in(actor=nurse, booking_id=booking.pk)
    if target == BookingStatus.ARRIVED:
        return record
    if target == BookingStatus.IN_PREPARATION:
        day.case_prepare(actor=nurse, booking_id=booking.pk)
        return record
    team = [operator, nurse, staff.technologist]
    _checklist(nurse, booking, "sign_in", team)
    times = _times(booking.start)
    day.case_to_room(actor=nurse, booking_id=booking.pk, at=times["in_room_at"])
    _checklist(staff.technologist or nurse, booking, "time_out", team)
    procedure = booking.order.procedure_type
    late = {"started_at": times["started_at"]}
    if target != BookingStatus.IN_ROOM:
        late |= {"ended_at": times["ended_at"], "out_at": times["out_at"]}
    day.case_record_update(actor=operator, procedure_id=record.pk, group="times", values=late)
    if procedure.uses_contrast:
        day.case_record_update(
            actor=operator,
            procedure_id=record.pk,
            group="contrast",
            values={"contrast_agent": "Iohexol 300", "contrast_ml": str(rng.randint(15, 120))},
        )
    day.case_record_update(
        actor=operator,
        procedure_id=record.pk,
        group="findings",
        values={"findings": FINDINGS.get(procedure.category, "As planned.")},
    )
    if target == BookingStatus.IN_ROOM:
        return record
    if not procedure.arterial_access:
        day.case_record_update(
            actor=operator,
            procedure_id=record.pk,
            group="access",
            values={"access_sites": [ACCESS.get(procedure.category, "none")]},
        )
    day.case_record_update(
        actor=operator,
        procedure_id=record.pk,
        group="outcome",
        values={"technical_success": "success" if rng.random() > 0.08 else "partial"},
    )
    used_on = record.procedure_day()
    if procedure.arterial_access:
        procedures.device_add(
            actor=operator,
            procedure_id=record.pk,
            device_type="Introducer sheath 6 Fr",
            manufacturer="Demo Medical",
            udi=demo_sheath_udi(rng, used_on),
        )
    for place in procedure.device_defaults.get("places", []):
        procedures.device_add(  # scanned: product, lot, serial and expiry from the label
            actor=operator,
            procedure_id=record.pk,
            device_type=place["name"],
            manufacturer="Demo Medical",
            udi=demo_udi(place["kind"], rng, used_on),
            implanted=True,
            in_situ_kind=place["kind"],
        )
    if "specimens" in (procedure.completion_requires or []):
        procedures.specimen_add(
            actor=operator,
            procedure_id=record.pk,
            label="A1",
            specimen_type="Core biopsy × 3",
            sent_to="Histopathology",
        )
    _checklist(nurse, booking, "sign_out", team)
    record = day.case_complete(actor=operator, procedure_id=record.pk)
    _recover(record, nurse, rng)
    if target == BookingStatus.DISCHARGED:
        admitted = rng.random() < 0.15
        day.case_discharge(
            actor=nurse,
            procedure_id=record.pk,
            disposition="admitted" if admitted else "same_day",
            admitted_to="Ward 7" if admitted else "",
            discharged_at=min(
                times["out_at"] + timedelta(hours=2, minutes=rng.randint(0, 90)),
                _demo_now(times["out_at"]),
            ),
            now=_demo_now(times["out_at"]),
        )
    return record


def _demo_now(out_at: datetime) -> datetime:
    """The clock the recovery of a demo case is recorded against: the real one, unless the
    case lies ahead of it (a demo built for a later day), which is then played through."""
    now = timezone.now()
    return now if out_at <= now else out_at + timedelta(hours=4)


def _recover(record: ProcedureRecord, nurse, rng: random.Random) -> None:
    """Vital signs every 15 minutes from leaving the room (up to now), settling towards the
    pre-procedure values; the last sets meet the discharge criteria."""
    out = record.out_at
    assert out is not None
    sbp, hr = rng.randint(115, 150), rng.randint(62, 88)
    recovery.recovery_update(
        actor=nurse,
        procedure_id=record.pk,
        observations="Puncture site dry; eating and drinking.",
        baseline_systolic_mmhg=sbp,
        baseline_heart_rate_bpm=hr,
    )
    now = _demo_now(out)
    pain = rng.randint(3, 7)
    for step in range(5):
        at = out + timedelta(minutes=5 + 15 * step)
        if at > now:
            break
        settled = step >= 2
        pain = max(0, pain - rng.randint(1, 2))
        recovery.vital_signs_record(
            actor=nurse,
            procedure_id=record.pk,
            recorded_at=at,
            heart_rate_bpm=hr + rng.randint(-4, 12 if not settled else 4),
            systolic_mmhg=sbp + rng.randint(-8, 20 if not settled else 6),
            diastolic_mmhg=rng.randint(65, 85),
            spo2_pct=rng.randint(95, 99),
            on_oxygen=step == 0,
            resp_rate_per_min=rng.randint(12, 18),
            temperature_c=f"{rng.uniform(36.3, 37.2):.1f}",
            consciousness="A" if step else "V",
            pain_nrs=pain,
            activity=2 if step else 1,
            respiration=2,
            ambulation=2 if settled else 1,
            nausea=2,
            bleeding=2,
            now=now,
        )


def _report(record: ProcedureRecord, author, signer, *, addendum: bool = False) -> None:
    report = reports.report_start(actor=author, procedure_id=record.pk)
    values = {}
    for field in normalised(report.template)["fields"]:
        if field["type"] == "choice":
            values[field["key"]] = field["choices"][0]
        elif field["type"] == "yes_no":
            values[field["key"]] = "yes"
        elif field["type"] == "number":
            values[field["key"]] = "1"
    name = record.order.procedure_type.name
    reports.report_update(
        actor=author,
        report_id=report.pk,
        fields=values,
        sections={
            "impression": f"{name}: technically successful.",
            "plan": "Routine observation; follow-up as booked.",
        },
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


def _adverse_event(
    record: ProcedureRecord,
    actor: User,
    event: tuple[str, str, str, str, dict[str, str]],
) -> None:
    grade, legacy, cirse, text, facts = event
    assert record.out_at is not None
    adverse_event_record(
        actor=actor,
        procedure_id=record.pk,
        onset_at=record.out_at + timedelta(minutes=20),
        detection="recovery",
        description=text,
        sir_grade=grade,
        legacy_sir_class=legacy,
        cirse_grade=cirse,
        attribution="procedure",
        management="Manual compression and observation.",
        outcome="resolved",
        therapy=facts["therapy"],
        care_level=facts["care_level"],
        hospital_stay=facts["hospital_stay"],
        life_threatening=facts["life_threatening"],
        sequelae=facts["sequelae"],
    )


def _overdue_filter(ctx, staff: Staff, rng: random.Random) -> None:
    """An IVC filter placed about four months ago whose retrieval is overdue."""
    room = next((r for r in ctx.rooms if r.modality == "XA" and r.active), None)
    if room is None or not ctx.patients:
        return
    when = ctx.today - timedelta(days=121)
    while when.isoweekday() > 5:
        when -= timedelta(days=1)
    start = datetime.combine(when, room.opens_at, timezone.get_current_timezone())
    patient = ctx.patients[len(ctx.patients) // 2]
    order = order_create(
        actor=staff.physician,
        patient_id=patient.pk,
        procedure_type=ProcedureType.objects.get(code="IVCF-IN"),
        clinical_indication="Pulmonary embolism; anticoagulation contraindicated after surgery.",
    )
    booking = booking_create(
        actor=ctx.users["scheduler"],
        order_id=order.pk,
        room=room,
        start=start,
        primary_operator=staff.physician,
        now=start - timedelta(days=7),  # booked a week ahead, four months ago
    )
    _prepare(booking, staff, rng)
    record = _walk(booking, BookingStatus.DISCHARGED, staff, staff.physician, rng)
    assert record is not None
    _report(record, staff.physician, staff.physician)


# The demo site's letterhead on preparation letters (a fictional hospital).
DEMO_LETTERHEAD = {
    "hospital_name": "Riverside General Hospital (demo)",
    "department_name": "Interventional Radiology, level 2",
    "department_phone": "0100 000 000",
    "department_address": "1 River Road, Demo Town",
}


def demo_day_create(ctx) -> None:
    users = ctx.users
    if users.get("physician") is None or users.get("nurse") is None:
        return
    if users.get("admin") is not None:
        policy_update(actor=users["admin"], letterhead=DEMO_LETTERHEAD)
    staff = Staff(
        physician=users["physician"],
        nurse=users["nurse"],
        technologist=users.get("technologist"),
        trainee=users.get("trainee"),
    )
    rng = random.Random(ctx.seed * 31 + 7)
    count = 0
    try:
        _overdue_filter(ctx, staff, rng)
        count += 1
    except ServiceError:
        pass
    planned = list(
        Booking.objects.filter(pk__in=list(ctx.plan))
        .select_related("order__procedure_type", "primary_operator", "patient")
        .order_by("start")
    )
    today_start = datetime.combine(ctx.today, datetime.min.time(), timezone.get_current_timezone())
    events = list(EVENTS)
    for index, booking in enumerate(planned):
        target = ctx.plan[booking.pk]
        operator = booking.primary_operator or staff.physician
        if operator.role != "physician":
            operator = staff.physician
        past = booking.start < today_start
        try:
            _prepare(booking, staff, rng)
            record = _walk(booking, target, staff, operator, rng)
        except ServiceError:
            continue  # a demo booking that does not fit a rule stays where it is
        count += 1
        if past:
            date_done(booking.order, booking.start)
        if record is None or record.status != "completed":
            continue
        author = staff.trainee if staff.trainee is not None and index % 4 == 1 else operator
        if past or index % 2 == 0:
            _report(record, author, operator, addendum=index % 5 == 3)
        if events and index % 4 == 2:
            _adverse_event(record, staff.nurse, events.pop())
    waiting = (
        Booking.objects.filter(
            start__gte=today_start,
            start__lt=today_start + timedelta(days=1),
            status=BookingStatus.BOOKED,
        )
        .select_related("order__procedure_type", "patient")
        .order_by("start", "room__code")
    )
    for index, booking in enumerate(waiting):
        gap = GAPS[(index // GAP_EVERY) % len(GAPS)] if index % GAP_EVERY == GAP_EVERY - 1 else ""
        try:
            _prepare(booking, staff, rng, gap=gap)
        except ServiceError:
            continue
    ctx.counts["procedure records"] = count
