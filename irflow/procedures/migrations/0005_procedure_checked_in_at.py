"""Procedure records indexed by check-in time: the quality figures and case lists select the
cases of a period, and the records list newest first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("procedures", "0004_procedurerecord_version")]

    operations = [
        migrations.AddIndex(
            model_name="procedurerecord",
            index=models.Index(fields=["checked_in_at"], name="procedure_checked_in_at"),
        ),
    ]
