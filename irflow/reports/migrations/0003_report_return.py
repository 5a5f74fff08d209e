"""The co-signer's reason for returning a draft, who returned it and when; an index on the
status for the worklists.

SQLite adds a NOT NULL column by rebuilding the table, and a rebuilt table has lost its
triggers: the trigger that keeps final reports final (0002) is created again after the change
(and after undoing it).
"""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

immutable = import_module("irflow.reports.migrations.0002_final_reports_immutable")


def restore_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS reports_report_final_immutable;")
        cursor.execute(immutable.SQLITE[0])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_final_reports_immutable"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_trigger),
        migrations.AddField(
            model_name="report",
            name="return_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="report",
            name="returned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="report",
            name="returned_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(restore_trigger, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["status"], name="report_status"),
        ),
    ]
