"""`irflow up`: see `irflow.runtime.up`. The `irflow` command runs it without loading Django;
this command gives `irflow help up` and runs the same when called through Django."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from irflow.runtime import up


class Command(BaseCommand):
    help = up.HELP

    def add_arguments(self, parser) -> None:
        up.add_arguments(parser)

    def handle(self, **options) -> None:
        argv = ["--host", options["host"], "--port", str(options["port"])]
        argv += ["--demo-patients", str(options["demo_patients"])]
        argv += ["--demo-seed", str(options["demo_seed"]), "-v", str(options["verbosity"])]
        for name in ("web_workers", "dicom_port"):
            if options[name]:
                argv += ["--" + name.replace("_", "-"), str(options[name])]
        for flag in ("no_demo", "no_dicom"):
            if options[flag]:
                argv.append("--" + flag.replace("_", "-"))
        if options["simulate_modality"]:
            argv += ["--simulate-modality", options["simulate_modality"]]
        if up.main(argv) != 0:
            raise CommandError("irflow up did not start.")
