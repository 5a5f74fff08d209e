"""FollowUpTask carries a version that grows on every change (no lost updates: ETag, If-Match,
the version an edit form was opened at). Existing rows start at 1; see
irflow.lib.versions.add_version_column for why the column is added in place on SQLite."""

from django.db import migrations

from irflow.lib.versions import add_version_column


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]

    operations = [add_version_column("followup", "FollowUpTask")]
