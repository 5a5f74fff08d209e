"""Location: a room of the department (angiography suite, CT room…), with its modality."""

from __future__ import annotations

from dataclasses import dataclass

from irflow.fhir.base import ORGANIZATION_ID, Resource, Site, coding, concept, ref, resource
from irflow.fhir.systems import LOCATION_PHYSICAL_TYPE


@dataclass(frozen=True)
class LocationData:
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    modality: str
    active: bool
    station_ae_title: str = ""


def location_resource(room: LocationData, site: Site) -> Resource:
    return resource(
        "Location",
        room.id,
        None,
        identifier=[{"system": site.identifier_system("room"), "value": room.code}],
        status="active" if room.active else "inactive",
        name=room.name,
        alias=[room.station_ae_title] if room.station_ae_title else [],
        mode="instance",
        type=[concept(coding(site.code_system("room-kind"), room.kind, room.kind_label))],
        physicalType=concept(coding(LOCATION_PHYSICAL_TYPE, "ro", "Room")),
        managingOrganization=ref("Organization", ORGANIZATION_ID),
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "location_resource": {
        "identifier": "room code",
        "status": "active / inactive (room in use)",
        "name": "room name",
        "alias": "station AE title of the room's modality",
        "mode": "`instance`",
        "type": "room kind (angio suite, CT, US, MRI, recovery)",
        "physicalType": "`ro` room",
        "managingOrganization": "the department",
    },
}
