"""The database refuses any UPDATE of a final report or a signed addendum (SQLite and
PostgreSQL triggers), so that not even raw SQL or a stray tool can change what was signed."""

from django.db import migrations

MESSAGE = "irflow: a signed report is final and cannot be changed (add an addendum)"
ADDENDUM_MESSAGE = "irflow: a signed addendum cannot be changed"

SQLITE = [
    f"""
    CREATE TRIGGER reports_report_final_immutable
    BEFORE UPDATE ON reports_report
    FOR EACH ROW WHEN OLD.status = 'final'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER reports_addendum_signed_immutable
    BEFORE UPDATE ON reports_addendum
    FOR EACH ROW WHEN OLD.signed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS reports_report_final_immutable;",
    "DROP TRIGGER IF EXISTS reports_addendum_signed_immutable;",
]
POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION reports_report_final_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER reports_report_final_immutable
    BEFORE UPDATE ON reports_report
    FOR EACH ROW WHEN (OLD.status = 'final')
    EXECUTE FUNCTION reports_report_final_immutable();
    """,
    f"""
    CREATE OR REPLACE FUNCTION reports_addendum_signed_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{ADDENDUM_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER reports_addendum_signed_immutable
    BEFORE UPDATE ON reports_addendum
    FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL)
    EXECUTE FUNCTION reports_addendum_signed_immutable();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS reports_report_final_immutable ON reports_report;",
    "DROP FUNCTION IF EXISTS reports_report_final_immutable();",
    "DROP TRIGGER IF EXISTS reports_addendum_signed_immutable ON reports_addendum;",
    "DROP FUNCTION IF EXISTS reports_addendum_signed_immutable();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
