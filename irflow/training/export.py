"""The logbook as rows: for the CSV and the PDF (each entry with who verified it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone

from irflow.training.models import LogbookEntry

COLUMNS = [
    "Date",
    "Procedure",
    "Category",
    "Role",
    "Outcome",
    "Supervisor",
    "Status",
    "Verified by",
    "Verified at",
    "Query note",
]


def _cell(value: str) -> str:
    """Typed text must not become a spreadsheet formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def entry_rows(entries: Iterable[LogbookEntry]) -> list[list[str]]:
    return [
        [
            f"{e.performed_on:%Y-%m-%d}",
            e.procedure_name,
            e.category_label,
            e.get_role_display(),
            e.outcome_label,
            str(e.supervisor or ""),
            e.get_status_display(),
            str(e.verified_by or ""),
            f"{timezone.localtime(e.verified_at):%Y-%m-%d %H:%M}" if e.verified_at else "",
            e.query_note,
        ]
        for e in entries
    ]


def logbook_csv_text(entries: Iterable[LogbookEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([[_cell(v) for v in row] for row in entry_rows(entries)])
    return buffer.getvalue()
