"""Checking FHIR R4 resources the one way irflow's tests do: fhir.resources' R4B models and
the official R4 JSON schema (draft-06) must both accept each resource. The schema is read from
shared/data/fhir beside the project when it is on the machine; without it, tests validate with
fhir.resources alone and say so (`SCHEMA_MISSING`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
from fhir.resources.R4B import get_fhir_model_class

SCHEMA_NAME = "fhir.r4.schema.json"
SCHEMA_DIRS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fhir",
    Path("/work/shared/data/fhir"),
)
SCHEMA_MISSING = (
    "validated with fhir.resources only: the official R4 JSON schema "
    f"(shared/data/fhir/{SCHEMA_NAME}) is not on this machine"
)

Validators = dict[str, Any]


def r4_schema_path() -> Path | None:
    """The official R4 JSON schema's file, or None when it is not on this machine."""
    for folder in SCHEMA_DIRS:
        if (folder / SCHEMA_NAME).exists():
            return folder / SCHEMA_NAME
    return None


def r4_validators(resource_types: Iterable[str]) -> Validators | None:
    """A schema validator per resource type, or None when the schema is not on this machine."""
    path = r4_schema_path()
    if path is None:
        return None
    definitions = json.loads(path.read_text(encoding="utf-8"))["definitions"]
    return {
        t: jsonschema_rs.Draft6Validator({"$ref": f"#/definitions/{t}", "definitions": definitions})
        for t in resource_types
    }


def r4_problems(resource: dict[str, Any], validators: Validators | None) -> list[str]:
    """What fhir.resources and (when given) the R4 schema find wrong with `resource`; empty
    when both accept it."""
    kind = resource.get("resourceType", "")
    name = f"{kind}/{resource.get('id')}"
    problems = []
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except (KeyError, ValueError) as exc:  # an unknown type; pydantic's ValidationError
        problems.append(f"{name} (fhir.resources): {exc}")
    if validators is not None:
        validator = validators.get(kind)
        if validator is None:
            problems.append(f"{name} (schema): no validator for the type {kind!r}")
        else:
            for error in validator.iter_errors(resource):
                problems.append(f"{name} (schema): {error.message} at {error.instance_path}")
    return problems


def references_in(value: object) -> Iterator[str]:
    """Every `reference` inside a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)
