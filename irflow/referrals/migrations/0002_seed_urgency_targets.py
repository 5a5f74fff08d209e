"""Seed the site's urgency targets with irflow's defaults (sites change them in the admin)."""

from django.db import migrations


def seed(apps, schema_editor):
    from irflow.referrals.seed import urgency_targets_seed

    urgency_targets_seed(apps.get_model("referrals", "UrgencyTarget"))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
