"""Current readiness is computed on read and no longer stored: the stored "current" rows go;
the sign-in snapshots stay, as they were."""

from django.db import migrations, models


def forget_current(apps, schema_editor):
    # (The historical model has none of the live model's refusals: these rows were a cache.)
    apps.get_model("readiness", "ReadinessSnapshot").objects.filter(kind="current").delete()


class Migration(migrations.Migration):
    dependencies = [("readiness", "0001_initial")]

    operations = [
        migrations.RunPython(forget_current, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="readinesssnapshot", name="readiness_effective_state"),
        migrations.AlterField(
            model_name="readinesssnapshot",
            name="kind",
            field=models.CharField(choices=[("sign_in", "At sign-in")], max_length=10),
        ),
    ]
