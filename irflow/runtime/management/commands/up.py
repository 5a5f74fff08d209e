"""`irflow up`: migrate, create demo data if the database is empty, run every part of irflow.

The console gets a line per part started, then the demo logins and the URL, last. Requests
and background tasks are not logged there unless asked (`irflow up -v 2`); warnings and
errors always are.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from irflow.administration.services import administrator_exists
from irflow.runtime.supervisor import Child, Supervisor, child_env, python_m
from irflow.web.staticfiles import static_files_collect


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = "Run the whole irflow service (web, worker, listeners) with demo data if empty."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("IRFLOW_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("IRFLOW_PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not create demo data.")
        parser.add_argument("--demo-patients", type=int, default=200)
        parser.add_argument("--demo-seed", type=int, default=1)
        parser.add_argument("--web-workers", type=int, default=None)
        parser.add_argument(
            "--dicom-port", type=int, default=None, help="DICOM port (default 11112)."
        )
        parser.add_argument(
            "--no-dicom", action="store_true", help="Do not run the DICOM listener."
        )
        parser.add_argument(
            "--simulate-modality",
            nargs="?",
            const="ANGIO1",
            default=None,
            metavar="STATION",
            help="Once started, run one scripted modality at STATION (default ANGIO1): "
            "worklist, MPPS in progress, dose report, MPPS completed.",
        )
        # --data-dir is handled by the `irflow` entry point before settings load.

    def handle(
        self,
        *,
        host: str,
        port: int,
        no_demo: bool,
        demo_patients: int,
        demo_seed: int,
        web_workers: int | None,
        **options,
    ) -> None:
        from rich.console import Console

        console = Console(highlight=False)
        if not port_free(host, port):
            raise CommandError(f"Port {port} on {host} is in use. Choose another with --port.")
        console.print(
            f"[bold]irflow[/] — data in {settings.DATA_DIR}, database "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        call_command("migrate", interactive=False, verbosity=0)
        with console.status("Preparing static files…"):
            static_files_collect()
        from irflow.accounts.models import User

        created_demo = False
        if not no_demo and not User.objects.exists():
            from irflow.demo.generator import demo_create

            with console.status("Creating demo data…"):
                demo_create(patients=demo_patients, seed=demo_seed, today=timezone.localdate())
            created_demo = True

        # -v 2: a line per request, per background task, and the parts' own start-up lines.
        chatty = options["verbosity"] >= 2
        extra_env: dict[str, str] = {}
        if chatty:
            extra_env["IRFLOW_TASK_LOG_LEVEL"] = os.environ.get("IRFLOW_TASK_LOG_LEVEL") or "INFO"
        if is_loopback(host) and not os.environ.get("IRFLOW_SECURE_COOKIES"):
            # Traffic never leaves this machine, and browsers would drop Secure cookies on
            # plain http elsewhere than localhost. Any other address keeps secure cookies.
            extra_env["IRFLOW_SECURE_COOKIES"] = "false"
        if options["no_dicom"]:
            extra_env["IRFLOW_DICOM_ENABLED"] = "false"  # /health: no listener to expect
        else:
            dicom_port = options["dicom_port"] or settings.IRFLOW_DICOM_PORT
            extra_env["IRFLOW_DICOM_PORT"] = str(dicom_port)  # for /health
        env = child_env(**extra_env)
        quiet = [] if chatty else ["--quiet"]
        url_host = f"[{host}]" if ":" in host else host
        url = f"http://{url_host}:{port}/"
        web_argv = python_m("web", "--host", host, "--port", str(port), *quiet)
        if web_workers:
            web_argv += ["--workers", str(web_workers)]
        children = [
            Child("web", web_argv, about=f"pages and API on {url}"),
            Child("worker", python_m("worker"), about="background tasks"),
        ]
        if not options["no_dicom"]:
            from irflow.dicomserver.server import ListenerConfig, describe, refusal

            dicom_port = options["dicom_port"] or settings.IRFLOW_DICOM_PORT
            if not port_free(settings.IRFLOW_DICOM_HOST, dicom_port):
                raise CommandError(
                    f"DICOM port {dicom_port} is in use (choose one with --dicom-port)."
                )
            listener = ListenerConfig.from_settings(port=dicom_port)
            if problem := refusal(listener):
                raise CommandError(problem)
            children.append(
                Child(
                    "dicom",
                    python_m("dicom", "--port", str(dicom_port), *quiet),
                    about=describe(listener),
                )
            )
        supervisor = Supervisor(
            children, env=env, log=lambda m: console.print(f"[dim]irflow:[/] {m}", soft_wrap=True)
        )

        def announce() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not supervisor.stopping:
                try:
                    with urllib.request.urlopen(url + "health", timeout=2):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.3)
            from irflow.demo.staff import DEMO_PASSWORD, DEMO_USERS

            console.print()
            if created_demo or User.objects.filter(username="physician").exists():
                console.print(f"Demo logins — password [bold]{DEMO_PASSWORD}[/]:")
                for u in DEMO_USERS:
                    console.print(f"  {u.username:<13} {u.role}")
            elif not administrator_exists():
                console.print(
                    f"No administrator yet: open {url} to create the first one, then set up "
                    "the department, its rooms and the team's accounts."
                )
            # Last, where the eye lands: everything before it is start-up.
            console.print(f"[bold green]irflow is running at {url}[/]  (Ctrl-C to stop)")
            if options["simulate_modality"] and not options["no_dicom"]:
                from irflow.dicomserver.simulator import simulate_when_ready

                simulate_when_ready(
                    station=options["simulate_modality"],
                    port=options["dicom_port"] or settings.IRFLOW_DICOM_PORT,
                    log=lambda m: console.print(f"[dim]simulate-modality:[/] {m}"),
                )

        import threading

        threading.Thread(target=announce, daemon=True).start()
        supervisor.run()
