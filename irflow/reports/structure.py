"""The catalogue's report template: structured fields and narrative sections.

    {"sections": [{"key": "findings", "label": "Findings", "required": false}, …],
     "fields": [{"key": "retrievable", "label": "Retrievable filter", "type": "yes_no",
                 "required": true}, …]}

Field types: text, number (with an optional unit), choice (with choices) and yes_no.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from irflow.catalogue.seed import GENERIC_REPORT_TEMPLATE

FIELD_TYPES = ("text", "number", "choice", "yes_no")
ALWAYS_REQUIRED = frozenset({"impression"})
YES_NO = ("yes", "no")
MSG_FIELD_NUMBER = "“{value}” is not a number."
MSG_FIELD_CHOICE = "“{value}” is not one of: {choices}."
MSG_FIELD_YES_NO = "Answer yes or no."
MSG_FIELD_REQUIRED = "{label} is required before signing."
MSG_SECTION_REQUIRED = "Write the {label} before signing."
MSG_UNKNOWN_KEYS = "Not part of this report's template: {keys}."
MSG_EMPTY_REPORT = "The report is empty: write at least the findings or the impression."


def normalised(template: dict | None) -> dict[str, list[dict[str, Any]]]:
    """The template with every key present (sections and fields, types defaulted). The
    impression is required whatever the template says: a report without one says nothing."""
    template = template or GENERIC_REPORT_TEMPLATE
    sections = [
        {
            **s,
            "key": str(s["key"]),
            "label": str(s.get("label", s["key"])),
            "required": bool(s.get("required", False)) or str(s["key"]) in ALWAYS_REQUIRED,
        }
        for s in template.get("sections", [])
    ]
    fields = []
    for f in template.get("fields", []):
        kind = f.get("type", "text")
        fields.append(
            {
                **f,
                "key": str(f["key"]),
                "label": str(f.get("label", f["key"])),
                "type": kind if kind in FIELD_TYPES else "text",
                "choices": list(f.get("choices", [])),
                "unit": str(f.get("unit", "")),
                "required": bool(f.get("required", False)),
            }
        )
    return {"sections": sections, "fields": fields}


def clean_fields(template: dict, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed field values and field messages (types only; "required" is checked at signing)."""
    spec = {f["key"]: f for f in normalised(template)["fields"]}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = sorted(set(values) - set(spec))
    if unknown:
        errors["fields"] = MSG_UNKNOWN_KEYS.format(keys=", ".join(unknown))
    for key, raw in values.items():
        if key not in spec:
            continue
        field = spec[key]
        text = "" if raw is None else str(raw).strip()
        if text == "":
            clean[key] = ""
        elif field["type"] == "number":
            try:
                number = Decimal(text.replace(",", "."))
            except InvalidOperation:
                errors[f"field_{key}"] = MSG_FIELD_NUMBER.format(value=text)
                continue
            if number < 0:
                errors[f"field_{key}"] = f"{field['label']} cannot be negative."
                continue
            clean[key] = format(number.normalize(), "f")
        elif field["type"] == "choice":
            if text not in field["choices"]:
                errors[f"field_{key}"] = MSG_FIELD_CHOICE.format(
                    value=text, choices=", ".join(field["choices"])
                )
                continue
            clean[key] = text
        elif field["type"] == "yes_no":
            if text not in YES_NO:
                errors[f"field_{key}"] = MSG_FIELD_YES_NO
                continue
            clean[key] = text
        else:
            clean[key] = text[:2000]
    return clean, errors


def clean_sections(template: dict, values: dict[str, Any]) -> tuple[dict[str, str], dict]:
    keys = {s["key"] for s in normalised(template)["sections"]}
    unknown = sorted(set(values) - keys)
    errors = {"sections": MSG_UNKNOWN_KEYS.format(keys=", ".join(unknown))} if unknown else {}
    return {k: str(v or "").strip() for k, v in values.items() if k in keys}, errors


def missing_for_signature(template: dict, fields: dict, sections: dict) -> dict[str, str]:
    """What must be filled in before the report can be signed."""
    spec = normalised(template)
    errors: dict[str, str] = {}
    for f in spec["fields"]:
        if f["required"] and not str(fields.get(f["key"], "")).strip():
            errors[f"field_{f['key']}"] = MSG_FIELD_REQUIRED.format(label=f["label"])
    for s in spec["sections"]:
        if s["required"] and not str(sections.get(s["key"], "")).strip():
            errors[f"section_{s['key']}"] = MSG_SECTION_REQUIRED.format(label=s["label"].lower())
    if not any(str(v).strip() for v in sections.values()):
        errors["sections"] = MSG_EMPTY_REPORT
    return errors


def display_value(field: dict, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if field["type"] == "yes_no":
        return "Yes" if value == "yes" else "No"
    return f"{value} {field['unit']}".strip()
