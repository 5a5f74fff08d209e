"""The database refuses a DELETE of a final report or of a signed addendum (SQLite and
PostgreSQL triggers; PostgreSQL also refuses TRUNCATE of either table), as 0002 refuses their
UPDATE. Only `irflow flush` may empty the tables (see irflow/audit/appendonly.py)."""

from django.db import migrations

REPORT_MESSAGE = "irflow: a signed report is never deleted"
ADDENDUM_MESSAGE = "irflow: a signed addendum is never deleted"

# (table, statement): CREATE ... IF NOT EXISTS, so that they can run again after a rebuild.
SQLITE_BY_TABLE = [
    (
        "reports_report",
        f"""
        CREATE TRIGGER IF NOT EXISTS reports_report_final_no_delete
        BEFORE DELETE ON reports_report
        FOR EACH ROW WHEN OLD.status = 'final' AND NOT irflow_purge_allowed()
        BEGIN SELECT RAISE(ABORT, '{REPORT_MESSAGE}'); END;
        """,
    ),
    (
        "reports_addendum",
        f"""
        CREATE TRIGGER IF NOT EXISTS reports_addendum_signed_no_delete
        BEFORE DELETE ON reports_addendum
        FOR EACH ROW WHEN OLD.signed_at IS NOT NULL AND NOT irflow_purge_allowed()
        BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END;
        """,
    ),
]
SQLITE = [sql for _table, sql in SQLITE_BY_TABLE]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS reports_report_final_no_delete;",
    "DROP TRIGGER IF EXISTS reports_addendum_signed_no_delete;",
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION reports_signed_no_delete() RETURNS trigger AS $$
    BEGIN
        IF coalesce(current_setting('irflow.purge', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER reports_report_final_no_delete
    BEFORE DELETE ON reports_report
    FOR EACH ROW WHEN (OLD.status = 'final')
    EXECUTE FUNCTION reports_signed_no_delete('{REPORT_MESSAGE}');
    """,
    f"""
    CREATE TRIGGER reports_addendum_signed_no_delete
    BEFORE DELETE ON reports_addendum
    FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL)
    EXECUTE FUNCTION reports_signed_no_delete('{ADDENDUM_MESSAGE}');
    """,
    """
    CREATE TRIGGER reports_report_no_truncate
    BEFORE TRUNCATE ON reports_report
    FOR EACH STATEMENT EXECUTE FUNCTION reports_signed_no_delete('irflow: reports are never deleted');
    """,
    """
    CREATE TRIGGER reports_addendum_no_truncate
    BEFORE TRUNCATE ON reports_addendum
    FOR EACH STATEMENT EXECUTE FUNCTION reports_signed_no_delete('irflow: addenda are never deleted');
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS reports_report_final_no_delete ON reports_report;",
    "DROP TRIGGER IF EXISTS reports_addendum_signed_no_delete ON reports_addendum;",
    "DROP TRIGGER IF EXISTS reports_report_no_truncate ON reports_report;",
    "DROP TRIGGER IF EXISTS reports_addendum_no_truncate ON reports_addendum;",
    "DROP FUNCTION IF EXISTS reports_signed_no_delete();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_report_return"), ("audit", "0002_audit_append_only")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
