"""`irflow demo --years N --procedures-per-year M`: a department's history, for measurement.

Years of finished work written in bulk (`irflow.demo.bulk`: COPY on PostgreSQL, executemany
on SQLite), day by day, as the services would have left it: patients with their MRN, labs,
medications and allergies; referrals (some through the board) with their timeline and the
referrer's notifications; orders; bookings with their team and preparation; the sign-in,
time-out and sign-out checklists and the readiness kept at sign-in; the procedure record
with its team, devices and specimens; recovery with vital signs; the signed report (a
trainee's co-signed, a few with a signed addendum); dose reports with planes and irradiation
events for the fluoroscopy rooms, with the alerts and skin follow-up of the high ones;
adverse events; devices left in situ and their removal; follow-up tasks and their outcomes;
and the change history (django-auditlog) and access log rows such work leaves.

Nothing is read back per row and nothing is kept per patient or per day once written, so
time grows with the rows written and memory stays flat: a day's rows are built, then the
writer flushes each table every few thousand rows. Each day reads the bookings that already
exist on it (other demo data, an earlier history run) and plans around them, so a history
can be added to a database that has demo data.

`bookings_today_fill` tops today up to a number of bookings (the page benchmark's board).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.accounts.services import privilege_grant, user_create
from irflow.audit.models import AccessLog
from irflow.board.models import BoardCase, BoardMeeting, Decision
from irflow.catalogue.models import ProcedureType, Room
from irflow.checklists.models import ChecklistRecord
from irflow.clinical import checklist_items
from irflow.clinical.inputs import SEDATION_LEVELS
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES
from irflow.demo.bookings import OPERATORS, _Planner
from irflow.demo.bulk import Encoded, Writer
from irflow.demo.day import EVENTS, FINDINGS
from irflow.demo.patients import ALLERGIES, ANTITHROMBOTIC_REGIMENS, OTHER_MEDS
from irflow.demo.rooms import CLOSES, DEMO_ROOMS, EVERY_DAY, OPENS
from irflow.demo.staff import DEMO_PASSWORD
from irflow.devices.models import DeviceInSitu
from irflow.dose.models import (
    AccumulatedXrayDose,
    DoseAlert,
    IrradiationEventXrayData,
    RadiationDoseReport,
)
from irflow.followup.models import FollowUpTask
from irflow.orders import identifiers
from irflow.orders.models import Order
from irflow.outcomes.models import AdverseEvent, FollowUpOutcome
from irflow.patients.models import (
    ANALYTE_UNITS,
    Allergy,
    IdentifierKind,
    LabResult,
    Medication,
    Patient,
    PatientIdentifier,
    normalise_name,
)
from irflow.procedures.models import (
    DeviceUsed,
    ProcedureRecord,
    ProcedureTeamMember,
    Specimen,
)
from irflow.readiness.models import Preparation, ReadinessSnapshot
from irflow.recovery.models import PainScore, RecoveryEpisode, VitalSigns
from irflow.referrals.models import Notification, Referral, ReferralEvent
from irflow.reports.models import Addendum, Report
from irflow.reports.structure import normalised
from irflow.scheduling.models import Booking, BookingTeamMember, TeamRole

WEEKEND_SHARE = 0.15  # a weekend day does this share of a weekday's work (emergencies)
PER_ROOM_DAY = 6  # procedures a room does on a usual weekday
REPEAT_SHARE = 0.3  # procedures for a patient the department has treated before
RECENT_PATIENTS = 4000  # patients a repeat procedure is drawn from (the latest)
REFERRAL_SHARE = 0.6  # the rest are ordered through the EHR
BOARD_SHARE = 0.12  # of referrals
ADVERSE_SHARE = 0.04
ADDENDUM_SHARE = 0.03
ACCESS_PER_PROCEDURE = 4  # chart, procedure, report, a search row: reads the log keeps
DOSE_SRDL_MGY = 5000.0
NOTIFICATION_MGY = 6000.0
DOSE_RULESET = "1.1.0"
DOSE_SOURCE = (
    "National Council on Radiation Protection and Measurements. NCRP Report No. 168: "
    "Radiation Dose Management for Fluoroscopically-Guided Interventional Medical Procedures. "
    "Bethesda, MD: NCRP; 2010."
)
PROJECTION_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"
FILTERS = [
    {
        "type": "Strip filter",
        "material": "Copper or Copper compound",
        "thickness_min_mm": 0.3,
        "thickness_max_mm": 0.3,
    }
]


def _daily_mean(per_year: int) -> float:
    """Procedures on a weekday, for `per_year` a year (weekends do WEEKEND_SHARE of that)."""
    return per_year / (52.18 * (5 + 2 * WEEKEND_SHARE))


def rooms_needed(per_day: float) -> int:
    return max(len(DEMO_ROOMS), math.ceil(per_day * 1.25 / PER_ROOM_DAY))


def history_rooms(ctx, count: int) -> list[Room]:
    """The demo's rooms, and more like them (with a physician each) when `count` needs it."""
    rooms = [r for r in ctx.rooms if r.active]
    n = len(rooms)
    while n < count:
        n += 1
        code, name, kind, modality, ae, others, capabilities = DEMO_ROOMS[(n - 1) % len(DEMO_ROOMS)]
        room, _ = Room.objects.get_or_create(
            code=f"{code[:-1]}{n:02d}",
            defaults={
                "name": f"{name.split(' (')[0]} ({n:02d})",
                "kind": kind,
                "modality": modality,
                "modalities": others,
                "capabilities": capabilities,
                "station_ae_title": f"{ae[:-1]}{n:02d}",
                "opens_at": OPENS,
                "closes_at": CLOSES,
                "open_weekdays": EVERY_DAY,
            },
        )
        rooms.append(room)
        username = f"physician{n:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=SYSTEM,
                username=username,
                role=Role.PHYSICIAN,
                password=DEMO_PASSWORD,
                check_password=False,
                first_name="Demo",
                last_name=f"Operator {n:02d}",
                display_name=f"Dr D. Operator {n:02d}",
                email=f"{username}@irflow.invalid",
                specialty="Interventional radiology",
            )
            for category in PROCEDURE_CATEGORIES:
                privilege_grant(
                    actor=SYSTEM,
                    user_id=user.pk,
                    category=category,
                    granted_at=ctx.today.replace(year=ctx.today.year - 3),
                )
        ctx.users[username] = user
        OPERATORS.setdefault(room.code, (username, None))
    return rooms


@dataclass
class _Case:
    """One planned procedure of a day."""

    room: Room
    procedure: ProcedureType
    start: datetime
    end: datetime
    operator: User | None
    supervisor: User | None


