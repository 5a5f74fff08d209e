"""The patient preparation letter: plain language, the computed times, as a PDF (WeasyPrint).

Texts are marked for translation; the letter is written in the site's language
(settings.LANGUAGE_CODE) with dates and times in the site's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from irflow.accounts.actors import Actor
from irflow.clinical.contrast import SCHEDULE as PREMED_SCHEDULE
from irflow.readiness.logo import logo_data_uri
from irflow.readiness.models import Stay
from irflow.readiness.policy import policy_settings
from irflow.readiness.selectors import BookingReadiness, booking_get, readiness_detail
from irflow.readiness.services import LETTERHEAD_FIELDS
from irflow.web.pdf import render_pdf

CSS = Path(__file__).resolve().parent / "static" / "readiness" / "letter.css"
# Sedation levels after which the patient needs an adult to take them home.
ESCORT_SEDATION = {"moderate", "deep", "general"}


@dataclass(frozen=True)
class MedicineLine:
    label: str
    instruction: str
    restart: str


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return timezone.localtime(moment)


def when(moment: datetime) -> str:
    """'08:00 on Friday 11 July 2025' in the site's language and time zone."""
    from django.utils.formats import date_format

    local = timezone.localtime(moment)
    day = date_format(local, "l j F Y")
    return _("%(time)s on %(day)s") % {"day": day, "time": local.strftime("%H:%M")}


def day_only(moment: datetime) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "l j F Y")


def _medicine(item: dict[str, Any], now: datetime) -> MedicineLine:
    label = item["label"]
    action = item["action"]
    last = _dt(item.get("last_allowed_dose"))
    hold_from = _dt(item.get("hold_from"))
    restart = _dt(item.get("restart_at")) or _dt(item.get("restart_not_before"))
    if action == "continue":
        return MedicineLine(label, _("Keep taking it as usual."), "")
    if action == "check_lab":
        return MedicineLine(
            label, _("Keep taking it. We will check your blood (INR) before the procedure."), ""
        )
    if action == "team_decision" and last is None:
        return MedicineLine(label, _("Your care team will tell you what to do with it."), "")
    if last is not None and last <= now:
        # The letter is read after the last dose allowed: never print a time already past.
        text = _(
            "Do not take any more before the procedure: your last dose was due by %(when)s. "
            "If you took one after that, tell us."
        ) % {"when": when(last)}
    elif last is not None:
        text = _("Take your last dose at %(when)s. Do not take it after that.") % {
            "when": when(last)
        }
    elif hold_from is not None and item.get("hold_unit") == "days":
        text = _("Take your last dose on %(day)s at the latest.") % {
            "day": day_only(hold_from - timedelta(days=1))
        }
    elif hold_from is not None:
        text = _("Take no dose after %(when)s.") % {"when": when(hold_from)}
    else:
        text = _("Your care team will tell you when to take your last dose.")
    if action == "team_decision":
        text = _("Your care team will decide whether you stop it. If you stop it: %(text)s") % {
            "text": text
        }
    again = (
        _("Start taking it again at %(when)s, unless we tell you otherwise.")
        % {"when": when(restart)}
        if restart
        else _("We will tell you when to start taking it again.")
    )
    return MedicineLine(label, text, again)


def letter_context(view: BookingReadiness, now: datetime | None = None) -> dict[str, Any]:
    """Everything the letter says, computed (times are datetimes in the site's zone). Times
    already past at `now` are never printed as instructions to follow."""
    booking = view.booking
    data = view.data
    row = policy_settings()
    now = timezone.localtime(now or timezone.now())
    start = timezone.localtime(booking.start)
    fasting = data.get("fasting")
    sedation = view.preparation.sedation
    stay = view.preparation.stay or Stay.DAY_CASE
    premedication = [
        {
            "at": _dt(d["at"]),
            "drug": d["drug"].capitalize(),
            "dose_mg": d["dose_mg"],
            "route": d["route"],
            "optional": d["optional"],
            "past": _dt(d["at"]) <= now,  # type: ignore[operator]
        }
        for d in data.get("premedication") or []
    ]
    replan = any(
        f["rule_id"] == PREMED_SCHEDULE and f["inputs"].get("schedule_met") is False
        for f in data.get("findings") or []
    )
    solid_until = _dt(fasting["solid_food_until"]) if fasting else None
    return {
        "booking": booking,
        "patient": booking.patient,
        "procedure": booking.order.procedure_type.name,
        "start": start,
        "arrival": start - timedelta(minutes=row.arrival_lead_min),
        "solid_until": solid_until,
        "clear_until": _dt(fasting["clear_fluids_until"]) if fasting else None,
        "fast_due": solid_until is not None and solid_until <= now,
        "medicines": [_medicine(item, now) for item in data.get("medication_plan") or []],
        "premedication": premedication,
        "premedication_replan": replan,
        "escort": sedation in ESCORT_SEDATION and stay == Stay.DAY_CASE,
        "sedated": sedation in ESCORT_SEDATION,
        "stay": stay,
        "letterhead": {f: getattr(row, f) for f in LETTERHEAD_FIELDS},
        "logo_uri": logo_data_uri(row),
        "site_name": settings.IRFLOW_SITE_NAME,
        "when": when,
    }


def letter_html(*, view: BookingReadiness, now: datetime | None = None) -> str:
    """The letter as HTML in the site's language."""
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        context = letter_context(view, now)
        context["lines"] = _lines(context)
        return render_to_string("readiness/letter.html", context)


def _lines(c: dict[str, Any]) -> dict[str, str]:
    lines = {
        "date": day_only(c["start"]),
        "arrive": when(c["arrival"]),
        "start": when(c["start"]),
    }
    if c["solid_until"]:
        lines["solid"] = when(c["solid_until"])
        lines["clear"] = when(c["clear_until"])
    return lines


def letter_pdf(*, actor: Actor, booking_id: int, now: datetime | None = None) -> bytes:
    """The patient's preparation letter as a PDF, as read at `now` (the read is logged)."""
    booking_get(actor=actor, booking_id=booking_id, action="readiness.view", what="letter")
    view = readiness_detail(booking_id=booking_id, now=now)
    html = letter_html(view=view, now=now)
    return render_pdf(html, stylesheet=CSS)
