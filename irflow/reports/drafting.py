"""The first draft of a report, written from what was recorded: the order's indication, the
technique (sedation, access, contrast, devices, specimens, radiation dose and its alerts), the
findings and the complications (the adverse events recorded on the procedure).

The author edits every word; what the draft must never do is say "no complications" while an
adverse event is recorded, and signing refuses a report that does (`complications_refusal`).
"""

from __future__ import annotations

import re
from decimal import Decimal

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import can
from irflow.clinical.formatting import fmt_number
from irflow.clinical.radiation import QUANTITY_LABELS
from irflow.dose.models import DoseAlert
from irflow.dose.selectors import OrderDoseTotals, dose_totals_for_order
from irflow.outcomes.models import AdverseEvent
from irflow.outcomes.selectors import EventLine, adverse_events_for_procedure
from irflow.procedures.models import ProcedureRecord

COMPLICATIONS = "complications"
NONE_RECORDED = "None recorded."
MSG_COMPLICATIONS_SAY_NONE = (
    "The complications say none, but an adverse event is recorded on this procedure: "
    "describe it (what, grade, management, outcome)."
)
# What "no complications" is written as; compared lower-case, without end punctuation.
SAYS_NONE = frozenset(
    {
        "",
        "none",
        "nil",
        "no",
        "n/a",
        "na",
        "nad",
        "none recorded",
        "none known",
        "nil known",
        "nil of note",
        "none noted",
        "none apparent",
        "none immediate",
        "no complication",
        "no complications",
        "no immediate complication",
        "no immediate complications",
        "no complications recorded",
        "no adverse event",
        "no adverse events",
        "uncomplicated",
    }
)


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def says_none(text: str | None) -> bool:
    """Whether a complications text says there were none (or says nothing)."""
    words = re.sub(r"\s+", " ", (text or "").strip().lower()).rstrip(".;:!-– ")
    return words in SAYS_NONE


def _sedation(record) -> str:
    agents = [a for a in record.sedation_agents.all() if not a.entered_in_error]
    parts = []
    if record.sedation_depth:
        parts.append(record.get_sedation_depth_display().lower())
    if agents:
        parts.append(", ".join(f"{a.agent} {_num(a.dose)} {a.unit}" for a in agents))
    return f"Sedation: {'; '.join(parts)}." if parts else ""


def _access(record) -> str:
    if not record.access_sites:
        return ""
    sites = ", ".join(record.access_site_labels()).lower()
    note = f" ({record.access_note})" if record.access_note else ""
    return f"Access: {sites}{note}."


def _contrast(record) -> str:
    if record.contrast_ml is None and not record.contrast_agent:
        return ""
    amount = [f"{_num(record.contrast_ml)} ml"] if record.contrast_ml is not None else []
    if record.contrast_route:
        amount.append(record.get_contrast_route_display().lower())
    parts = [record.contrast_agent or "contrast", " ".join(amount)]
    return f"Contrast: {', '.join(p for p in parts if p)}."


def _device(device) -> str:
    text = device.device_type
    if device.manufacturer:
        text += f" ({device.manufacturer})"
    known = [
        f"{label} {value}"
        for label, value in (("UDI", device.udi), ("lot", device.lot), ("serial", device.serial))
        if value
    ]
    if known:
        text += ", " + ", ".join(known)
    if device.implanted or device.in_situ_kind:
        text += ", left in the patient"
    return text


def _devices(record) -> str:
    devices = [d for d in record.devices.all() if not d.entered_in_error]
    return f"Devices: {'; '.join(_device(d) for d in devices)}." if devices else ""


def _specimens(record) -> str:
    specimens = [s for s in record.specimens.all() if not s.entered_in_error]
    listed = "; ".join(
        f"{s.label}{f' ({s.specimen_type})' if s.specimen_type else ''} sent to {s.sent_to}"
        for s in specimens
    )
    return f"Specimens: {listed}." if specimens else ""


def _alert(alert: DoseAlert) -> str:
    quantity = QUANTITY_LABELS.get(alert.quantity, alert.quantity).lower()
    return (
        f"Dose alert: {alert.get_level_display().lower()} reached — {quantity} "
        f"{fmt_number(alert.value)} {alert.unit} (level {fmt_number(alert.threshold)} "
        f"{alert.unit})."
    )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _dose(dose: OrderDoseTotals | None) -> list[str]:
    if dose is None:
        return []
    totals = [
        f"{label} {shown}"
        for label, value, shown in (
            ("Ka,r", dose.ka_r_mgy, f"{fmt_number(dose.ka_r_mgy)} mGy"),
            ("DAP", dose.dap_gy_cm2, f"{fmt_number(dose.dap_gy_cm2)} Gy·cm²"),
            ("fluoroscopy time", dose.fluoro_time_s, _duration(dose.fluoro_time_s or 0)),
            ("DLP", dose.dlp_mgy_cm, f"{fmt_number(dose.dlp_mgy_cm)} mGy·cm"),
        )
        if value is not None
    ]
    lines = [f"Radiation dose: {', '.join(totals)}."] if totals else []
    return lines + [_alert(a) for a in dose.alerts]


def _event(line: EventLine) -> str:
    event = line.event
    grades = [f"SIR 2017 grade {line.sir_label.lower()}"]
    if line.legacy_label:
        minor = f" ({line.legacy_class})" if line.legacy_class else ""
        grades.append(f"legacy SIR class {line.legacy_label}{minor}")
    if line.cirse_label:
        grades.append(f"CIRSE {line.cirse_label.lower()}")
    text = f"{event.description.rstrip('.')} ({event.get_detection_display().lower()}): "
    text += "; ".join(grades) + "."
    text += f" Attributed to {event.get_attribution_display().lower()}."
    if event.management:
        text += f" Management: {event.management.rstrip('.')}."
    text += f" Outcome: {event.get_outcome_display().lower()}."
    return text


def _complications(*, actor: Actor, record: ProcedureRecord) -> str:
    events = adverse_events_for_procedure(actor=actor, record=record)
    lines = [_event(line) for line in reversed(events or [])]
    if record.intra_procedure_events:
        noted = record.intra_procedure_events.strip()
        lines.append(f"Noted during the procedure: {noted}" if lines else noted)
    if lines:
        return "\n".join(lines)
    # Without the right to read adverse events the draft cannot say there were none.
    return NONE_RECORDED if events is not None else ""


def draft_sections(*, actor: Actor, record: ProcedureRecord) -> dict[str, str]:
    """Section texts drafted from the procedure record (the author edits them)."""
    dose = (
        dose_totals_for_order(actor=actor, order=record.order) if can(actor, "dose.view") else None
    )
    technique = [
        _sedation(record),
        _access(record),
        _contrast(record),
        _devices(record),
        _specimens(record),
        *_dose(dose),
    ]
    sections = {
        "indication": record.order.clinical_indication,
        "technique": "\n".join(line for line in technique if line),
        "findings": record.findings,
        COMPLICATIONS: _complications(actor=actor, record=record),
    }
    return {k: v for k, v in sections.items() if v}


def complications_refusal(*, template_keys: set[str], record_id: int, sections: dict) -> dict:
    """The field message when the complications say none while an adverse event is recorded
    on the procedure (an empty dict otherwise)."""
    if COMPLICATIONS not in template_keys or not says_none(sections.get(COMPLICATIONS)):
        return {}
    recorded = AdverseEvent.objects.filter(record_id=record_id, entered_in_error=False).exists()
    return {f"section_{COMPLICATIONS}": MSG_COMPLICATIONS_SAY_NONE} if recorded else {}
