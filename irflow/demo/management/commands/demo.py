"""`irflow demo --patients N --seed S`: fill the database with a synthetic department.

`--years N --procedures-per-year M` adds N years of finished work before today, written in
bulk (irflow.demo.history), for measuring at a department's scale; `--bookings-today K`
books today up to K bookings across the rooms. Run again on a database that has demo data,
it adds more.

Migrates first, so that it works on a fresh data directory as the first command a newcomer
runs (as `irflow up` does).
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from irflow.demo.generator import demo_create
from irflow.demo.staff import DEMO_PASSWORD, DEMO_USERS
from irflow.lib.errors import ServiceError


class Command(BaseCommand):
    help = "Create a synthetic IR department (staff in every role, patients, history)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--years", type=int, default=0, help="Years of history before today (bulk)."
        )
        parser.add_argument(
            "--procedures-per-year",
            type=int,
            default=5000,
            help="Procedures a year in the history (with --years).",
        )
        parser.add_argument(
            "--bookings-today",
            type=int,
            default=None,
            help="Book today up to this many bookings across the rooms.",
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Pretend today is this date (YYYY-MM-DD).",
        )

    def handle(
        self,
        *,
        patients: int,
        seed: int,
        today: date | None,
        years: int,
        procedures_per_year: int,
        bookings_today: int | None,
        **options,
    ) -> None:
        for name, value in (
            ("--patients", patients),
            ("--years", years),
            ("--procedures-per-year", procedures_per_year),
            ("--bookings-today", bookings_today or 0),
        ):
            if value < 0:
                raise CommandError(f"{name} must be 0 or more.")
        from rich.console import Console

        console = Console(highlight=False)
        with console.status("Preparing the database…"):
            call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        with console.status("Creating demo data…") as status:
            try:
                ctx = demo_create(
                    patients=patients,
                    seed=seed,
                    today=today or timezone.localdate(),
                    years=years,
                    procedures_per_year=procedures_per_year,
                    bookings_today=bookings_today,
                    progress=lambda step: status.update(f"Creating demo data: {step}…"),
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{v} {k}" for k, v in ctx.counts.items())
        console.print(f"Demo data created in {elapsed:.1f} s: {counts}.")
        console.print(
            f"Demo logins (password [bold]{DEMO_PASSWORD}[/]): "
            + ", ".join(u.username for u in DEMO_USERS)
        )
