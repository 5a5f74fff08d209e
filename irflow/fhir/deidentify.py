"""De-identification of FHIR resources for a bulk export (`_deidentify=true`), pure: one
`Deidentifier` per export, with its own random key, so that nothing links two exports.

- **Names, contacts, addresses, photos** of patients and staff are removed (`name`, `telecom`,
  `address`, `contact`, `photo`), and so is every reference's `display`.
- **Identifiers are hashed**: every `identifier.value` (MRN, accession, UDI…), every resource
  `id` and the id in every `reference` becomes an HMAC-SHA256 of the original under the
  export's key — consistent within the export (references still resolve), useless outside
  it. DICOM UIDs become `2.25.<number>` UIDs derived the same way.
- **Dates are shifted per patient** by a random whole number of days (±`MAX_SHIFT_DAYS`) kept
  for the export, the same for all of that patient's resources, so intervals between their
  events stay true. Resources of no patient (staff, rooms, the department) are not shifted.
- **The birth date is reduced to its year**, unshifted.
- **Free text that could carry names is dropped**: the narrative, `note`, `comment`,
  `description`, `conclusion`, `presentedForm` (the report PDF), `valueString`; typed free
  text (a concept's or a dosage's `text` without a coding: a clinical question, a reaction)
  becomes "[removed]"; a coded concept keeps its coding."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from irflow.fhir.base import Resource

MAX_SHIFT_DAYS = 180
DROPPED = frozenset(
    {
        "name",
        "telecom",
        "address",
        "contact",
        "photo",
        "note",
        "comment",
        "description",
        "conclusion",
        "presentedForm",
        "valueString",
    }
)
# Only on these types is `name` a person's (a Location's or Organization's name is kept).
PERSONS = frozenset({"Patient", "Practitioner", "RelatedPerson"})
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
REMOVED = "[removed]"


class Deidentifier:
    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)
        self.shifts: dict[str, timedelta] = {}

    def token(self, value: str) -> str:
        return hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()[:40]

    def uid(self, value: str) -> str:
        return "2.25." + str(int(self.token(value)[:30], 16))

    def shift(self, patient: str | None) -> timedelta:
        if patient is None:
            return timedelta(0)
        if patient not in self.shifts:
            days = secrets.randbelow(2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
            self.shifts[patient] = timedelta(days=days or 1)
        return self.shifts[patient]

    def resource(self, resource: Resource, patient: str | None) -> Resource:
        """A de-identified copy of `resource`, whose patient's id is `patient` (None: it is
        no patient's)."""
        out = self._walk(resource, self.shift(patient), resource["resourceType"])
        if resource["resourceType"] == "Patient" and "birthDate" in resource:
            out["birthDate"] = resource["birthDate"][:4]
        return out

    def _walk(self, value: Any, by: timedelta, resource_type: str | None = None) -> Any:
        if isinstance(value, list):
            return [self._walk(v, by) for v in value]
        if not isinstance(value, dict):
            return self._value(value, by)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in DROPPED and (key != "name" or resource_type in PERSONS):
                continue
            if key == "text":
                if isinstance(item, str) and "coding" not in value:
                    out[key] = REMOVED  # typed free text; the element may be required
                continue  # a narrative, or a coding's words (the coding stays)
            if key == "display" and "reference" in value:
                continue
            if key == "id" and resource_type is not None:
                out[key] = self.token(f"{resource_type}/{item}")
            elif key == "reference" and isinstance(item, str) and "/" in item:
                kind, _, rid = item.rpartition("/")
                out[key] = f"{kind}/{self.token(f'{kind}/{rid}')}"
            elif key == "identifier":
                many = isinstance(item, list)
                hashed = [self._identifier_of(i, by) for i in (item if many else [item])]
                out[key] = hashed if many else hashed[0]
            elif key == "value" and isinstance(item, str) and "system" in value:
                out[key] = self._identifier(item)
            elif key == "uid" and isinstance(item, str):
                out[key] = self.uid(item)
            else:
                out[key] = self._walk(item, by)
        return {k: v for k, v in out.items() if v not in ({}, [])}

    def _identifier_of(self, identifier: Any, by: timedelta) -> Any:
        """An Identifier with its value hashed, whether or not it names its system."""
        out = self._walk(identifier, by)
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            out["value"] = self._identifier(identifier["value"])
        return out

    def _identifier(self, value: str) -> str:
        if value.startswith("urn:oid:"):
            return "urn:oid:" + self.uid(value.removeprefix("urn:oid:"))
        return self.token(value)

    def _value(self, value: Any, by: timedelta) -> Any:
        if not isinstance(value, str) or not by:
            return value
        if DATE.match(value):
            return (date.fromisoformat(value) + by).isoformat()
        if DATETIME.match(value):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            text = (moment + by).isoformat()
            return text.replace("+00:00", "Z") if value.endswith("Z") else text
        return value
