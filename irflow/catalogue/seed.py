"""Load the starter procedure catalogue from data/procedures.toml into an empty catalogue."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("data") / "procedures.toml"

GENERIC_REPORT_TEMPLATE: dict[str, Any] = {
    "sections": [
        {"key": "indication", "label": "Indication"},
        {"key": "consent", "label": "Consent"},
        {"key": "technique", "label": "Technique"},
        {"key": "findings", "label": "Findings"},
        {"key": "complications", "label": "Complications"},
        {"key": "impression", "label": "Impression", "required": True},
        {"key": "plan", "label": "Plan", "required": True},
    ],
    "fields": [],
}


def load_catalogue(path: Path = CATALOGUE_FILE) -> list[dict[str, Any]]:
    """Read the catalogue file into dicts shaped like ProcedureType fields."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    rows = []
    for p in data["procedure"]:
        devices = p.get("devices", [])
        required = list(p.get("completion_requires", defaults["completion_requires"]))
        if devices and "devices" not in required:
            required.append("devices")
        rows.append(
            {
                "code": p["code"],
                "name": p["name"],
                "category": p["category"],
                "modalities": p["modalities"],
                "bleeding_risk": p["bleeding_risk"],
                "bleeding_risk_note": p.get("bleeding_risk_note", ""),
                "default_duration_min": p["duration_min"],
                "arterial_access": p.get("arterial_access", False),
                "uses_contrast": p.get("uses_contrast", True),
                "default_sedation": p.get("default_sedation", "moderate"),
                "technical_success_definition": p.get(
                    "technical_success", defaults["technical_success"]
                ),
                "clinical_success_definition": p.get(
                    "clinical_success", defaults["clinical_success"]
                ),
                "report_template": p.get("report_template", GENERIC_REPORT_TEMPLATE),
                "follow_up_rules": p.get("follow_up", []),
                "completion_requires": required,
                "needs": p.get("needs", []),
                "shortest_duration_min": p.get("shortest_min"),
                "device_defaults": {
                    "places": devices,
                    "removes": p.get("removes_devices", []),
                },
            }
        )
    return rows


def completion_requirements_seed(procedure_model) -> None:
    """Give existing catalogue entries the starter file's completion requirements (once, when
    the field arrives; sites edit them in the admin afterwards)."""
    by_code = {row["code"]: row["completion_requires"] for row in load_catalogue()}
    for procedure in procedure_model.objects.filter(code__in=list(by_code)):
        procedure.completion_requires = by_code[procedure.code]
        procedure.save(update_fields=["completion_requires"])


def room_fit_seed(procedure_model) -> None:
    """Give existing catalogue entries the starter file's needs and shortest slots (once,
    when the fields arrive; sites edit them in the admin afterwards)."""
    by_code = {row["code"]: row for row in load_catalogue()}
    for procedure in procedure_model.objects.filter(code__in=list(by_code)):
        row = by_code[procedure.code]
        procedure.needs = row["needs"]
        procedure.shortest_duration_min = row["shortest_duration_min"]
        procedure.save(update_fields=["needs", "shortest_duration_min"])


def catalogue_seed(procedure_model) -> int:
    """Create catalogue entries whose code is missing; never overwrite a site's edits."""
    existing = set(procedure_model.objects.values_list("code", flat=True))
    # A migration passes the model as it was then: only the fields it had.
    known = {f.name for f in procedure_model._meta.get_fields()}
    new = [
        procedure_model(**{k: v for k, v in row.items() if k in known})
        for row in load_catalogue()
        if row["code"] not in existing
    ]
    procedure_model.objects.bulk_create(new)
    return len(new)
