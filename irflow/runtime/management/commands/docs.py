"""`irflow docs`: write the parts of docs/ generated from the code (the permission matrix, the
clinical rules, the DICOM conformance tables, the rules of the day of the case, the apps)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from irflow.runtime.docs import stale, write_all


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="say what is out of date")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            out_of_date = stale()
            if out_of_date:
                raise CommandError("Out of date: " + "; ".join(out_of_date) + " (irflow docs)")
            self.stdout.write("docs/ is up to date.")
            return
        changed = write_all()
        self.stdout.write("Rewrote: " + ", ".join(changed) if changed else "Nothing to change.")
