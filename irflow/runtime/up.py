"""`irflow up`: migrate, create demo data if the database is empty, run every part of irflow.

The process that stays (the supervisor) is plain Python: it never imports Django. The Django
work of starting — ports, migrations, static files, demo data — runs in a short-lived child
(`python -m irflow.runtime.startup prepare`), then the supervisor starts web, worker and the
DICOM and HL7 listeners, restarts a part that exits, and stops them all on Ctrl-C.

The console gets a line per part started, then the demo logins and the URL, last. Requests
and background tasks are not logged there unless asked (`irflow up -v 2`); warnings and
errors always are.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from irflow.runtime.supervisor import Child, Supervisor, child_env, python_m

HELP = "Run the whole irflow service (web, worker, listeners) with demo data if empty."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`irflow up`'s options (also shown by `irflow help up`)."""
    parser.add_argument("--host", default=os.environ.get("IRFLOW_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("IRFLOW_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="Do not create demo data.")
    parser.add_argument("--demo-patients", type=int, default=200)
    parser.add_argument("--demo-seed", type=int, default=1)
    parser.add_argument("--web-workers", type=int, default=None)
    parser.add_argument("--dicom-port", type=int, default=None, help="DICOM port (default 11112).")
    parser.add_argument("--no-dicom", action="store_true", help="Do not run the DICOM listener.")
    parser.add_argument("--hl7-port", type=int, default=None, help="HL7 MLLP port (default 2575).")
    parser.add_argument("--no-hl7", action="store_true", help="Do not run the HL7 listener.")
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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="irflow up", description=HELP)
    add_arguments(p)
    p.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])
    return p


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


def service_url(host: str, port: int) -> str:
    url_host = f"[{host}]" if ":" in host else host
    return f"http://{url_host}:{port}/"


def _run_to_end(argv: list[str]) -> int:
    """Run a start-up step; Ctrl-C or SIGTERM to this process reaches it too."""
    process = subprocess.Popen(argv, env=child_env())

    def forward(signum, frame) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return process.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def prepare(argv: list[str]) -> dict | None:
    """The Django part of starting, in a child; what it found, or None when it failed."""
    fd, name = tempfile.mkstemp(prefix="irflow-up-", suffix=".json")
    os.close(fd)
    path = Path(name)
    try:
        code = _run_to_end([sys.executable, "-m", "irflow.runtime.startup", "prepare", name, *argv])
        if code != 0:
            return None
        return json.loads(path.read_text())
    finally:
        path.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    options = parser().parse_args(argv)
    from rich.console import Console

    console = Console(highlight=False)
    found = prepare(argv)
    if found is None:
        return 1

    chatty = options.verbosity >= 2
    env = child_env(**found["extra_env"])
    # gunicorn loads Django and the URLs once, in its master, and forks its workers from it:
    # one load instead of one per worker at start (and after a worker restarts), the
    # loaded code shared between them.
    env["GUNICORN_CMD_ARGS"] = f"{env.get('GUNICORN_CMD_ARGS', '')} --preload".strip()
    quiet = [] if chatty else ["--quiet"]
    url = service_url(options.host, options.port)
    web_argv = python_m("web", "--host", options.host, "--port", str(options.port), *quiet)
    if options.web_workers:
        web_argv += ["--workers", str(options.web_workers)]
    children = [
        Child("web", web_argv, about=f"pages and API on {url}"),
        Child("worker", python_m("worker"), about="background tasks"),
    ]
    dicom = found["dicom"]
    if dicom:
        children.append(
            Child(
                "dicom",
                python_m("dicom", "--port", str(dicom["port"]), *quiet),
                about=dicom["about"],
            )
        )
    hl7 = found.get("hl7")
    if hl7:
        children.append(
            Child("hl7", python_m("hl7", "--port", str(hl7["port"]), *quiet), about=hl7["about"])
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
                time.sleep(0.1)
        console.print()
        for line in found["announcement"]:
            console.print(line)
        # Last, where the eye lands: everything before it is start-up.
        console.print(f"[bold green]irflow is running at {url}[/]  (Ctrl-C to stop)")
        if options.simulate_modality and dicom:
            step = [sys.executable, "-m", "irflow.runtime.startup", "simulate"]
            subprocess.run([*step, options.simulate_modality, str(dicom["port"])], env=env)

    threading.Thread(target=announce, daemon=True).start()
    return supervisor.run()
