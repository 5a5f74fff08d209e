"""Default discharge instructions: plain language, by what the procedure involved.

Site defaults (not published standards); the nurse edits them for each patient before they
are printed.
"""

from __future__ import annotations

GENERAL = [
    "Rest for the rest of today. Do not drive, operate machinery, drink alcohol or sign "
    "legal documents for 24 hours if you were given sedation.",
    "An adult should stay with you tonight.",
    "Take your usual medicines unless you were told otherwise. Restart blood thinners only "
    "when the team told you to.",
    "Call the department, or your emergency number out of hours, if you have a fever, "
    "increasing pain, bleeding that does not stop with pressure, or feel unwell.",
]
ARTERIAL = [
    "Keep the puncture site dry for 24 hours. Do not lift heavy things or climb many stairs "
    "for 48 hours.",
    "If the puncture site bleeds or swells: lie flat, press firmly on it for 10 minutes and "
    "call for help.",
]
DEVICE = [
    "You have a {name} in place. It needs {action} by {due}; the department will contact "
    "you. Keep this sheet.",
]
BIOPSY = ["The results of the biopsy will be sent to the doctor who referred you."]


def default_instructions(record) -> str:
    """The starting text for one procedure, from its catalogue entry."""
    from datetime import timedelta

    from django.utils import timezone

    procedure_type = record.order.procedure_type
    lines = list(GENERAL)
    if procedure_type.arterial_access:
        lines += ARTERIAL
    if procedure_type.code.startswith("BX-"):
        lines += BIOPSY
    day = timezone.localtime(record.ended_at or timezone.now()).date()
    for place in (procedure_type.device_defaults or {}).get("places", []):
        due = day + timedelta(days=int(place.get("removal_after_days", 90)))
        lines.append(
            DEVICE[0].format(
                name=str(place.get("name", "device")).lower(),
                action=place.get("action", "review"),
                due=f"{due:%d %B %Y}",
            )
        )
    return "\n".join(f"• {line}" for line in lines)
