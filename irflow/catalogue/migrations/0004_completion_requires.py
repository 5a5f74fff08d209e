from django.db import migrations, models

import irflow.catalogue.models


def seed(apps, schema_editor):
    from irflow.catalogue.seed import completion_requirements_seed

    completion_requirements_seed(apps.get_model("catalogue", "ProcedureType"))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_room_defaults")]

    operations = [
        migrations.AddField(
            model_name="proceduretype",
            name="completion_requires",
            field=models.JSONField(
                blank=True,
                default=irflow.catalogue.models.technical_success_required,
                help_text="What the procedure record must hold before the procedure is "
                "completed: technical_success, contrast, findings, devices, specimens.",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