class History:
    def __init__(self, ctx, *, years: int, per_year: int, patients: int | None = None) -> None:
        self.ctx = ctx
        self.years, self.per_year = years, per_year
        self.rng = random.Random(ctx.seed * 7919 + years * 31 + per_year)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(ctx.seed * 7 + per_year)
        self.tz = timezone.get_current_timezone()
        self.now = timezone.now()
        self.today = ctx.today
        self.first_day = self.today - timedelta(days=round(365.25 * years))
        self.mean = _daily_mean(per_year)
        self.rooms = history_rooms(ctx, rooms_needed(self.mean))
        self.planner = _Planner(ctx)
        self.planner.rooms = self.rooms
        self.candidates = {r.pk: self.planner.candidates(r) for r in self.rooms}
        users = ctx.users
        self.nurse, self.technologist = users["nurse"], users.get("technologist")
        self.scheduler, self.physician = users["scheduler"], users["physician"]
        self.trainee = users.get("trainee")
        self.referrers = [u for u in users.values() if u.role == Role.REFERRER]
        self.qi = users.get("qi") or self.physician
        self.w = Writer()
        self._tables()
        self.recent: deque[tuple[int, str, str]] = deque(maxlen=RECENT_PATIENTS)
        self.mrn = _next_mrn()
        self.meds: dict[int, list[int]] = {}  # recent patients' antithrombotic medication ids
        self.issuer = settings.IRFLOW_MRN_ISSUER
        self.uid_root = settings.IRFLOW_UID_ROOT
        self.templates: dict[int, tuple[dict, dict]] = {}
        self.encoded: dict[int, Encoded] = {}
        self.checklist_items = {
            phase: Encoded.of([{**i.to_dict(), "answer": "done"} for i in checklist_items(phase)])
            for phase in ("sign_in", "time_out", "sign_out")
        }
        self.snapshot = _snapshot_template()
        # The evaluation kept at sign-in, encoded once: only its time and urgency change.
        evaluation = dict(self.snapshot["evaluation"], evaluated_at="@AT@", urgency="@URGENCY@")
        self.evaluation = json.dumps(evaluation, ensure_ascii=False)
        self.rule_sets = Encoded.of(self.snapshot["rule_sets"])
        self.filters = Encoded.of(FILTERS)
        self.calibrations = Encoded.of([{"factor": 0.93, "uncertainty_pct": 5.0}])
        self.content_types = {
            m: ContentType.objects.get_for_model(m).pk
            for m in (Order, Booking, ProcedureRecord, Report, Referral, Patient, FollowUpTask)
        }
        self.board_meeting: tuple[int, datetime] | None = None
        self.counts: dict[str, int] = {}
        self.patients_made = 0
        self.planned = 0
        self.placed = 0

    # ------------------------------------------------------------------ tables

    def _tables(self) -> None:
        t = self.w.table
        self.t_patient = t(
            Patient,
            [
                "id", "family_name", "given_name", "family_name_key", "given_name_key",
                "birth_date", "sex", "weight_kg", "height_cm", "phone", "address", "language",
                "version", "created_at", "updated_at",
            ],
        )  # fmt: skip
        self.t_ident = t(PatientIdentifier, ["id", "patient", "kind", "issuer", "value"])
        self.t_allergy = t(
            Allergy,
            ["id", "patient", "agent", "category", "severity", "reaction", "recorded_at",
             "reconciliation", "is_active"],
        )  # fmt: skip
        self.t_med = t(
            Medication,
            ["id", "patient", "name", "drug", "dose", "dose_unit", "frequency", "dose_times",
             "is_antithrombotic", "active", "updated_at", "reconciliation"],
        )  # fmt: skip
        self.t_lab = t(
            LabResult,
            ["id", "patient", "analyte", "value", "unit", "collected_at", "source",
             "recorded_at", "recorded_by"],
        )  # fmt: skip
        self.t_referral = t(
            Referral,
            ["id", "version", "patient", "referrer", "submitted_patient", "patient_match",
             "referring_clinician", "referrer_specialty", "clinical_question", "procedure_type",
             "requested_procedure_text", "urgency", "relevant_history", "medications",
             "allergies", "status", "status_note", "status_changed_at", "received_at",
             "triaged_at", "triaged_by", "order", "procedure_at", "created_by", "updated_at",
             "laterality", "site"],
        )  # fmt: skip
        self.t_revent = t(
            ReferralEvent, ["id", "referral", "at", "actor", "from_status", "to_status", "note"]
        )
        self.t_notif = t(
            Notification, ["id", "recipient", "referral", "message", "url", "created_at", "read_at"]
        )
        self.t_meeting = t(
            BoardMeeting, ["id", "title", "held_at", "location", "specialties", "created_at",
                           "created_by"]
        )  # fmt: skip
        self.t_case = t(
            BoardCase,
            ["id", "meeting", "referral", "position", "decision", "recommended_treatment",
             "rationale", "agreed_by", "decided_at", "decided_by", "order"],
        )  # fmt: skip
        self.t_order = t(
            Order,
            ["id", "patient", "procedure_type", "laterality", "site", "priority",
             "clinical_indication", "accession_number", "requested_procedure_id",
             "study_instance_uid", "status", "bleeding_risk_choice", "placer_order_number",
             "cancel_reason", "created_at", "created_by", "updated_at"],
        )  # fmt: skip
        self.t_booking = t(
            Booking,
            ["id", "version", "order", "patient", "room", "start", "end", "primary_operator",
             "sps_id", "modality", "station_ae_title", "status", "active", "cancel_reason",
             "cancel_note", "short_slot_reason", "retrospective_reason", "status_changed_at",
             "created_at", "created_by", "updated_at"],
        )  # fmt: skip
        self.t_bteam = t(BookingTeamMember, ["id", "booking", "user", "role"])
        self.t_prep = t(
            Preparation,
            ["id", "booking", "sedation", "contrast_route", "premedication", "stay",
             "access_site", "consent", "medications_confirmed", "allergies_confirmed", "anuric",
             "thrombotic_risk", "intake_asked", "last_clear_fluids_at", "last_light_meal_at",
             "updated_at", "updated_by"],
        )  # fmt: skip
        self.t_snapshot = t(
            ReadinessSnapshot,
            ["id", "booking", "kind", "state", "effective_state", "blocking", "emergent",
             "evaluation", "rule_sets", "fingerprint", "evaluated_at", "valid_until",
             "created_by"],
        )  # fmt: skip
        self.t_checklist = t(
            ChecklistRecord,
            ["id", "booking", "phase", "items", "present", "readiness_state", "emergent",
             "open_findings", "note", "completed_at", "completed_by"],
        )  # fmt: skip
        self.t_record = t(
            ProcedureRecord,
            ["id", "version", "booking", "order", "patient", "status", "checked_in_at",
             "checked_in_by", "in_room_at", "started_at", "ended_at", "out_at", "access_sites",
             "access_note", "sedation_depth", "asa_class", "asa_emergency", "mallampati",
             "monitoring", "contrast_agent", "contrast_ml", "contrast_route", "findings",
             "intra_procedure_events", "technical_success", "technical_success_note",
             "clinical_success", "clinical_success_note", "completed_at", "completed_by",
             "created_at", "updated_at", "updated_by"],
        )  # fmt: skip
        self.t_pteam = t(
            ProcedureTeamMember,
            ["id", "record", "user", "role", "entered_in_error", "created_at", "created_by"],
        )
        self.t_device = t(
            DeviceUsed,
            ["id", "record", "device_type", "manufacturer", "lot", "expiry", "serial", "gtin",
             "udi", "udi_issuer", "device_identifier", "implanted", "in_situ_kind",
             "expiry_override_reason", "entered_in_error", "created_at", "created_by"],
        )  # fmt: skip
        self.t_specimen = t(
            Specimen,
            ["id", "record", "label", "specimen_type", "sent_to", "entered_in_error",
             "created_at", "created_by"],
        )  # fmt: skip
        self.t_insitu = t(
            DeviceInSitu,
            ["id", "version", "patient", "kind", "name", "action", "placed_on", "due_on",
             "placed_by_procedure", "device_used", "status", "removed_on", "removal_reason",
             "removal_note", "removed_by", "created_at", "created_by"],
        )  # fmt: skip
        self.t_recovery = t(
            RecoveryEpisode,
            ["id", "record", "patient", "started_at", "observations", "baseline_systolic_mmhg",
             "baseline_heart_rate_bpm", "discharged_at", "disposition", "admitted_to",
             "discharge_instructions", "discharged_by", "updated_at"],
        )  # fmt: skip
        self.t_pain = t(PainScore, ["id", "episode", "score", "recorded_at", "note", "recorded_by"])
        self.t_vitals = t(
            VitalSigns,
            ["id", "episode", "recorded_at", "heart_rate_bpm", "systolic_mmhg", "diastolic_mmhg",
             "spo2_pct", "on_oxygen", "resp_rate_per_min", "temperature_c", "consciousness",
             "pain", "activity", "respiration", "ambulation", "nausea", "bleeding",
             "recorded_by"],
        )  # fmt: skip
        self.t_report = t(
            Report,
            ["id", "version", "record", "template", "fields", "sections", "status", "author",
             "submitted_at", "signed_by", "signed_at", "cosigned", "content_sha256",
             "return_reason", "created_at", "updated_at"],
        )  # fmt: skip
        self.t_addendum = t(
            Addendum, ["id", "report", "text", "author", "created_at", "signed_by", "signed_at"]
        )
        self.t_dose = t(
            RadiationDoseReport,
            ["id", "sop_instance_uid", "sop_class_uid", "template", "scope",
             "procedure_reported", "study_instance_uid", "accession_number",
             "dicom_patient_id", "dicom_patient_name", "manufacturer", "model_name",
             "station_name", "performed_at", "study_datetime", "dap_total_gy_cm2",
             "fluoro_dap_total_gy_cm2", "acquisition_dap_total_gy_cm2", "ka_r_total_mgy",
             "fluoro_ka_r_total_mgy", "acquisition_ka_r_total_mgy", "fluoro_time_total_s",
             "acquisition_time_total_s", "event_count", "new_event_count",
             "dap_counted_gy_cm2", "ka_r_counted_mgy", "fluoro_time_counted_s", "warnings",
             "patient", "order", "booking", "link_status", "link_method", "linked_at",
             "created_at"],
        )  # fmt: skip
        self.t_plane = t(
            AccumulatedXrayDose,
            ["id", "report", "plane", "dap_total_gy_cm2", "ka_r_total_mgy",
             "fluoro_time_total_s", "reference_point", "calibrations"],
        )  # fmt: skip
        self.t_event = t(
            IrradiationEventXrayData,
            ["id", "report", "event_uid", "datetime_started", "event_type", "plane",
             "acquisition_protocol", "dap_gy_cm2", "dose_rp_mgy", "kvp", "tube_current_ma",
             "irradiation_duration_s", "pulse_rate_per_s", "fluoro_mode", "primary_angle_deg",
             "secondary_angle_deg", "target_region", "filters"],
        )  # fmt: skip
        self.t_alert = t(
            DoseAlert,
            ["id", "patient", "order", "report", "level", "rule_id", "rule_set_version",
             "quantity", "value", "threshold", "unit", "message", "confidence", "verified",
             "source", "contributions", "followup_task", "created_at", "updated_at",
             "acknowledged_at", "acknowledged_by", "acknowledgement_note"],
        )  # fmt: skip
        self.t_ae = t(
            AdverseEvent,
            ["id", "patient", "record", "onset_at", "detection", "description", "therapy",
             "care_level", "hospital_stay", "life_threatening", "sequelae", "sir_grade",
             "legacy_sir_class", "cirse_grade", "grade_reason", "attribution", "management",
             "outcome", "grading_rule_version", "entered_in_error", "recorded_at",
             "recorded_by", "updated_at"],
        )  # fmt: skip
        self.t_task = t(
            FollowUpTask,
            ["id", "version", "patient", "order", "kind", "description", "owner",
             "window_start", "due_date", "status", "source", "source_rule_id",
             "source_rule_version", "outcome", "completed_at", "completed_by", "created_at",
             "created_by", "updated_at"],
        )  # fmt: skip
        self.t_outcome = t(
            FollowUpOutcome,
            ["id", "task", "patient", "contact", "pain_score", "symptoms", "imaging_response",
             "normal_activity", "note", "recorded_at", "recorded_by"],
        )  # fmt: skip
        from auditlog.models import LogEntry

        self.t_log = t(
            LogEntry,
            ["id", "content_type", "object_pk", "object_id", "object_repr", "action",
             "changes_text", "changes", "actor", "timestamp", "additional_data"],
        )  # fmt: skip
        self.t_access = t(
            AccessLog,
            ["id", "at", "user", "username", "role", "patient_id", "patient_label", "what",
             "channel", "remote_addr", "path", "refused"],
        )  # fmt: skip

    # ------------------------------------------------------------------ the run

    def run(self, progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
        with _sqlite_cache():
            return self._run(progress)

    def _run(self, progress: Callable[[str], None]) -> dict[str, int]:
        day = self.first_day
        while day < self.today:
            # One transaction a year: the database's pending work (deferred foreign-key
            # checks, the write-ahead log) stays the size of a year, whatever the years.
            progress(f"history: {day.year}")
            with transaction.atomic():
                year = day.year
                while day < self.today and day.year == year:
                    self._day(day)
                    day += timedelta(days=1)
                self.w.flush()
        counts = {
            "history procedures": self.placed,
            "history patients": self.patients_made,
            "history rows": sum(self.w.counts().values()),
        }
        if self.placed < self.planned:
            counts["history procedures without a free slot"] = self.planned - self.placed
        return counts

    def _day(self, day: date) -> None:
        rng = self.rng
        weekend = day.isoweekday() > 5
        mean = self.mean * (WEEKEND_SHARE if weekend else 1.0)
        n = max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
        if n == 0:
            return
        self.planned += n
        room_busy, busy_patients, busy_operators = self._busy(day)
        cases = self._plan(day, n, room_busy, busy_operators)
        for case in cases:
            self._procedure(case, busy_patients)
        self.placed += len(cases)

    def _busy(self, day: date):
        """Who and what is booked on `day` already: rooms and operators (their times) and
        patients (the day's patients are not booked twice)."""
        day_start = datetime.combine(day, time(0), self.tz)
        room_busy: dict[int, list[tuple[datetime, datetime]]] = {}
        busy_patients: set[int] = set()
        busy_operators: dict[int, list[tuple[datetime, datetime]]] = {}
        for room_id, patient_id, operator_id, s, e in Booking.objects.filter(
            active=True, start__lt=day_start + timedelta(days=1), end__gt=day_start
        ).values_list("room_id", "patient_id", "primary_operator_id", "start", "end"):
            room_busy.setdefault(room_id, []).append((s, e))
            busy_patients.add(patient_id)
            if operator_id:
                busy_operators.setdefault(operator_id, []).append((s, e))
        return room_busy, busy_patients, busy_operators

    def fill_today(self, target: int) -> int:
        """Book today up to `target` active bookings across the rooms (more rooms when the
        demo's are full); returns how many were added."""
        day = self.today
        room_busy, busy_patients, busy_operators = self._busy(day)
        day_start = datetime.combine(day, time(0), self.tz)
        existing = Booking.objects.filter(
            active=True, start__gte=day_start, start__lt=day_start + timedelta(days=1)
        ).count()
        missing = target - existing
        if missing <= 0:
            return 0
        self.rooms = history_rooms(self.ctx, max(len(self.rooms), math.ceil(target / 7)))
        self.planner = _Planner(self.ctx)  # knows the operators of the rooms just added
        self.planner.rooms = self.rooms
        self.candidates = {r.pk: self.planner.candidates(r) for r in self.rooms}
        cases = self._plan(day, missing, room_busy, busy_operators)
        for case in cases:
            self._booked(case, busy_patients)
        self.w.flush()
        return len(cases)

    def _booked(self, case: _Case, busy: set[int]) -> None:
        """A booking for today, made a few days ago: the order scheduled, the team and the
        preparation recorded, labs taken."""
        rng = self.rng
        procedure, room, start = case.procedure, case.room, case.start
        pid, _mrn, _label = self._patient(busy, start)
        ordered_at = start - timedelta(days=rng.randint(3, 20))
        booked_at = ordered_at + timedelta(hours=rng.randint(1, 40))
        oid = self.t_order.new_id()
        n = self._numbers()
        accession = identifiers.accession_number(n["accession"])
        self.t_order.add(
            (
                oid, pid, procedure.pk, "", "", "routine", "Requested through the EHR.",
                accession, identifiers.requested_procedure_id(n["requested_procedure"]),
                identifiers.study_uid(n["study_uid"]), "scheduled",
                self._risk_choice(procedure),
                f"EHR{self.ctx.seed:03d}T{oid:08d}", "", ordered_at, self.physician.pk, booked_at,
            )
        )  # fmt: skip
        bid = self.t_booking.new_id()
        self.t_booking.add(
            (
                bid, 1, oid, pid, room.pk, case.start, case.end,
                case.operator.pk if case.operator else None, identifiers.sps_id(n["sps"]),
                room.modality, room.station_ae_title, "booked", True, "", "", "", "",
                booked_at, booked_at, self.scheduler.pk, booked_at,
            )
        )  # fmt: skip
        for user, role in self._team(case):
            self.t_bteam.add((self.t_bteam.new_id(), bid, user.pk, role))
        self._preparation(bid, pid, procedure, start)

    def _team(self, case: _Case) -> list[tuple[User, str]]:
        team: list[tuple[User, str]] = [(self.nurse, TeamRole.NURSE)]
        if case.operator is not None:
            team.insert(0, (case.operator, TeamRole.PRIMARY_OPERATOR))
        if case.supervisor is not None:
            team.append((case.supervisor, TeamRole.SUPERVISING_PHYSICIAN))
        if case.room.modality in ("XA", "CT") and self.technologist is not None:
            team.append((self.technologist, TeamRole.TECHNOLOGIST))
        return team

    def _preparation(self, bid: int, pid: int, procedure: ProcedureType, start: datetime) -> str:
        """The preparation and the labs taken the day before; returns the sedation."""
        rng = self.rng
        sedation = procedure.default_sedation or "local"
        route = "none"
        if procedure.uses_contrast:
            route = "ia_second_pass" if procedure.arterial_access else "iv"
        prepared = min(start - timedelta(days=1, hours=rng.randint(0, 6)), self.now)
        self.t_prep.add(
            (
                self.t_prep.new_id(), bid, sedation, route, "",
                "overnight" if sedation == "general" else "day_case",
                "femoral" if procedure.arterial_access else "none", "signed", True, True, "no",
                "", True, start - timedelta(hours=3), start - timedelta(hours=9), prepared,
                self.nurse.pk,
            )
        )  # fmt: skip
        for analyte, value in (
            ("inr", f"{rng.uniform(0.9, 1.3):.1f}"),
            ("platelets", str(rng.randint(150, 350))),
            ("haemoglobin", str(rng.randint(105, 155))),
            ("creatinine", str(rng.randint(55, 130))),
            ("egfr", str(rng.randint(45, 100))),
        ):
            self.t_lab.add(
                (self.t_lab.new_id(), pid, analyte, Decimal(value), ANALYTE_UNITS[analyte],
                 prepared, "demo", prepared, self.nurse.pk)
            )  # fmt: skip
        return sedation

    def _plan(self, day, n, room_busy, busy_operators) -> list[_Case]:
        rng = self.rng
        cursors = {
            r.pk: datetime.combine(day, r.opens_at, self.tz)
            + timedelta(minutes=rng.choice([0, 15, 30]))
            for r in self.rooms
            if day.isoweekday() in (r.open_weekdays or [])
        }
        rooms = [r for r in self.rooms if r.pk in cursors]
        cases: list[_Case] = []
        full: set[int] = set()
        i = 0
        while len(cases) < n and len(full) < len(rooms):
            room = rooms[i % len(rooms)]
            i += 1
            if room.pk in full:
                continue
            procedure = rng.choice(self.candidates[room.pk])
            operator, supervisor = self.planner.operator(room, procedure)
            start = cursors[room.pk]
            end = start + timedelta(minutes=procedure.default_duration_min)
            closes = datetime.combine(day, room.closes_at, self.tz)
            if end > closes:
                full.add(room.pk)
                continue
            clash = [e for s, e in room_busy.get(room.pk, []) if s < end and start < e]
            if operator is not None:
                clash += [
                    e for s, e in busy_operators.get(operator.pk, []) if s < end and start < e
                ]
            if clash:
                cursors[room.pk] = max(clash)
                continue
            cursors[room.pk] = end + timedelta(minutes=rng.choice([15, 15, 30, 45]))
            cases.append(_Case(room, procedure, start, end, operator, supervisor))
        return cases

    # ------------------------------------------------------------------ patients

    def _patient(self, busy: set[int], when: datetime) -> tuple[int, str, str]:
        """A patient for a procedure at `when`: one treated before, or a new one."""
        rng = self.rng
        if self.recent and rng.random() < REPEAT_SHARE:
            for _ in range(5):
                candidate = self.recent[rng.randrange(len(self.recent))]
                if candidate[0] not in busy:
                    busy.add(candidate[0])
                    return candidate
        patient = self._new_patient(when)
        busy.add(patient[0])
        return patient

    def _new_patient(self, when: datetime) -> tuple[int, str, str]:
        rng, fake = self.rng, self.fake
        pid = self.t_patient.new_id()
        sex = rng.choice("FM")
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        family = fake.last_name()
        birth = when.date() - timedelta(days=rng.randint(18 * 365, 92 * 365))
        registered = when - timedelta(days=rng.randint(3, 60))
        self.t_patient.add(
            (
                pid, family, given, normalise_name(family), normalise_name(given), birth, sex,
                Decimal(f"{max(35.0, rng.gauss(78 if sex == 'M' else 68, 14)):.1f}"),
                Decimal(f"{rng.gauss(176 if sex == 'M' else 163, 7):.0f}"),
                fake.phone_number(), "", "en", 1, registered, registered,
            )
        )  # fmt: skip
        mrn = f"D{self.mrn:07d}"
        self.mrn += 1
        self.t_ident.add((self.t_ident.new_id(), pid, IdentifierKind.MRN, self.issuer, mrn))
        if rng.random() < 0.2:
            agent, cat, sev, reaction = rng.choice(ALLERGIES)
            self.t_allergy.add(
                (self.t_allergy.new_id(), pid, agent, cat, sev, reaction, registered, "", True)
            )
        meds = []
        if rng.random() < 0.3:
            drug, name, dose, freq, times = rng.choice(ANTITHROMBOTIC_REGIMENS)
            mid = self.t_med.new_id()
            meds.append(mid)
            self.t_med.add(
                (mid, pid, name, drug, dose, "mg" if dose else "", freq, times, True, True,
                 registered, "")
            )  # fmt: skip
        for name in rng.sample(OTHER_MEDS, rng.randint(0, 3)):
            self.t_med.add(
                (self.t_med.new_id(), pid, name, "", None, "", "od", ["08:00"], False, True,
                 registered, "")
            )  # fmt: skip
        self.patients_made += 1
        label = f"{family.upper()}, {given}"
        entry = (pid, mrn, label)
        self.recent.append(entry)
        self.meds[pid] = meds
        if len(self.meds) > RECENT_PATIENTS * 2:
            self.meds.pop(next(iter(self.meds)))
        self._log(Patient, pid, label, registered, None, pid)
        return entry

    # ------------------------------------------------------------------ one procedure

    def _procedure(self, case: _Case, busy: set[int]) -> None:
        rng = self.rng
        procedure, room, start = case.procedure, case.room, case.start
        pid, mrn, label = self._patient(busy, start)
        operator = case.operator or self.physician
        surgeon = (
            operator if operator.role == Role.PHYSICIAN else (case.supervisor or self.physician)
        )
        urgency = rng.choice(["routine"] * 6 + ["urgent"] * 3 + ["emergent"])
        lead = {"routine": (7, 40), "urgent": (1, 6), "emergent": (0, 1)}[urgency]
        received = start - timedelta(days=rng.randint(*lead), hours=rng.randint(1, 20))
        triaged = received + timedelta(
            hours=rng.choice([0.5, 2, 6, 20, 40]) if urgency == "routine" else 0.5
        )
        triaged = min(triaged, start - timedelta(hours=2))
        ordered_at = triaged
        booked_at = min(
            ordered_at + timedelta(hours=rng.randint(1, 30)), start - timedelta(hours=1)
        )
        in_room = start + timedelta(minutes=rng.choice([-5, 0, 5, 10, 20]))
        started = in_room + timedelta(minutes=12)
        ended = started + timedelta(minutes=max(10, procedure.default_duration_min - 25))
        out = ended + timedelta(minutes=11)
        checked_in = in_room - timedelta(minutes=rng.randint(30, 75))
        discharged = out + timedelta(minutes=rng.randint(90, 240))
        # Order (and the referral it came from).
        oid = self.t_order.new_id()
        n = self._numbers()
        accession = identifiers.accession_number(n["accession"])
        study_uid = identifiers.study_uid(n["study_uid"])
        from_referral = bool(self.referrers) and rng.random() < REFERRAL_SHARE
        self.t_order.add(
            (
                oid, pid, procedure.pk, "", "", urgency,
                "Referred to IR." if from_referral else "Requested through the EHR.",
                accession, identifiers.requested_procedure_id(n["requested_procedure"]), study_uid,
                "completed",
                self._risk_choice(procedure),
                "" if from_referral else f"EHR{self.ctx.seed:03d}H{oid:08d}", "",
                ordered_at, surgeon.pk, out,
            )
        )  # fmt: skip
        self._log(Order, oid, f"{accession} {procedure.name}", ordered_at, surgeon, pid)
        if from_referral:
            self._referral(pid, label, oid, procedure, urgency, received, triaged, booked_at, start,
                           discharged, accession, room)  # fmt: skip
        # Booking, team, preparation.
        bid = self.t_booking.new_id()
        self.t_booking.add(
            (
                bid, 3, oid, pid, room.pk, case.start, case.end,
                case.operator.pk if case.operator else None, identifiers.sps_id(n["sps"]),
                room.modality, room.station_ae_title, "discharged", True, "", "", "", "",
                discharged, booked_at, self.scheduler.pk, discharged,
            )
        )  # fmt: skip
        self._log(
            Booking, bid, f"{start:%Y-%m-%d %H:%M} {room.code}", booked_at, self.scheduler, pid
        )
        team = self._team(case)
        for user, role in team:
            self.t_bteam.add((self.t_bteam.new_id(), bid, user.pk, role))
        sedation = self._preparation(bid, pid, procedure, start)
        # Checklists and the readiness kept at sign-in.
        present = [
            {"user_id": u.pk, "name": str(u), "role": u.role_label}
            for u, _ in team
            if u.role != Role.REFERRER
        ]
        present.sort(key=lambda m: str(m["name"]))
        sign_in_at = in_room - timedelta(minutes=5)
        snap = self.snapshot
        evaluation = Encoded(
            self.evaluation.replace("@AT@", sign_in_at.isoformat()).replace("@URGENCY@", urgency)
        )
        self.t_snapshot.add(
            (
                self.t_snapshot.new_id(), bid, "sign_in", snap["state"], snap["effective_state"],
                False, False, evaluation, self.rule_sets,
                hashlib.sha256(f"{bid}:{sign_in_at.isoformat()}".encode()).hexdigest(),
                sign_in_at, None, self.nurse.pk,
            )
        )  # fmt: skip
        for phase, at, people in (
            ("sign_in", sign_in_at, []),
            ("time_out", started - timedelta(minutes=2), present),
            ("sign_out", ended + timedelta(minutes=3), []),
        ):
            self.t_checklist.add(
                (self.t_checklist.new_id(), bid, phase, self.checklist_items[phase], people,
                 snap["state"], False, [], "", at, self.nurse.pk)
            )  # fmt: skip
        # The record.
        rid = self.t_record.new_id()
        success = "success" if rng.random() > 0.06 else "partial"
        self.t_record.add(
            (
                rid, 8, bid, oid, pid, "completed", checked_in, self.nurse.pk, in_room, started,
                ended, out,
                [] if procedure.arterial_access else ["percutaneous"], "",
                sedation if sedation in SEDATION_LEVELS else "",
                "", False, "", [],
                "Iohexol 300" if procedure.uses_contrast else "",
                Decimal(rng.randint(15, 120)) if procedure.uses_contrast else None,
                "", FINDINGS.get(procedure.category, "As planned."), "", success, "", "", "",
                out, surgeon.pk, checked_in, out, surgeon.pk,
            )
        )  # fmt: skip
        self._log(
            ProcedureRecord,
            rid,
            f"{procedure.name} of {start:%Y-%m-%d}",
            checked_in,
            self.nurse,
            pid,
        )
        for user, role in team:
            self.t_pteam.add(
                (self.t_pteam.new_id(), rid, user.pk, role, False, checked_in, self.nurse.pk)
            )
        used_on = started.date()
        for place in procedure.device_defaults.get("places", []):
            self._device(pid, rid, place, used_on, surgeon)
        if "specimens" in (procedure.completion_requires or []):
            self.t_specimen.add(
                (self.t_specimen.new_id(), rid, "A1", "Core biopsy × 3", "Histopathology", False,
                 ended, surgeon.pk)
            )  # fmt: skip
        # Recovery.
        eid = self.t_recovery.new_id()
        sbp, hr = rng.randint(115, 150), rng.randint(62, 88)
        admitted = rng.random() < 0.15
        self.t_recovery.add(
            (eid, rid, pid, out, "Puncture site dry; eating and drinking.", sbp, hr, discharged,
             "admitted" if admitted else "same_day", "Ward 7" if admitted else "", "",
             self.nurse.pk, discharged)
        )  # fmt: skip
        pain = rng.randint(2, 6)
        for step in range(2):
            at = out + timedelta(minutes=5 + 30 * step)
            pain = max(0, pain - rng.randint(1, 2))
            psid = self.t_pain.new_id()
            self.t_pain.add((psid, eid, pain, at, "", self.nurse.pk))
            self.t_vitals.add(
                (self.t_vitals.new_id(), eid, at, hr + rng.randint(-4, 8),
                 sbp + rng.randint(-8, 10),
                 rng.randint(65, 85), rng.randint(95, 99), step == 0, rng.randint(12, 18),
                 Decimal(f"{rng.uniform(36.3, 37.2):.1f}"), "A", psid, 2, 2, 2 if step else 1, 2, 2,
                 self.nurse.pk)
            )  # fmt: skip
        self._report(rid, pid, procedure, surgeon, out)
        if room.modality == "XA":
            self._dose(
                pid, oid, bid, procedure, room, started, ended, accession, study_uid, mrn, label
            )
        if rng.random() < ADVERSE_SHARE:
            grade, legacy, cirse, text, facts = rng.choice(EVENTS)
            self.t_ae.add(
                (
                    self.t_ae.new_id(), pid, rid, out + timedelta(minutes=20), "recovery", text,
                    facts["therapy"], facts["care_level"], facts["hospital_stay"],
                    facts["life_threatening"], facts["sequelae"], grade, legacy, cirse, "",
                    "procedure", "Manual compression and observation.", "resolved", "2.0.0",
                    False, out + timedelta(minutes=40), self.nurse.pk, out + timedelta(minutes=40),
                )
            )  # fmt: skip
        for index, rule in enumerate(procedure.follow_up_rules or []):
            self._task(pid, oid, rule, index, procedure, accession, start, surgeon)
        self._reads(pid, label, rid, start, surgeon)

    def _risk_choice(self, procedure: ProcedureType) -> str:
        """The operator's bleeding-risk category where SIR 2019 leaves it to them."""
        if procedure.bleeding_risk != "operator_decides":
            return ""
        return self.rng.choice(["low", "high"])

    def _numbers(self) -> dict[str, int]:
        """The next identifiers (reserved from the counters a thousand at a time)."""
        pool = getattr(self, "_pool", None)
        if pool is None or not pool["accession"]:
            self._pool = pool = {
                name: list(identifiers.reserve_numbers(name, 1000))[::-1]
                for name in ("accession", "requested_procedure", "study_uid", "sps")
            }
        return {name: values.pop() for name, values in pool.items()}

    def _referral(self, pid, label, oid, procedure, urgency, received, triaged, booked_at, start,
                  discharged, accession, room) -> None:  # fmt: skip
        rng = self.rng
        referrer = rng.choice(self.referrers)
        refid = self.t_referral.new_id()
        # Discussed at the board when there was a meeting between triage and the booking.
        board = rng.random() < BOARD_SHARE and start - triaged > timedelta(days=9)
        done_at = start + timedelta(hours=3)
        self.t_referral.add(
            (
                refid, 5, pid, referrer.pk, {}, "", str(referrer), referrer.profile.specialty,
                f"{procedure.name}, please.", procedure.pk, "", urgency, "", "", "", "done", "",
                done_at, received, triaged, self.physician.pk, oid, start, referrer.pk, done_at,
                "", "",
            )
        )  # fmt: skip
        url = f"/referrals/{refid}/"
        steps = [("", "received", received, referrer, "")]
        if board:
            meeting = self._meeting(triaged)
            steps.append(("received", "board", triaged, self.physician, "For the board."))
            decided = meeting[1]
            self.t_case.add(
                (self.t_case.new_id(), meeting[0], refid, 1, Decision.IR_TREATMENT,
                 procedure.name, "IR treatment agreed.", "All present", decided,
                 self.physician.pk, oid)
            )  # fmt: skip
            steps.append(
                ("board", "ordered", decided, self.physician, f"Board decision: {procedure.name}")
            )
        else:
            steps.append(("received", "accepted", triaged, self.physician, ""))
            steps.append(
                (
                    "accepted",
                    "ordered",
                    triaged,
                    self.physician,
                    f"{procedure.name}, accession {accession}",
                )
            )
        booked_at = max(booked_at, steps[-1][2])
        steps.append(
            (
                "ordered",
                "scheduled",
                booked_at,
                self.scheduler,
                f"{start:%a %d %b %Y %H:%M}, {room.name}",
            )
        )
        steps.append(("scheduled", "done", done_at, self.nurse, ""))
        for frm, to, at, actor, note in steps:
            self.t_revent.add((self.t_revent.new_id(), refid, at, actor.pk, frm, to, note))
            if frm:
                self.t_notif.add(
                    (self.t_notif.new_id(), referrer.pk, refid, f"{label}: referral {to}", url, at,
                     at + timedelta(hours=rng.randint(1, 48)))
                )  # fmt: skip
        self._log(Referral, refid, f"Referral {refid} (Done)", received, referrer, pid)

    def _meeting(self, after: datetime) -> tuple[int, datetime]:
        """The weekly board meeting after `after` (made once a week, as needed)."""
        held = datetime.combine(
            after.date() + timedelta(days=(7 - after.weekday()) % 7 or 7), time(8), self.tz
        )
        if self.board_meeting is None or self.board_meeting[1] != held:
            mid = self.t_meeting.new_id()
            self.t_meeting.add(
                (mid, "Hepatobiliary and oncology MDT", held, "Seminar room 2",
                 ["Interventional radiology", "Hepatobiliary surgery", "Medical oncology"],
                 held - timedelta(days=7), self.physician.pk)
            )  # fmt: skip
            self.board_meeting = (mid, held)
        return self.board_meeting

    def _device(self, pid, rid, place, used_on: date, surgeon) -> None:
        rng = self.rng
        did = self.t_device.new_id()
        lot = f"{place['kind'][:2].upper()}{rng.choice(('2611A', '2611B', '2612C'))}"
        serial = f"S{rng.randint(100000, 999999)}"
        when = datetime.combine(used_on, time(12), self.tz)
        self.t_device.add(
            (did, rid, place["name"], "Demo Medical", lot, used_on + timedelta(days=730), serial,
             "", "", "", "", True, place["kind"], "", False, when, surgeon.pk)
        )  # fmt: skip
        due = used_on + timedelta(days=int(place.get("removal_after_days") or 90))
        removed = due < self.today - timedelta(days=14) and rng.random() < 0.93
        removed_on = min(due + timedelta(days=rng.randint(-5, 10)), self.today - timedelta(days=1))
        removed_on = max(removed_on, used_on)
        self.t_insitu.add(
            (
                self.t_insitu.new_id(), 2 if removed else 1, pid, place["kind"], place["name"],
                place.get("action", ""), used_on, due, rid, did,
                "removed" if removed else "in_situ", removed_on if removed else None,
                "elsewhere" if removed else "", "", surgeon.pk if removed else None, when,
                surgeon.pk,
            )
        )  # fmt: skip

    def _template(self, procedure: ProcedureType) -> tuple[dict, dict]:
        if procedure.pk not in self.templates:
            template = normalised(procedure.report_template)
            values = {}
            for field in template["fields"]:
                if field["type"] == "choice":
                    values[field["key"]] = field["choices"][0]
                elif field["type"] == "yes_no":
                    values[field["key"]] = "yes"
                elif field["type"] == "number":
                    values[field["key"]] = "1"
                else:
                    values[field["key"]] = ""
            self.templates[procedure.pk] = (template, values)
            self.encoded[procedure.pk] = Encoded.of(template)
        return self.templates[procedure.pk]

    def _report(self, rid, pid, procedure, surgeon, out: datetime) -> None:
        rng = self.rng
        template, values = self._template(procedure)
        keys = {s["key"] for s in template["sections"]}
        sections = {
            k: v
            for k, v in {
                "impression": f"{procedure.name}: technically successful.",
                "plan": "Routine observation; follow-up as booked.",
            }.items()
            if k in keys
        }
        trainee = self.trainee is not None and rng.random() < 0.2
        author = self.trainee if trainee else surgeon
        created = out + timedelta(minutes=rng.randint(5, 40))
        signed = created + timedelta(minutes=rng.randint(10, 600))
        content = {"template": template, "fields": values, "sections": sections}
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        report_id = self.t_report.new_id()
        self.t_report.add(
            (report_id, 4, rid, self.encoded[procedure.pk], values, sections, "final", author.pk,
             signed - timedelta(minutes=30) if trainee else None, surgeon.pk, signed, trainee,
             digest, "", created, signed)
        )  # fmt: skip
        self._log(Report, report_id, f"Report of {procedure.name}", created, author, pid)
        if rng.random() < ADDENDUM_SHARE:
            at = signed + timedelta(days=rng.randint(2, 10))
            self.t_addendum.add(
                (self.t_addendum.new_id(), report_id,
                 "Histology received: benign. No change to the plan.", surgeon.pk, at, surgeon.pk,
                 at)
            )  # fmt: skip

    def _dose(self, pid, oid, bid, procedure, room, started, ended, accession, study_uid, mrn,
              label) -> None:  # fmt: skip
        rng = self.rng
        total = rng.lognormvariate(6.3, 0.9)  # mGy: median ~550, a few over 5 Gy
        dap = total * rng.uniform(0.12, 0.25)
        fluoro_s = rng.uniform(60, 1800)
        count = rng.randint(5, 12)
        rdid = self.t_dose.new_id()
        family, _, given = label.partition(", ")
        self.t_dose.add(
            (
                rdid, f"{self.uid_root}.9.{rdid}", PROJECTION_RDSR, "projection", "pps",
                "Projection X-Ray (113704, DCM)", study_uid, accession, mrn,
                f"{family}^{given}", "Irflow Simulated Systems", "Angio Sim 2",
                room.station_ae_title, started, started, round(dap, 3), round(dap * 0.6, 3),
                round(dap * 0.4, 3), round(total, 2), round(total * 0.55, 2),
                round(total * 0.45, 2), round(fluoro_s, 1), round(count * 4.0, 1), count, count,
                round(dap, 3), round(total, 2), round(fluoro_s, 1), [], pid, oid, bid, "linked",
                "study_uid", ended + timedelta(minutes=2), ended + timedelta(minutes=1),
            )
        )  # fmt: skip
        self.t_plane.add(
            (self.t_plane.new_id(), rdid, "single", round(dap, 3), round(total, 2),
             round(fluoro_s, 1), "15cm from Isocenter toward Source (113860, DCM)",
             self.calibrations)
        )  # fmt: skip
        span = (ended - started).total_seconds()
        for k in range(count):
            fluoro = k % 3 != 2
            eid = self.t_event.new_id()
            self.t_event.add(
                (
                    eid, rdid, f"{self.uid_root}.8.{eid}",
                    started + timedelta(seconds=span * k / count),
                    "fluoroscopy" if fluoro else "stationary_acquisition", "single",
                    "Fluoro Abdomen 7.5 p/s" if fluoro else "DSA Abdomen 3 f/s",
                    round(dap / count, 4), round(total / count, 3), float(rng.randint(70, 120)),
                    float(rng.randint(10, 400)), round(fluoro_s / count, 1),
                    7.5 if fluoro else 3.0, "pulsed" if fluoro else "",
                    float(rng.randint(-40, 40)), float(rng.randint(-30, 30)), "Abdomen",
                    self.filters,
                )
            )  # fmt: skip
        if total >= DOSE_SRDL_MGY:
            task = self._skin_task(pid, oid, procedure, accession, started, rdid)
            self.t_alert.add(
                (
                    self.t_alert.new_id(), pid, oid, rdid, "srdl",
                    "ncrp-168-radiation.srdl.ka-r", DOSE_RULESET, "ka_r_mgy", round(total, 2),
                    DOSE_SRDL_MGY, "mGy",
                    f"Reference air kerma {total:.2f} mGy reached the substantial radiation dose "
                    f"level of {DOSE_SRDL_MGY:.0f} mGy: tell the patient, record it and book skin "
                    "follow-up.",
                    "V", True, DOSE_SOURCE, [], task, ended + timedelta(minutes=3),
                    ended + timedelta(days=1), ended + timedelta(days=1), self.qi.pk,
                    "Patient told; skin check booked.",
                )
            )  # fmt: skip

    def _skin_task(self, pid, oid, procedure, accession, started, rdid) -> int:
        due = started.date() + timedelta(days=30)
        done = due < self.today
        tid = self.t_task.new_id()
        at = datetime.combine(due, time(11), self.tz)
        self.t_task.add(
            (tid, 2 if done else 1, pid, oid, "skin_check",
             "Skin check 2–4 weeks after a substantial radiation dose", self.qi.pk,
             due - timedelta(days=16), due, "done" if done else "open",
             f"dose report {rdid}", "ncrp-168-radiation.srdl.ka-r", DOSE_RULESET,
             "No skin change." if done else "", at if done else None,
             self.qi.pk if done else None, started, None, at if done else started)
        )  # fmt: skip
        return tid

    def _task(self, pid, oid, rule, index, procedure, accession, start, surgeon) -> None:
        rng = self.rng
        due = start.date() + timedelta(days=int(rule.get("after_days", 30)))
        done = due < self.today - timedelta(days=3) and rng.random() < 0.9
        tid = self.t_task.new_id()
        at = datetime.combine(min(due, self.today - timedelta(days=1)), time(10), self.tz)
        kind = rule.get("kind", "clinic")
        self.t_task.add(
            (tid, 2 if done else 1, pid, oid, kind, rule.get("description", "Follow-up"),
             surgeon.pk, due - timedelta(days=7), due, "done" if done else "open",
             f"{procedure.name} ({accession})", f"catalogue:{procedure.code}:{index}",
             "catalogue", "Seen; doing well." if done else "", at if done else None,
             self.nurse.pk if done else None, start, None, at if done else start)
        )  # fmt: skip
        self._log(FollowUpTask, tid, f"{kind} due {due:%Y-%m-%d}", start, None, pid)
        if done:
            contact = {"clinic": "visit", "call": "call", "imaging": "imaging"}.get(kind, "call")
            self.t_outcome.add(
                (self.t_outcome.new_id(), tid, pid, contact, rng.randint(0, 4), "",
                 "patent" if kind == "imaging" else "", "yes", "", at, self.nurse.pk)
            )  # fmt: skip

    def _reads(self, pid, label, rid, start, surgeon) -> None:
        """The access log rows a procedure's day leaves: the chart, the record, the report."""
        for k, (user, what, path) in enumerate(
            [
                (self.nurse, "patient list row", "/patients/"),
                (self.nurse, "chart", f"/patients/{pid}/"),
                (surgeon, "procedure record", f"/procedures/{rid}/"),
                (surgeon, "report", f"/procedures/{rid}/report/"),
            ][:ACCESS_PER_PROCEDURE]
        ):
            self.t_access.add(
                (self.t_access.new_id(), start + timedelta(minutes=-60 + 40 * k), user.pk,
                 user.username, user.role, pid, label, what, "web", "127.0.0.1", path, False)
            )  # fmt: skip

    def _log(self, model, pk: int, text: str, at: datetime, actor, pid: int) -> None:
        """The change history's "created" row for a record made by a person (django-auditlog)."""
        self.t_log.add(
            (self.t_log.new_id(), self.content_types[model], str(pk), pk, text[:200], 0, "",
             {"id": ["None", str(pk)]}, actor.pk if actor is not None else None, at,
             {"patient_id": pid})
        )  # fmt: skip


SQLITE_CACHE_KIB = 256 * 1024


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """A page cache of SQLITE_CACHE_KIB while the history is written (SQLite's default, 2 MB,
    makes every index insert into a large table read its pages again from the write-ahead
    log: the time grew with the rows already written)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _next_mrn() -> int:
    """The number after the highest demo MRN (D + seven digits) on file."""
    last = (
        PatientIdentifier.objects.filter(kind=IdentifierKind.MRN, value__startswith="D")
        .order_by("-value")
        .values_list("value", flat=True)
        .first()
    )
    if last is None or not last[1:].isdigit():
        return 1_900_000
    return int(last[1:]) + 1


def _snapshot_template() -> dict:
    """A sign-in readiness as the rules give it for a prepared patient: the newest "ready"
    one on file (the standard demo's), or the shape of one."""
    found = (
        ReadinessSnapshot.objects.filter(state="ready")
        .order_by("-pk")
        .values("state", "effective_state", "evaluation", "rule_sets")
        .first()
    )
    if found is not None:
        return dict(found)
    return {
        "state": "ready",
        "effective_state": "ready",
        "evaluation": {"state": "ready", "blocking": False, "emergent_override": False,
                       "findings": []},
        "rule_sets": {},
    }  # fmt: skip


def bookings_today_fill(ctx, target: int) -> None:
    """Today's active bookings topped up to `target` (`irflow demo --bookings-today`)."""
    added = History(ctx, years=0, per_year=0).fill_today(target)
    ctx.counts["bookings added today"] = added


def demo_history_create(
    ctx, *, years: int, per_year: int, progress: Callable[[str], None] = lambda _: None
) -> None:
    history = History(ctx, years=years, per_year=per_year)
    ctx.counts.update(history.run(progress))
