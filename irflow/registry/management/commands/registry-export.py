"""`irflow registry-export`: validate and export one procedure family's registry dataset."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from irflow.lib.errors import ServiceError
from irflow.registry.datasets import FAMILIES_BY_CODE
from irflow.registry.export import registry_export
from irflow.registry.selectors import registry_validation

HELP = """\
Validate one procedure family's registry dataset for a period and write the de-identified
export archive (the family's CSV, FHIR ndjson, excluded.csv and manifest.json; docs/registry.md).
The validation report goes to standard output: how many cases are exported, how many are
excluded and why, and each case missing a required element. --user names the person the
export is made as (a QI lead or an administrator: the access log records them).
--check only validates and writes nothing. Exit status 0, or 2 for a usage error."""


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{name}: “{text}” is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser) -> None:
        parser.add_argument("--family", required=True, choices=sorted(FAMILIES_BY_CODE))
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--user", required=True, help="the username the export is made as")
        parser.add_argument("--out", default=".", help="folder for the archive (default: here)")
        parser.add_argument("--check", action="store_true", help="validate only")

    def handle(self, *args, **options) -> None:
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"--user: no active user “{options['user']}”.")
        try:
            result = registry_validation(actor=user, family=options["family"], start=start, end=end)
            self.stdout.write(
                f"{result.family.label}, {start} to {end}: {len(result.included)} case(s) to export"
            )
            for reason, count in result.exclusions():
                self.stdout.write(f"excluded: {count} — {reason}")
            for case, missing in result.incomplete_lines():
                self.stdout.write(
                    f"  procedure record {case.record_id} ({case.procedure_day}, "
                    f"{case.procedure_code}): missing {', '.join(missing)}"
                )
            if options["check"]:
                return
            name, data = registry_export(actor=user, family=options["family"], start=start, end=end)
        except (ServiceError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        path = Path(options["out"]) / name
        path.write_bytes(data)
        self.stdout.write(f"wrote {path}")
