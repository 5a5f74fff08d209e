"""The database itself refuses overlapping active bookings of a room, an operator or a patient.

PostgreSQL: exclusion constraints on [start, end) ranges (btree_gist for the equality part).
SQLite: triggers; together with IMMEDIATE transactions (one writer at a time) they give the
same guarantee.
"""

from django.db import migrations

KEYS = [("room", "room_id"), ("operator", "primary_operator_id"), ("patient", "patient_id")]

PG_FORWARD = ["CREATE EXTENSION IF NOT EXISTS btree_gist"] + [
    f"""ALTER TABLE scheduling_booking ADD CONSTRAINT booking_{name}_overlap
        EXCLUDE USING gist ({column} WITH =, tstzrange("start", "end", '[)') WITH &&)
        WHERE (active AND {column} IS NOT NULL)"""
    for name, column in KEYS
]
PG_BACKWARD = [
    f"ALTER TABLE scheduling_booking DROP CONSTRAINT IF EXISTS booking_{name}_overlap"
    for name, _ in KEYS
]


def sqlite_trigger(name: str, column: str, event: str) -> str:
    # Only constant names from KEYS are interpolated.
    return f"""
CREATE TRIGGER booking_{name}_overlap_{event.split()[0].lower()}
BEFORE {event} ON scheduling_booking
FOR EACH ROW WHEN NEW.active AND NEW.{column} IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'booking_{name}_overlap')
    WHERE EXISTS (
        SELECT 1 FROM scheduling_booking b
        WHERE b.{column} = NEW.{column} AND b.active AND b.id IS NOT NEW.id
          AND b."start" < NEW."end" AND NEW."start" < b."end"
    );
END"""


SQLITE_FORWARD = [
    sqlite_trigger(name, column, event)
    for name, column in KEYS
    for event in (
        "INSERT",
        "UPDATE OF room_id, primary_operator_id, patient_id, start, end, active",
    )
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS booking_{name}_overlap_{event}"
    for name, _ in KEYS
    for event in ("insert", "update")
]


def forward(apps, schema_editor):
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(
        schema_editor.connection.vendor
    )
    if statements is None:
        raise RuntimeError("irflow supports PostgreSQL and SQLite")
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}[
        schema_editor.connection.vendor
    ]
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
