from django.db import migrations


def seed(apps, schema_editor):
    from irflow.catalogue.seed import catalogue_seed

    catalogue_seed(apps.get_model("catalogue", "ProcedureType"))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
