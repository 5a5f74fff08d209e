"""`irflow backup [--to DIR] [--keep N]`: the database, the data directory's files and the
secret key, with a manifest of checksums (irflow/runtime/backup.py; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from irflow.runtime.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), every file under the data "
        "directory and the secret key into a new folder with a manifest of sha256 checksums."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            help="Folder for the backups (default: DATA_DIR/backups; better another disk).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="After a good backup, keep only the newest N backups in that folder.",
        )

    def handle(self, *, to: Path | None, keep: int | None, **options) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep: give 1 or more.")
        target = to if to is not None else Path(settings.DATA_DIR) / "backups"
        try:
            outcome = backup(target, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written to {outcome.path}: {outcome.tables} tables, {outcome.rows} rows, "
            f"{outcome.files} files, {outcome.bytes / 1e6:.1f} MB."
        )
        self.stdout.write(str(outcome.path))
