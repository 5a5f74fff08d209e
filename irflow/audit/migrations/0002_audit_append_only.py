"""The audit tables are append-only at the database: irflow's access log and django-auditlog's
change history refuse every UPDATE and DELETE (SQLite and PostgreSQL triggers; PostgreSQL also
refuses TRUNCATE). Only `irflow flush` may empty them (see irflow/audit/appendonly.py)."""

from django.db import migrations

TABLES = {
    "audit_accesslog": "irflow: the access log is append-only",
    "auditlog_logentry": "irflow: the change history is append-only",
}

# (table, statement): CREATE ... IF NOT EXISTS, so that they can run again after a rebuild.
SQLITE_BY_TABLE = [
    item
    for table, message in TABLES.items()
    for item in (
        (
            table,
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_update
            BEFORE UPDATE ON {table}
            FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{message}'); END;
            """,
        ),
        (
            table,
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_delete
            BEFORE DELETE ON {table}
            FOR EACH ROW WHEN NOT irflow_purge_allowed()
            BEGIN SELECT RAISE(ABORT, '{message}'); END;
            """,
        ),
    )
]
SQLITE = [sql for _table, sql in SQLITE_BY_TABLE]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op};" for table in TABLES for op in ("update", "delete")
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION irflow_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND coalesce(current_setting('irflow.purge', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '% (% refused)', TG_ARGV[0], TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        sql
        for table, message in TABLES.items()
        for sql in (
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION irflow_append_only('{message}');
            """,
            f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION irflow_append_only('{message}');
            """,
            f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION irflow_append_only('{message}');
            """,
        )
    ),
]
POSTGRES_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_no_{op} ON {table};"
        for table in TABLES
        for op in ("update", "delete", "truncate")
    ),
    "DROP FUNCTION IF EXISTS irflow_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
