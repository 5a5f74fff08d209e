"""The Django side of `irflow up`, run in short-lived children so that the supervisor itself
stays a small plain-Python process (`irflow.runtime.up`).

    python -m irflow.runtime.startup prepare RESULT.json [irflow up's options]
    python -m irflow.runtime.startup simulate STATION PORT

`prepare` checks the ports, brings the database up to date, collects the static files,
creates the demo data if the database is empty, and writes what the supervisor needs (the
parts' settings, the lines to print once irflow answers) to RESULT.json. Migrations are
checked in one query: `migrate` runs only when a migration on disk is not recorded as applied.
None of it grows with the data. `simulate` is `irflow up --simulate-modality`.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path


def migrations_pending(using: str = "default") -> bool:
    """Whether a migration on disk is not recorded as applied: one query, and no migration
    module imported (Django's loader imports them all, and `migrate` builds their states).

    Lists the migration modules the way Django's loader does and compares their names with
    django_migrations. A squashed migration not recorded yet counts as pending: `migrate`
    then records it, once."""
    from django.apps import apps
    from django.db import DatabaseError, connections
    from django.db.migrations.loader import MigrationLoader

    on_disk: set[tuple[str, str]] = set()
    for config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(config.label)
        if module_name is None:
            continue
        try:
            module = importlib.import_module(module_name)  # the package's __init__ only
        except ModuleNotFoundError:
            continue
        if not hasattr(module, "__path__"):
            continue
        on_disk.update(
            (config.label, name)
            for _finder, name, is_pkg in pkgutil.iter_modules(module.__path__)
            if not is_pkg and name[0] not in "_~"
        )
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:  # no table yet: a new database
        return True
    return not on_disk <= applied


def database_prepare(using: str = "default") -> bool:
    """Migrate when needed; True when it did. Otherwise send what `migrate` sends when there
    is nothing to do (post_migrate: content types, permissions, the apps' own start-up
    checks such as the dose reports received and never read), which costs a few queries
    per app, whatever the data."""
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal

    if migrations_pending(using):
        call_command("migrate", interactive=False, verbosity=0, database=using)
        return True
    emit_post_migrate_signal(verbosity=0, interactive=False, db=using, apps=apps, plan=[])
    return False


def _announcement(*, created_demo: bool, url: str) -> list[str]:
    """The lines printed once irflow answers (rich markup), before the URL."""
    from irflow.accounts.models import User
    from irflow.administration.services import administrator_exists

    if created_demo or User.objects.filter(username="physician").exists():
        from irflow.demo.staff import DEMO_PASSWORD, DEMO_USERS

        return [f"Demo logins — password [bold]{DEMO_PASSWORD}[/]:"] + [
            f"  {u.username:<13} {u.role}" for u in DEMO_USERS
        ]
    if not administrator_exists():
        return [
            f"No administrator yet: open {url} to create the first one, then set up "
            "the department, its rooms and the team's accounts."
        ]
    return []


def prepare(result_path: Path, argv: list[str]) -> int:
    from django.conf import settings
    from django.core.management.base import CommandError
    from django.utils import timezone
    from rich.console import Console

    from irflow.runtime.up import is_loopback, parser, port_free, service_url
    from irflow.web.staticfiles import static_files_collect

    options = parser().parse_args(argv)
    console = Console(highlight=False)
    try:
        if not port_free(options.host, options.port):
            raise CommandError(
                f"Port {options.port} on {options.host} is in use. Choose another with --port."
            )
        console.print(
            f"[bold]irflow[/] — data in {settings.DATA_DIR}, database "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        database_prepare()
        with console.status("Preparing static files…"):
            static_files_collect()
        from irflow.accounts.models import User

        created_demo = False
        if not options.no_demo and not User.objects.exists():
            from irflow.demo.generator import demo_create

            with console.status("Creating demo data…"):
                demo_create(
                    patients=options.demo_patients,
                    seed=options.demo_seed,
                    today=timezone.localdate(),
                )
            created_demo = True

        extra_env: dict[str, str] = {}
        if options.verbosity >= 2:
            extra_env["IRFLOW_TASK_LOG_LEVEL"] = os.environ.get("IRFLOW_TASK_LOG_LEVEL") or "INFO"
        if is_loopback(options.host) and not os.environ.get("IRFLOW_SECURE_COOKIES"):
            # Traffic never leaves this machine, and browsers would drop Secure cookies on
            # plain http elsewhere than localhost. Any other address keeps secure cookies.
            extra_env["IRFLOW_SECURE_COOKIES"] = "false"
        dicom: dict[str, object] | None = None
        if options.no_dicom:
            extra_env["IRFLOW_DICOM_ENABLED"] = "false"  # /health: no listener to expect
        else:
            from irflow.dicomserver.server import ListenerConfig, describe, refusal

            dicom_port = options.dicom_port or settings.IRFLOW_DICOM_PORT
            extra_env["IRFLOW_DICOM_PORT"] = str(dicom_port)  # for /health
            if not port_free(settings.IRFLOW_DICOM_HOST, dicom_port):
                raise CommandError(
                    f"DICOM port {dicom_port} is in use (choose one with --dicom-port)."
                )
            listener = ListenerConfig.from_settings(port=dicom_port)
            if problem := refusal(listener):
                raise CommandError(problem)
            dicom = {"port": dicom_port, "about": describe(listener)}
        hl7: dict[str, object] | None = None
        if options.no_hl7:
            extra_env["IRFLOW_HL7_ENABLED"] = "false"  # /health: no listener to expect
        else:
            from irflow.hl7server.listener import ListenerConfig as HL7Config
            from irflow.hl7server.listener import describe as hl7_describe
            from irflow.hl7server.listener import refusal as hl7_refusal

            hl7_port = options.hl7_port or settings.IRFLOW_HL7_PORT
            extra_env["IRFLOW_HL7_PORT"] = str(hl7_port)  # for /health
            if not port_free(settings.IRFLOW_HL7_HOST, hl7_port):
                raise CommandError(f"HL7 port {hl7_port} is in use (choose one with --hl7-port).")
            hl7_config = HL7Config.from_settings(port=hl7_port)
            if problem := hl7_refusal(hl7_config):
                raise CommandError(problem)
            hl7 = {"port": hl7_port, "about": hl7_describe(hl7_config)}
        url = service_url(options.host, options.port)
        result = {
            "extra_env": extra_env,
            "dicom": dicom,
            "hl7": hl7,
            "announcement": _announcement(created_demo=created_demo, url=url),
        }
    except CommandError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        return 1
    result_path.write_text(json.dumps(result))
    return 0


def simulate(station: str, port: int) -> int:
    from rich.console import Console

    from irflow.dicomserver.simulator import simulate_when_ready

    console = Console(highlight=False)
    simulate_when_ready(
        station=station, port=port, log=lambda m: console.print(f"[dim]simulate-modality:[/] {m}")
    )
    return 0


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    import django

    django.setup()
    what, *rest = argv
    if what == "prepare":
        return prepare(Path(rest[0]), rest[1:])
    if what == "simulate":
        return simulate(rest[0], int(rest[1]))
    raise SystemExit(f"unknown step {what!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
