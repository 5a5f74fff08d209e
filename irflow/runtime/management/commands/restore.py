"""`irflow restore BACKUP [--force]`: put a backup made by `irflow backup` into the configured
database and data directory (`--data-dir`), after checking every checksum, then check the
result against the manifest (irflow/runtime/backup.py; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.executor import MigrationExecutor

from irflow.runtime.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder (or its manifest.json) into the configured database and data "
        "directory: checksums first, an empty target unless --force, a check at the end."
    )

    # The checks open the database; nothing may touch the target before the checksums pass.
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("backup", type=Path, help="A backup folder or its manifest.json.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database and files that are already there.",
        )

    def handle(self, *, backup: Path, force: bool, **options) -> None:
        try:
            manifest = restore(backup, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = manifest["tables"]
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (irflow "
            f"{manifest['irflow_version']}) into {settings.DATA_DIR}: checked "
            f"{len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows, "
            f"{len(manifest['files'])} files and the secret key against the manifest."
        )
        from django.db import connections

        executor = MigrationExecutor(connections["default"])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            self.stdout.write(
                f"This irflow has {len(pending)} migration(s) the backup has not: run "
                "`irflow migrate` before starting it."
            )
