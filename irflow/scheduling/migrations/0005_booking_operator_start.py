"""Bookings indexed by operator and start: an operator's list by time, and on SQLite the
operator-overlap trigger's check reads an index range instead of every booking of the operator."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_booking_version")]

    operations = [
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["primary_operator", "start"], name="booking_operator_start"),
        ),
    ]
