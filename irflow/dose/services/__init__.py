"""Writes of the dose app: receiving, reading, linking, alerting. See each module."""

from irflow.dose.services.alerts import dose_alert_acknowledge, dose_alerts_refresh
from irflow.dose.services.linking import dose_report_link, report_auto_link
from irflow.dose.services.receiving import (
    Outcome,
    rdsr_import_file,
    received_process,
    received_queued,
    received_record,
    received_recover,
    received_reprocess,
    received_unread_lost,
)
from irflow.dose.services.storing import report_store

__all__ = [
    "Outcome",
    "dose_alert_acknowledge",
    "dose_alerts_refresh",
    "dose_report_link",
    "rdsr_import_file",
    "received_process",
    "received_queued",
    "received_record",
    "received_recover",
    "received_reprocess",
    "received_unread_lost",
    "report_auto_link",
    "report_store",
]
