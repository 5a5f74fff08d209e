"""Appointment: a booking (DICOM's scheduled procedure step): the room, the time, the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, concept, instant, ref, resource
from irflow.fhir.service_request import order_id

# booking status -> http://hl7.org/fhir/R4/valueset-appointmentstatus.html
STATUS = {
    "booked": "booked",
    "arrived": "arrived",
    "in_preparation": "checked-in",
    "in_room": "checked-in",
    "recovery": "fulfilled",
    "discharged": "fulfilled",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class TeamMemberData:
    user_id: int
    display: str
    role: str
    role_label: str


@dataclass(frozen=True)
class AppointmentData:
    id: int
    patient_id: int
    order_id: int
    room_id: int
    room_name: str
    status: str
    start: datetime
    end: datetime
    sps_id: str
    modality: str
    procedure_name: str
    created_at: datetime
    cancel_reason: str = ""
    cancel_reason_label: str = ""
    team: tuple[TeamMemberData, ...] = ()
    updated_at: datetime | None = None


def appointment_resource(a: AppointmentData, site: Site) -> Resource:
    status = STATUS.get(a.status, "booked")
    if a.status == "cancelled" and a.cancel_reason == "did_not_attend":
        status = "noshow"
    participants: list[dict] = [
        {"actor": ref("Patient", a.patient_id), "required": "required", "status": "accepted"},
        {"actor": ref("Location", a.room_id, a.room_name), "status": "accepted"},
    ]
    for member in a.team:
        participants.append(
            {
                "type": [
                    concept(
                        coding(site.code_system("team-role"), member.role, member.role_label),
                        text=member.role_label,
                    )
                ],
                "actor": ref("Practitioner", member.user_id, member.display),
                "status": "accepted",
            }
        )
    return resource(
        "Appointment",
        a.id,
        a.updated_at,
        identifier=[{"system": site.identifier_system("sps"), "value": a.sps_id}],
        status=status,
        cancelationReason=concept(
            coding(site.code_system("cancel-reason"), a.cancel_reason, a.cancel_reason_label)
        )
        if a.cancel_reason
        else None,
        serviceType=[concept(text=a.procedure_name)],
        description=f"{a.procedure_name} ({a.modality})",
        start=instant(a.start),
        end=instant(a.end),
        minutesDuration=int((a.end - a.start).total_seconds() // 60),
        created=instant(a.created_at),
        basedOn=[ref("ServiceRequest", order_id(a.order_id))],
        participant=participants,
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "appointment_resource": {
        "identifier": "scheduled procedure step ID",
        "status": (
            "booking status: booked → booked, arrived → arrived, in preparation / in room → "
            "checked-in, recovery / discharged → fulfilled, cancelled → cancelled (did not "
            "attend → noshow)"
        ),
        "cancelationReason": "cancel reason",
        "serviceType": "procedure name",
        "description": "procedure name and modality",
        "start": "booking start",
        "end": "booking end",
        "minutesDuration": "booked minutes",
        "created": "created at",
        "basedOn": "the order",
        "participant": "the patient, the room (Location), the team with their roles",
    },
}
