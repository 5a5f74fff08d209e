"""The `irflow` command: irflow's own commands plus every Django management command.

    irflow up [--host H] [--port P] [--data-dir D] [--no-demo]   the whole service
    irflow web | worker                                            one part of it
    irflow demo --patients N --seed S                              synthetic department
    irflow backup [--to DIR] | irflow restore BACKUP --data-dir D  backup and restore
    irflow migrate, irflow createsuperuser, irflow shell, …        Django's commands

`--data-dir` (anywhere on the line) sets IRFLOW_DATA_DIR before settings load.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

USAGE = """\
usage: irflow [--data-dir DIR] <command> [options]

Service
  up              run everything: web, task worker (and listeners), with demo data if empty
  web             the web application on a production server (gunicorn)
  worker          the background task worker
  dicom           the DICOM listener (worklist, MPPS, dose reports)
  hl7             the HL7 v2 listener (MLLP: patients and orders in)

Data
  demo            create a synthetic department (--patients N --seed S)
  user            create a user, give one a temporary password, unlock one
  api-token       create, list or revoke integration tokens
  import-rdsr     import radiation dose reports (RDSR files or folders; --json)
  registry-export validate and export a registry dataset (--family F --from D --to D --user U)
  backup          back up database, files and secret key with a manifest (--to DIR --keep N)
  restore         restore a backup into a fresh data dir and database (checks it first and after)

DICOM
  simulate-modality  act as a modality: worklist, MPPS, dose report (--station ANGIO1)

Every Django management command works too: irflow migrate, irflow createsuperuser, …
Run `irflow help <command>` for a command's options.
"""


def _pop_option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i : i + 2]
            return value
        if arg.startswith(name + "="):
            del argv[i]
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    data_dir = _pop_option(args, "--data-dir")
    if data_dir:
        os.environ["IRFLOW_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(USAGE)
        return
    if args[0] == "up":
        # The supervisor stays plain Python: Django loads in its short-lived children only.
        from irflow.runtime.up import main as up

        sys.exit(up(args[1:]))
    if args[0] == "web":
        # Only builds gunicorn's command line and replaces itself with it: no need to load
        # Django's apps (gunicorn's workers do) nor to run the system checks first.
        from irflow.runtime.management.commands.web import Command as Web

        Web().run_from_argv(["irflow", *args, "--skip-checks"])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["irflow", *args])


if __name__ == "__main__":
    main()
