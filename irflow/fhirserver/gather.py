"""From irflow's models to the plain data the pure mappers take (irflow.fhir), one `Source` per
kind of row that becomes a resource. A source reads its rows with a fixed number of queries
(joins and prefetches), whatever the number of rows; the endpoint and the department walk
share them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model, Prefetch, Q, QuerySet

from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.catalogue.models import Room
from irflow.devices.models import DeviceInSitu
from irflow.dose.models import RadiationDoseReport
from irflow.fhir import (
    adverse_event,
    allergy_intolerance,
    appointment,
    device,
    diagnostic_report,
    imaging_study,
    location,
    medication_statement,
    observation,
    organization,
    patient,
    practitioner,
    procedure,
    service_request,
    task,
)
from irflow.fhir.base import Resource, Site
from irflow.fhir.systems import (
    LOINC,
    LOINC_IR_REPORT,
    LOINC_LABS,
    LOINC_PAIN_NRS,
    LOINC_RADIATION_DOSE,
)
from irflow.followup.models import FollowUpTask
from irflow.orders.models import Order
from irflow.outcomes.models import AdverseEvent
from irflow.patients.models import (
    Allergy,
    LabResult,
    Medication,
    Patient,
)
from irflow.procedures.models import DeviceUsed, ProcedureRecord, ProcedureTeamMember
from irflow.readiness.policy import policy_settings
from irflow.recovery.models import PainScore
from irflow.referrals.models import Referral
from irflow.reports.models import Report, ReportStatus
from irflow.scheduling.models import Booking

# People who appear in the record as practitioners (not the administrator, the auditor or an
# integration's account).
PRACTITIONER_ROLES = (
    Role.PHYSICIAN,
    Role.TRAINEE,
    Role.NURSE,
    Role.TECHNOLOGIST,
    Role.SCHEDULER,
    Role.REFERRER,
    Role.QI_LEAD,
)


def fhir_site() -> Site:
    """The site's systems (settings) and the department's names (the letterhead)."""
    row = policy_settings()
    issuers = json.loads(settings.IRFLOW_FHIR_ISSUER_SYSTEMS or "{}")
    return Site(
        system_base=settings.IRFLOW_FHIR_SYSTEM_BASE.rstrip("/"),
        mrn_issuer=settings.IRFLOW_MRN_ISSUER,
        issuer_systems=issuers,
        base_url=settings.IRFLOW_FHIR_BASE_URL,
        organization_name=row.department_name or "Interventional radiology",
        hospital_name=row.hospital_name,
        phone=row.department_phone,
        address=row.department_address,
    )


def _name(user: User | None) -> str:
    return str(user) if user is not None else ""


def _code(pt) -> service_request.ProcedureCode:
    return service_request.ProcedureCode(pt.code, pt.name)


def _team(members) -> tuple[appointment.TeamMemberData, ...]:
    return tuple(
        appointment.TeamMemberData(m.user_id, _name(m.user), m.role, m.get_role_display())
        for m in members
    )


# Rows -> plain data ------------------------------------------------------------------------


def patient_data(p: Patient) -> patient.PatientData:
    return patient.PatientData(
        id=p.pk,
        family_name=p.family_name,
        given_name=p.given_name,
        birth_date=p.birth_date,
        sex=p.sex,
        active=p.is_active,
        updated_at=p.updated_at,
        identifiers=tuple(
            patient.PatientIdentifierData(i.kind, i.issuer, i.value) for i in p.identifiers.all()
        ),
        phone=p.phone,
        address=p.address,
        language=p.language,
        merged_into_id=p.merged_into_id,
        merged_from_ids=tuple(m.pk for m in p.merged_from.all()),
    )


def practitioner_data(u: User) -> practitioner.PractitionerData:
    profile = getattr(u, "profile", None)
    return practitioner.PractitionerData(
        id=u.pk,
        username=u.username,
        display_name=str(u),
        family_name=u.last_name,
        given_name=u.first_name,
        role=u.role,
        role_label=u.role_label,
        active=u.is_active,
        registration_number=profile.registration_number if profile else "",
        specialty=profile.specialty if profile else "",
        qualification=profile.degree if profile else "",
    )


def location_data(r: Room) -> location.LocationData:
    return location.LocationData(
        id=r.pk,
        code=r.code,
        name=r.name,
        kind=r.kind,
        kind_label=r.get_kind_display(),
        modality=r.modality,
        active=r.active,
        station_ae_title=r.station_ae_title,
    )


def referral_data(r: Referral) -> service_request.ReferralData:
    return service_request.ReferralData(
        id=r.pk,
        patient_id=r.patient_id,
        status=r.status,
        status_label=r.get_status_display(),
        urgency=r.urgency,
        received_at=r.received_at,
        referrer_id=r.referrer_id,
        referring_clinician=r.referring_clinician,
        clinical_question=r.clinical_question,
        procedure=_code(r.procedure_type) if r.procedure_type else None,
        requested_procedure_text=r.requested_procedure_text,
        site=r.site,
        laterality=r.laterality,
        relevant_history=r.relevant_history,
        updated_at=r.updated_at,
    )


def order_data(o: Order) -> service_request.OrderData:
    referral = getattr(o, "referral", None)
    return service_request.OrderData(
        id=o.pk,
        patient_id=o.patient_id,
        status=o.status,
        priority=o.priority,
        procedure=_code(o.procedure_type),
        accession_number=o.accession_number,
        requested_procedure_id=o.requested_procedure_id,
        created_at=o.created_at,
        placer_order_number=o.placer_order_number,
        clinical_indication=o.clinical_indication,
        site=o.site,
        laterality=o.laterality,
        referral_id=referral.pk if referral is not None else None,
        requester_id=o.created_by_id,
        updated_at=o.updated_at,
    )


def appointment_data(b: Booking) -> appointment.AppointmentData:
    return appointment.AppointmentData(
        id=b.pk,
        patient_id=b.patient_id,
        order_id=b.order_id,
        room_id=b.room_id,
        room_name=b.room.name,
        status=b.status,
        start=b.start,
        end=b.end,
        sps_id=b.sps_id,
        modality=b.modality,
        procedure_name=b.order.procedure_type.name,
        created_at=b.created_at,
        cancel_reason=b.cancel_reason,
        cancel_reason_label=b.get_cancel_reason_display() if b.cancel_reason else "",
        team=_team(b.team.all()),
        updated_at=b.updated_at,
    )


def _final_report_id(record: ProcedureRecord) -> int | None:
    report = getattr(record, "report", None)
    return report.pk if report is not None and report.status == ReportStatus.FINAL else None


def procedure_data(r: ProcedureRecord) -> procedure.ProcedureData:
    devices = [
        procedure.FocalDeviceData(device.used_device_id(d.pk), "implanted", d.device_type)
        for d in r.devices.all()
        if d.implanted or d.in_situ_kind
    ]
    for removed in r.devices_removed.all():
        device_id = (
            device.used_device_id(removed.device_used_id)
            if removed.device_used_id
            else device.in_situ_device_id(removed.pk)
        )
        devices.append(procedure.FocalDeviceData(device_id, "explanted", removed.name))
    pt = r.order.procedure_type
    return procedure.ProcedureData(
        id=r.pk,
        patient_id=r.patient_id,
        order_id=r.order_id,
        booking_id=r.booking_id,
        room_id=r.booking.room_id,
        status=r.status,
        procedure=_code(pt),
        category_code=pt.category,
        category_label=pt.get_category_display(),
        checked_in_at=r.checked_in_at,
        started_at=r.started_at,
        ended_at=r.ended_at,
        site=r.order.site,
        laterality=r.order.laterality,
        access_sites=tuple(zip(r.access_sites, r.access_site_labels(), strict=True)),
        access_note=r.access_note,
        technical_success=r.technical_success,
        technical_success_note=r.technical_success_note,
        clinical_success=r.clinical_success,
        findings=r.findings,
        team=_team(r.team.all()),
        complications=tuple(
            procedure.ComplicationData(e.description, e.pk) for e in r.adverse_events.all()
        ),
        devices=tuple(devices),
        report_id=_final_report_id(r),
        updated_at=r.updated_at,
    )


def diagnostic_report_data(rep: Report) -> diagnostic_report.DiagnosticReportData:
    from django.urls import reverse

    record = rep.record
    signed = [a for a in rep.addenda.all() if a.signed_at is not None]
    assert rep.signed_at is not None and rep.signed_by_id is not None
    return diagnostic_report.DiagnosticReportData(
        id=rep.pk,
        patient_id=record.patient_id,
        procedure_id=record.pk,
        order_id=record.order_id,
        accession_number=record.order.accession_number,
        procedure_name=record.order.procedure_type.name,
        signed_at=rep.signed_at,
        signed_by_id=rep.signed_by_id,
        signed_by=_name(rep.signed_by),
        author_id=rep.author_id,
        author=_name(rep.author),
        effective=record.started_at or record.checked_in_at,
        conclusion=str(rep.sections.get("impression", "")),
        amended=bool(signed),
        amended_at=max((a.signed_at for a in signed if a.signed_at), default=None),
        pdf_url=reverse("report-pdf", args=[rep.pk]),
        updated_at=rep.updated_at,
    )


def imaging_study_data(o: Order) -> imaging_study.ImagingStudyData:
    records = list(o.procedure_records.all())
    steps = list(o.performed_steps.all())
    modalities = [b.modality for b in o.bookings.all() if b.modality]
    modalities += [s.modality for s in steps if s.modality]
    started = min(
        [m for m in [*(s.started_at for s in steps), *(r.started_at for r in records)] if m],
        default=None,
    )
    done = any(s.status == "COMPLETED" for s in steps) or any(
        r.status == "completed" for r in records
    )
    series = [series for s in steps for series in s.performed_series]
    record = records[0] if records else None
    return imaging_study.ImagingStudyData(
        order_id=o.pk,
        patient_id=o.patient_id,
        study_instance_uid=o.study_instance_uid,
        accession_number=o.accession_number,
        modalities=tuple(dict.fromkeys(modalities)) or (o.procedure_type.default_modality,),
        procedure_name=o.procedure_type.name,
        status="available" if done else "registered",
        started=started,
        procedure_id=record.pk if record else None,
        room_id=record.booking.room_id if record else None,
        series_count=len(series),
        instance_count=sum(len(s.get("images", [])) for s in series),
        updated_at=o.updated_at,
    )


def dose_data(d: RadiationDoseReport) -> observation.DoseData:
    assert d.patient_id is not None  # the source reads linked reports only
    device_name = " ".join(x for x in (d.manufacturer, d.model_name, d.station_name) if x)
    return observation.DoseData(
        id=d.pk,
        patient_id=d.patient_id,
        performed_at=d.performed_at,
        order_id=d.order_id,
        dap_total_gy_cm2=d.dap_total_gy_cm2,
        fluoro_dap_total_gy_cm2=d.fluoro_dap_total_gy_cm2,
        acquisition_dap_total_gy_cm2=d.acquisition_dap_total_gy_cm2,
        ka_r_total_mgy=d.ka_r_total_mgy,
        fluoro_time_total_s=d.fluoro_time_total_s,
        device=device_name,
        updated_at=d.created_at,
    )


def lab_data(lab: LabResult) -> observation.LabData:
    return observation.LabData(
        id=lab.pk,
        patient_id=lab.patient_id,
        analyte=lab.analyte,
        analyte_label=lab.get_analyte_display(),
        value=lab.value,
        unit=lab.unit,
        collected_at=lab.collected_at,
        recorded_at=lab.recorded_at,
    )


def pain_data(p: PainScore) -> observation.PainData:
    return observation.PainData(
        id=p.pk,
        patient_id=p.episode.patient_id,
        score=p.score,
        recorded_at=p.recorded_at,
        procedure_id=p.episode.record_id,
        performer_id=p.recorded_by_id,
        note=p.note,
    )


def allergy_data(a: Allergy) -> allergy_intolerance.AllergyData:
    return allergy_intolerance.AllergyData(
        id=a.pk,
        patient_id=a.patient_id,
        agent=a.agent,
        category=a.category,
        category_label=a.get_category_display(),
        reconciliation=a.reconciliation,
        active=a.is_active,
        recorded_at=a.recorded_at,
        reaction=a.reaction,
        severity=a.severity,
        reported_by=a.reported_by,
    )


def medication_data(m: Medication) -> medication_statement.MedicationData:
    return medication_statement.MedicationData(
        id=m.pk,
        patient_id=m.patient_id,
        name=m.name,
        active=m.active,
        reconciliation=m.reconciliation,
        drug=m.drug,
        dose=m.dose,
        dose_unit=m.dose_unit,
        frequency=m.frequency,
        frequency_label=m.get_frequency_display() if m.frequency else "",
        dose_times=tuple(m.dose_times or ()),
        antithrombotic=m.is_antithrombotic,
        started_on=m.started_on,
        stopped_on=m.stopped_on,
        updated_at=m.updated_at,
    )


def used_device_data(d: DeviceUsed) -> device.DeviceData:
    in_situ = list(d.in_situ.all())
    status = "active" if any(s.status == "in_situ" for s in in_situ) else "inactive"
    kind = in_situ[0] if in_situ else None
    return device.DeviceData(
        id=device.used_device_id(d.pk),
        patient_id=d.record.patient_id,
        name=d.device_type,
        status=status,
        manufacturer=d.manufacturer,
        lot=d.lot,
        serial=d.serial,
        expiry=d.expiry,
        production_date=d.production_date,
        udi=d.udi,
        udi_issuer=d.udi_issuer,
        device_identifier=d.device_identifier,
        kind=kind.kind if kind else "",
        kind_label=kind.get_kind_display() if kind else "",
    )


def in_situ_device_data(d: DeviceInSitu) -> device.DeviceData:
    return device.DeviceData(
        id=device.in_situ_device_id(d.pk),
        patient_id=d.patient_id,
        name=d.name,
        status="active" if d.status == "in_situ" else "inactive",
        kind=d.kind,
        kind_label=d.get_kind_display(),
        note=d.action,
    )


def adverse_event_data(e: AdverseEvent) -> adverse_event.AdverseEventData:
    return adverse_event.AdverseEventData(
        id=e.pk,
        patient_id=e.patient_id,
        onset_at=e.onset_at,
        recorded_at=e.recorded_at,
        description=e.description,
        detection_label=e.get_detection_display(),
        sir_grade=e.sir_grade,
        outcome=e.outcome,
        legacy_sir_class=e.legacy_sir_class,
        cirse_grade=e.cirse_grade,
        attribution_label=e.get_attribution_display(),
        procedure_id=e.record_id,
        recorder_id=e.recorded_by_id,
        updated_at=e.updated_at,
    )


def task_data(t: FollowUpTask) -> task.TaskData:
    return task.TaskData(
        id=t.pk,
        patient_id=t.patient_id,
        kind=t.kind,
        kind_label=t.get_kind_display(),
        description=t.description,
        status=t.status,
        due_date=t.due_date,
        created_at=t.created_at,
        window_start=t.window_start,
        owner_id=t.owner_id,
        owner=_name(t.owner),
        order_id=t.order_id,
        source=t.source,
        outcome=t.outcome,
        completed_at=t.completed_at,
        updated_at=t.updated_at,
    )


# Sources ------------------------------------------------------------------------------------


def _status_q(field: str, mapping: dict[str, str]) -> Callable[[str], Q | None]:
    """A FHIR status -> the irflow statuses that map to it (None: none do)."""

    def q(value: str) -> Q | None:
        mine = [k for k, v in mapping.items() if v == value]
        return Q(**{f"{field}__in": mine}) if mine else None

    return q


def _fixed_code(system: str, code: str) -> Callable[[str | None, str, Site], Q | None]:
    def q(sys: str | None, value: str, site: Site) -> Q | None:
        return Q() if value == code and sys in (None, system) else None

    return q


def _field_code(
    field: str, system: Callable[[Site], str]
) -> Callable[[str | None, str, Site], Q | None]:
    def q(sys: str | None, value: str, site: Site) -> Q | None:
        return Q(**{field: value}) if sys in (None, system(site)) else None

    return q


@dataclass(frozen=True)
class Source:
    """One kind of row that becomes resources of one type."""

    resource_type: str
    action: str  # the permission needed to read it (irflow.accounts.permissions)
    queryset: Callable[[], QuerySet]
    to_data: Callable[[Any], Any]
    mapper: Callable[[Any, Site], Resource]
    record: str = ""  # what in irflow it is, in words (docs/fhir.md)
    prefix: str = ""  # the resource ids' prefix, before the row's pk
    patient: str | None = "patient"  # lookup of the patient's id; None: not patient data
    date: str | None = None  # the `date` search parameter's field
    updated: str | None = None  # `_lastUpdated`
    status: Callable[[str], Q | None] | None = None
    code: Callable[[str | None, str, Site], Q | None] | None = None
    identifier: Callable[[str | None, str, Site], Q | None] | None = None

    @property
    def elements(self) -> dict[str, str]:
        """The elements its mapper fills and where each comes from (the mapper's module)."""
        module = sys.modules[self.mapper.__module__]
        return module.ELEMENTS[self.mapper.__name__]

    def resource(self, row: Model, site: Site) -> Resource:
        return self.mapper(self.to_data(row), site)

    def pk_of(self, resource_id: str) -> int | None:
        """The row's pk for a resource id of this source (None: not one of its ids)."""
        if not resource_id.startswith(self.prefix):
            return None
        rest = resource_id[len(self.prefix) :]
        return int(rest) if rest.isdigit() and len(rest) < 19 else None


def _patients() -> QuerySet:
    return Patient.objects.prefetch_related("identifiers", "merged_from").order_by("pk")


def _patient_identifier(sys: str | None, value: str, site: Site) -> Q | None:
    if sys is None:
        return Q(identifiers__value=value)
    issuers = [i for i in {*site.issuer_systems, site.mrn_issuer} if site.issuer_system(i) == sys]
    prefix = site.issuer_system("")
    if not issuers and sys.startswith(prefix):
        issuers = [sys[len(prefix) :]]
    return Q(identifiers__issuer__in=issuers, identifiers__value=value) if issuers else None


def _accession(field: str) -> Callable[[str | None, str, Site], Q | None]:
    def q(sys: str | None, value: str, site: Site) -> Q | None:
        if sys in (None, site.identifier_system("accession")):
            return Q(**{field: value})
        return None

    return q


def _order_identifier(sys: str | None, value: str, site: Site) -> Q | None:
    lookups = {
        site.identifier_system("accession"): "accession_number",
        site.identifier_system("requested-procedure"): "requested_procedure_id",
        site.identifier_system("placer-order"): "placer_order_number",
    }
    if sys is None:
        return Q(accession_number=value) | Q(requested_procedure_id=value)
    return Q(**{lookups[sys]: value}) if sys in lookups else None


def _study_identifier(sys: str | None, value: str, site: Site) -> Q | None:
    if sys == "urn:dicom:uid":
        uid = value.removeprefix("urn:oid:")
        return Q(study_instance_uid=uid)
    return _accession("accession_number")(sys, value, site)


def _lab_code(sys: str | None, value: str, site: Site) -> Q | None:
    if sys not in (None, LOINC):
        return None
    analytes = [a for a, (code, _, _) in LOINC_LABS.items() if code == value]
    return Q(analyte__in=analytes) if analytes else None


def _procedure_code(field: str) -> Callable[[str | None, str, Site], Q | None]:
    return _field_code(field, lambda site: site.code_system("procedure"))


SOURCES: list[Source] = [
    Source(
        "Patient",
        "patient.view",
        _patients,
        patient_data,
        patient.patient_resource,
        record="a patient (patients.Patient)",
        patient="pk",
        updated="updated_at",
        identifier=_patient_identifier,
    ),
    Source(
        "Practitioner",
        "staff.view",
        lambda: (
            User.objects.filter(role__in=PRACTITIONER_ROLES)
            .select_related("profile")
            .order_by("pk")
        ),
        practitioner_data,
        practitioner.practitioner_resource,
        record="a user in a clinical role or a referrer (accounts.User)",
        patient=None,
    ),
    Source(
        "PractitionerRole",
        "staff.view",
        lambda: (
            User.objects.filter(role__in=PRACTITIONER_ROLES)
            .select_related("profile")
            .order_by("pk")
        ),
        practitioner_data,
        practitioner.practitioner_role_resource,
        record="the same user's role in the department",
        patient=None,
    ),
    Source(
        "Location",
        "room.view",
        lambda: Room.objects.order_by("pk"),
        location_data,
        location.location_resource,
        record="a room (catalogue.Room)",
        patient=None,
        status=lambda v: Q(active=v == "active") if v in ("active", "inactive") else None,
    ),
    Source(
        "ServiceRequest",
        "referral.view",
        lambda: Referral.objects.select_related("procedure_type").order_by("pk"),
        referral_data,
        service_request.referral_resource,
        record="a referral (referrals.Referral)",
        prefix="referral-",
        date="received_at",
        updated="updated_at",
        status=_status_q("status", service_request.REFERRAL_STATUS),
        code=_procedure_code("procedure_type__code"),
    ),
    Source(
        "ServiceRequest",
        "order.view",
        lambda: Order.objects.select_related("procedure_type", "referral").order_by("pk"),
        order_data,
        service_request.order_resource,
        record="an order (orders.Order)",
        prefix="order-",
        date="created_at",
        updated="updated_at",
        status=_status_q("status", service_request.ORDER_STATUS),
        code=_procedure_code("procedure_type__code"),
        identifier=_order_identifier,
    ),
    Source(
        "Appointment",
        "booking.view",
        lambda: (
            Booking.objects.select_related("room", "order__procedure_type")
            .prefetch_related("team__user")
            .order_by("pk")
        ),
        appointment_data,
        appointment.appointment_resource,
        record="a booking (scheduling.Booking)",
        date="start",
        updated="updated_at",
        status=_status_q("status", appointment.STATUS),
    ),
    Source(
        "Procedure",
        "procedure.view",
        lambda: (
            ProcedureRecord.objects.select_related("order__procedure_type", "booking", "report")
            .prefetch_related(
                Prefetch(
                    "team",
                    ProcedureTeamMember.objects.filter(entered_in_error=False).select_related(
                        "user"
                    ),
                ),
                Prefetch("devices", DeviceUsed.objects.filter(entered_in_error=False)),
                "devices_removed",
                Prefetch("adverse_events", AdverseEvent.objects.filter(entered_in_error=False)),
            )
            .order_by("pk")
        ),
        procedure_data,
        procedure.procedure_resource,
        record="a procedure record (procedures.ProcedureRecord)",
        date="started_at",
        updated="updated_at",
        status=_status_q("status", procedure.STATUS),
        code=_procedure_code("order__procedure_type__code"),
    ),
    Source(
        "DiagnosticReport",
        "report.view",
        lambda: (
            Report.objects.filter(status=ReportStatus.FINAL)
            .select_related("record__order__procedure_type", "signed_by", "author")
            .prefetch_related("addenda")
            .order_by("pk")
        ),
        diagnostic_report_data,
        diagnostic_report.diagnostic_report_resource,
        record="a signed report (reports.Report, final)",
        patient="record__patient",
        date="signed_at",
        updated="updated_at",
        status=lambda v: (
            Q(addenda__signed_at__isnull=False)
            if v == "amended"
            else ~Q(addenda__signed_at__isnull=False)
            if v == "final"
            else None
        ),
        code=_fixed_code(LOINC, LOINC_IR_REPORT[0]),
        identifier=_accession("record__order__accession_number"),
    ),
    Source(
        "ImagingStudy",
        "procedure.view",
        lambda: (
            Order.objects.filter(procedure_records__isnull=False)
            .distinct()
            .select_related("procedure_type")
            .prefetch_related("procedure_records__booking", "performed_steps", "bookings")
            .order_by("pk")
        ),
        imaging_study_data,
        imaging_study.imaging_study_resource,
        record="the study of an order that was performed (orders.Order)",
        date="procedure_records__started_at",
        updated="updated_at",
        identifier=_study_identifier,
    ),
    Source(
        "Observation",
        "dose.view",
        lambda: RadiationDoseReport.objects.filter(patient__isnull=False).order_by("pk"),
        dose_data,
        observation.dose_observation,
        record="a dose report linked to a patient (dose.RadiationDoseReport)",
        prefix="dose-",
        date="performed_at",
        updated="created_at",
        status=lambda v: Q() if v == "final" else None,
        code=_fixed_code(LOINC, LOINC_RADIATION_DOSE[0]),
    ),
    Source(
        "Observation",
        "patient.view",
        lambda: LabResult.objects.order_by("pk"),
        lab_data,
        observation.lab_observation,
        record="a lab result (patients.LabResult)",
        prefix="lab-",
        date="collected_at",
        updated="recorded_at",
        status=lambda v: Q() if v == "final" else None,
        code=_lab_code,
    ),
    Source(
        "Observation",
        "procedure.view",
        lambda: PainScore.objects.select_related("episode").order_by("pk"),
        pain_data,
        observation.pain_observation,
        record="a pain score in recovery (recovery.PainScore)",
        prefix="pain-",
        patient="episode__patient",
        date="recorded_at",
        updated="recorded_at",
        status=lambda v: Q() if v == "final" else None,
        code=_fixed_code(LOINC, LOINC_PAIN_NRS[0]),
    ),
    Source(
        "AllergyIntolerance",
        "patient.view",
        lambda: Allergy.objects.order_by("pk"),
        allergy_data,
        allergy_intolerance.allergy_resource,
        record="an allergy (patients.Allergy)",
        date="recorded_at",
    ),
    Source(
        "MedicationStatement",
        "patient.view",
        lambda: Medication.objects.order_by("pk"),
        medication_data,
        medication_statement.medication_resource,
        record="a medication (patients.Medication)",
        updated="updated_at",
        status=lambda v: (
            Q(active=True) & ~Q(reconciliation="rejected")
            if v == "active"
            else Q(active=False) & ~Q(reconciliation="rejected")
            if v == "stopped"
            else Q(reconciliation="rejected")
            if v == "entered-in-error"
            else None
        ),
    ),
    Source(
        "Device",
        "device.view",
        lambda: (
            DeviceUsed.objects.filter(entered_in_error=False)
            .select_related("record")
            .prefetch_related("in_situ")
            .order_by("pk")
        ),
        used_device_data,
        device.device_resource,
        record="a device used at a procedure (procedures.DeviceUsed)",
        prefix="used-",
        patient="record__patient",
    ),
    Source(
        "Device",
        "device.view",
        lambda: DeviceInSitu.objects.filter(device_used__isnull=True).order_by("pk"),
        in_situ_device_data,
        device.device_resource,
        record="a device in situ registered without a scanned label (devices.DeviceInSitu)",
        prefix="insitu-",
        status=lambda v: (
            Q(status="in_situ")
            if v == "active"
            else Q(status="removed")
            if v == "inactive"
            else None
        ),
    ),
    Source(
        "AdverseEvent",
        "adverse_event.view",
        lambda: AdverseEvent.objects.filter(entered_in_error=False).order_by("pk"),
        adverse_event_data,
        adverse_event.adverse_event_resource,
        record="an adverse event (outcomes.AdverseEvent)",
        date="onset_at",
        updated="updated_at",
    ),
    Source(
        "Task",
        "followup.view",
        lambda: FollowUpTask.objects.select_related("owner").order_by("pk"),
        task_data,
        task.task_resource,
        record="a follow-up task (followup.FollowUpTask)",
        date="due_date",
        updated="updated_at",
        status=_status_q("status", task.STATUS),
    ),
]

RESOURCE_TYPES: list[str] = ["Organization", *dict.fromkeys(s.resource_type for s in SOURCES)]


def sources_of(resource_type: str) -> list[Source]:
    return [s for s in SOURCES if s.resource_type == resource_type]


def department_resources(site: Site | None = None, chunk: int = 500) -> Iterator[Resource]:
    """Every resource irflow produces from this department, type after type (the department
    walk: validation, export). Each source reads in chunks with its prefetches."""
    site = site or fhir_site()
    yield organization.organization_resource(site)
    for source in SOURCES:
        for row in source.queryset().iterator(chunk_size=chunk):
            yield source.resource(row, site)
