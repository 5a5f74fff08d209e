"""The report as a PDF (WeasyPrint): what was signed, who signed it and when, and the signed
addenda. Drafts print with a DRAFT mark so that an unsigned report is never mistaken."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from irflow.readiness.policy import letterhead
from irflow.reports.models import Report
from irflow.reports.selectors import report_view
from irflow.web.pdf import render_pdf

CSS = Path(__file__).resolve().parent / "static" / "reports" / "report.css"


def report_html(report: Report) -> str:
    return render_to_string(
        "reports/report_pdf.html",
        {
            "view": report_view(report),
            "report": report,
            "record": report.record,
            "patient": report.record.patient,
            "site_name": settings.IRFLOW_SITE_NAME,
            "letterhead": letterhead(),
        },
    )


def report_pdf(report: Report) -> bytes:
    """Render a report the caller was allowed to read."""
    return render_pdf(report_html(report), stylesheet=CSS)
