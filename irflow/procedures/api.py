"""The procedure record over REST: its team, drugs, devices and specimens (thin handlers over
procedures.services). Check-in, the record's groups and completion are the day of the case's
(`irflow.dayofcase.api`), at paths under /procedures too."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from irflow.lib.apischema import Day, perm
from irflow.procedures import selectors, services
from irflow.scheduling.models import TeamRole

router = Router()
API_PREFIX = "/procedures"
API_TAGS = ["procedures"]


class TeamOut(Schema):
    id: int
    user_id: int
    name: str
    role: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj.user)


class SedationOut(Schema):
    id: int
    agent: str
    dose: Decimal
    unit: str


class ProcedureDeviceOut(Schema):
    id: int
    device_type: str
    manufacturer: str
    lot: str
    expiry: date | None
    serial: str
    production_date: date | None
    gtin: str
    udi: str
    udi_issuer: str
    device_identifier: str
    implanted: bool
    in_situ_kind: str
    expiry_override_reason: str


class SpecimenOut(Schema):
    id: int
    label: str
    specimen_type: str
    sent_to: str


class ProcedureOut(Schema):
    id: int
    booking_id: int
    order_id: int
    patient_id: int
    procedure_code: str
    status: str
    checked_in_at: datetime
    in_room_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    out_at: datetime | None
    access_sites: list[str]
    access_note: str
    sedation_depth: str
    asa_class: str
    asa_emergency: bool
    mallampati: str
    monitoring: list[str]
    contrast_agent: str
    contrast_ml: Decimal | None
    contrast_route: str
    findings: str
    intra_procedure_events: str
    technical_success: str
    technical_success_definition: str
    clinical_success: str
    clinical_success_definition: str
    team: list[TeamOut]
    sedation_agents: list[SedationOut]
    devices: list[ProcedureDeviceOut]
    specimens: list[SpecimenOut]

    @staticmethod
    def resolve_procedure_code(obj) -> str:
        return obj.order.procedure_type.code

    @staticmethod
    def resolve_technical_success_definition(obj) -> str:
        return obj.order.procedure_type.technical_success_definition

    @staticmethod
    def resolve_clinical_success_definition(obj) -> str:
        return obj.order.procedure_type.clinical_success_definition

    @staticmethod
    def resolve_team(obj) -> list:
        return [m for m in obj.team.all() if not m.entered_in_error]

    @staticmethod
    def resolve_sedation_agents(obj) -> list:
        return [a for a in obj.sedation_agents.all() if not a.entered_in_error]

    @staticmethod
    def resolve_devices(obj) -> list:
        return [d for d in obj.devices.all() if not d.entered_in_error]

    @staticmethod
    def resolve_specimens(obj) -> list:
        return [s for s in obj.specimens.all() if not s.entered_in_error]


class TeamIn(Schema):
    user_id: int
    role: TeamRole


class SedationIn(Schema):
    agent: str = Field(min_length=1, max_length=100)
    dose: Decimal
    unit: str = Field(min_length=1, max_length=10)


class ProcedureDeviceIn(Schema):
    device_type: str = Field("", max_length=100)
    udi: str = Field(
        "",
        max_length=200,
        description="A GS1 or HIBC UDI as scanned (GS1's group separator, U+001D, kept).",
        json_schema_extra={"x-barcode": True},
    )
    manufacturer: str = Field("", max_length=100)
    lot: str = Field("", max_length=20)
    expiry: Day | None = None
    serial: str = Field("", max_length=20)
    implanted: bool = False
    in_situ_kind: str = Field("", max_length=30)
    expiry_override_reason: str = Field(
        "", max_length=500, description="Why an expired device is used (physicians only)."
    )


class SpecimenIn(Schema):
    label: str = Field(min_length=1, max_length=100)
    sent_to: str = Field(min_length=1, max_length=100)
    specimen_type: str = Field("", max_length=100)


def _full(request, procedure_id: int):
    return selectors.procedure_get(actor=request.auth, procedure_id=procedure_id)


@router.post(
    "/{procedure_id}/team", response={201: TeamOut}, openapi_extra=perm("procedure.record")
)
def team_member_add(request, procedure_id: int, payload: TeamIn):
    member = services.team_member_add(
        actor=request.auth, procedure_id=procedure_id, user_id=payload.user_id, role=payload.role
    )
    return Status(201, member)


@router.post(
    "/{procedure_id}/sedation-agents",
    response={201: SedationOut},
    openapi_extra=perm("procedure.record"),
)
def sedation_agent_add(request, procedure_id: int, payload: SedationIn):
    agent = services.sedation_agent_add(
        actor=request.auth, procedure_id=procedure_id, **payload.dict()
    )
    return Status(201, agent)


@router.post(
    "/{procedure_id}/devices",
    response={201: ProcedureDeviceOut},
    openapi_extra=perm("procedure.record"),
)
def device_add(request, procedure_id: int, payload: ProcedureDeviceIn):
    """Record a device; a GS1 or HIBC UDI fills its fields, a malformed or expired one is
    refused (422) unless a physician gives the reason to use an expired one."""
    device = services.device_add(actor=request.auth, procedure_id=procedure_id, **payload.dict())
    return Status(201, device)


@router.post(
    "/{procedure_id}/specimens",
    response={201: SpecimenOut},
    openapi_extra=perm("procedure.record"),
)
def specimen_add(request, procedure_id: int, payload: SpecimenIn):
    specimen = services.specimen_add(
        actor=request.auth, procedure_id=procedure_id, **payload.dict()
    )
    return Status(201, specimen)
