"""Performed procedure steps (MPPS) are the procedure record's now
(`irflow.procedures.models.PerformedProcedureStep`): the model leaves this app's state; its
table, rows and history stay (the history's content type follows the model)."""

from django.db import migrations


def content_type_follows(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    old = content_types.objects.filter(app_label="dicomserver", model="performedprocedurestep")
    if not content_types.objects.filter(
        app_label="procedures", model="performedprocedurestep"
    ).exists():
        old.update(app_label="procedures")


def content_type_returns(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(
        app_label="dicomserver", model="performedprocedurestep"
    ).exists():
        content_types.objects.filter(app_label="procedures", model="performedprocedurestep").update(
            app_label="dicomserver"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("dicomserver", "0002_remote_ae_and_step_details"),
        ("dose", "0002_performed_step_in_procedures"),
        ("procedures", "0002_performed_procedure_step"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PerformedProcedureStep")],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_returns),
    ]
