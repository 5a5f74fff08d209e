"""The audit tables are append-only at the database (triggers on SQLite and PostgreSQL): raw
SQL cannot change or delete the access log or the change history; `irflow flush` alone empties
them; a SQLite table rebuild does not lose the triggers."""

from __future__ import annotations

import sqlite3

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from irflow.audit.appendonly import ensure_sqlite_triggers
from irflow.audit.models import AccessLog
from irflow.audit.services import access_log_record
from irflow.patients.services import patient_update

TABLES = {
    "audit_accesslog": "access log is append-only",
    "auditlog_logentry": "change history is append-only",
}


def _audit_rows(attending, patient) -> tuple[int, int]:
    access_log_record(actor=attending, patient=patient, what="chart")
    access_id = AccessLog.objects.latest("id").pk
    patient_update(actor=attending, patient_id=patient.pk, given_name="Anna")
    return access_id, LogEntry.objects.latest("id").pk


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(exc.value)


@pytest.mark.django_db
def test_audit_rows_refuse_update_delete_and_truncate(attending, patient):
    access_id, entry_id = _audit_rows(attending, patient)
    for table, pk, column in (
        ("audit_accesslog", access_id, "what"),
        ("auditlog_logentry", entry_id, "object_repr"),
    ):
        assert TABLES[table] in _refused(f"UPDATE {table} SET {column} = 'x' WHERE id = %s", [pk])  # noqa: S608
        assert TABLES[table] in _refused(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
        assert TABLES[table] in _refused(f"DELETE FROM {table}")  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=access_id).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry_id).update(object_repr="x")
    assert AccessLog.objects.get(pk=access_id).what == "chart"
    assert LogEntry.objects.get(pk=entry_id).object_repr != "x"


@pytest.mark.django_db(transaction=True)
def test_flush_alone_empties_the_audit_tables_and_truncate_is_refused(attending, patient):
    access_id, entry_id = _audit_rows(attending, patient)
    call_command("flush", interactive=False, verbosity=0)
    assert not AccessLog.objects.filter(pk=access_id).exists()
    assert not LogEntry.objects.filter(pk=entry_id).exists()
    # The way through ends with the flush.
    user = type(attending).objects.create(username="after-flush", role="attending")
    access_log_record(actor=user, patient=None, what="search")
    assert "append-only" in _refused("DELETE FROM audit_accesslog")
    if connection.vendor == "postgresql":
        # TRUNCATE skips row triggers; a statement trigger refuses it (outside `irflow flush`).
        for table, words in {
            **TABLES,
            "reports_report": "reports are never deleted",
            "reports_addendum": "addenda are never deleted",
        }.items():
            assert words in _refused(f"TRUNCATE {table} CASCADE")


@pytest.mark.django_db(transaction=True)
def test_another_sqlite_client_cannot_delete_audit_rows(attending, patient):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: a client without irflow's function")
    _audit_rows(attending, patient)
    raw = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute("DELETE FROM audit_accesslog")
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute("UPDATE auditlog_logentry SET object_repr = 'x'")
    finally:
        raw.close()
    assert AccessLog.objects.exists()


@pytest.mark.django_db
def test_sqlite_triggers_come_back_after_a_table_rebuild():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps triggers through ALTER TABLE")
    names = [
        "audit_accesslog_no_update",
        "audit_accesslog_no_delete",
        "auditlog_logentry_no_update",
        "auditlog_logentry_no_delete",
        "reports_report_final_no_delete",
        "reports_addendum_signed_no_delete",
    ]
    with connection.cursor() as cur:
        for name in names:
            cur.execute(f"DROP TRIGGER {name}")
    ensure_sqlite_triggers(sender=None, using="default")
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cur.fetchall()}
    assert set(names) <= present
