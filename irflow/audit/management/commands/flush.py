"""`irflow flush`: Django's flush (empty every table), the one path the append-only triggers
let through (irflow/audit/appendonly.py). The test suite runs it between tests."""

from __future__ import annotations

from django.core.management.commands import flush

from irflow.audit.appendonly import purging


class Command(flush.Command):
    help = (
        "Remove ALL data from the database, audit tables and signed reports included "
        "(the append-only triggers let this one command through)."
    )

    def handle(self, **options):
        with purging(options["database"]):
            return super().handle(**options)
