"""Why a short slot was booked, why a booking was entered after its start.

On SQLite the columns are added in place (ALTER TABLE … ADD COLUMN): Django would rebuild the
table, dropping the overlap triggers of 0002.
"""

from django.db import migrations, models

FIELDS = ("short_slot_reason", "retrospective_reason")


def _field(name: str) -> models.CharField:
    field = models.CharField(max_length=300, blank=True)
    field.set_attributes_from_name(name)
    return field


def forward(apps, schema_editor):
    booking = apps.get_model("scheduling", "Booking")
    for name in FIELDS:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f"ALTER TABLE scheduling_booking ADD COLUMN {name} varchar(300) DEFAULT '' NOT NULL"
            )
        else:
            schema_editor.add_field(booking, _field(name))


def backward(apps, schema_editor):
    booking = apps.get_model("scheduling", "Booking")
    for name in FIELDS:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"ALTER TABLE scheduling_booking DROP COLUMN {name}")
        else:
            schema_editor.remove_field(booking, _field(name))


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_no_double_booking")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AddField(
                    model_name="booking",
                    name=name,
                    field=models.CharField(blank=True, max_length=300),
                )
                for name in FIELDS
            ],
        )
    ]
