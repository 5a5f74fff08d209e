"""The shipped EBIR programme cites CIRSE's entry criteria (confidence V) in databases set up
before it did: the row is brought up to date only where it still holds the text first shipped,
so a site's own edits stay."""

from django.db import migrations

FIRST_SHIPPED_SOURCE_URL = "https://www.cirse.org/education/ebir-examination/"
RENAMED = {
    "At least 250 procedures as first operator": "At least 250 IR procedures as first operator",
    "At least 150 of them vascular or interventional oncology": (
        "At least 150 of them vascular or vascular interventional oncology"
    ),
}


def cite_entry_criteria(apps, schema_editor):
    from irflow.training.seed import EBIR

    Programme = apps.get_model("training", "Programme")
    Requirement = apps.get_model("training", "Requirement")
    programme = Programme.objects.filter(
        code=EBIR["code"], source_url=FIRST_SHIPPED_SOURCE_URL, confidence="U"
    ).first()
    if programme is None:
        return
    programme.source = EBIR["source"]
    programme.source_url = EBIR["source_url"]
    programme.confidence = EBIR["confidence"]
    programme.save(update_fields=["source", "source_url", "confidence"])
    for old, new in RENAMED.items():
        Requirement.objects.filter(programme=programme, label=old).update(label=new)


class Migration(migrations.Migration):
    dependencies = [("training", "0001_people")]

    operations = [migrations.RunPython(cite_entry_criteria, migrations.RunPython.noop)]
