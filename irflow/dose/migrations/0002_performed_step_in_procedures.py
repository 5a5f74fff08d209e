"""The dose report's performed step is the procedures app's model now (state only: the
column and its constraint do not change)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dose", "0001_initial"),
        ("procedures", "0002_performed_procedure_step"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="radiationdosereport",
                    name="performed_step",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dose_reports",
                        to="procedures.performedprocedurestep",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
