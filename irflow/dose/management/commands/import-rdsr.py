"""`irflow import-rdsr`: import X-Ray Radiation Dose SR files, re-read quarantined objects."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from irflow.accounts.actors import SYSTEM
from irflow.lib.origin import origin

HELP = """\
Import X-Ray Radiation Dose SRs from files or folders (searched recursively; hidden files
are skipped). Each file is stored, read, linked to its procedure and checked against the
dose rules exactly as if a modality had sent it. The same file imported twice is not
recorded twice: the second time it is reported as a duplicate.

With --json, standard output is one JSON document: a list with, per file, "file",
"status" (imported / duplicate / rejected), "reason", "events", "dap_total_gy_cm2",
"ka_r_total_mgy", "fluoro_time_total_s", "planes" (per-plane totals with the same keys plus
"plane") and, for CT reports, "dlp_total_mgy_cm". The progress bar goes to standard error.

--reprocess reads quarantined objects again (all of them, or those given with --id).
--recover reads everything stored but not yet read (after running without a worker, or a
crash); the listener and the worker normally do this themselves.

Exit status: 0 when every file was imported or was a duplicate; 1 when at least one file
was rejected (its reason is in the output); 2 for a usage error.
"""


def _plane(plane) -> dict:
    return {
        "plane": plane.plane,
        "dap_total_gy_cm2": plane.dap_total_gy_cm2,
        "ka_r_total_mgy": plane.ka_r_total_mgy,
        "fluoro_time_total_s": plane.fluoro_time_total_s,
    }


def outcome_json(name: str, outcome) -> dict:
    """The documented per-file object of `--json`."""
    report = outcome.report if outcome.status in ("imported", "duplicate") else None
    item: dict = {
        "file": name,
        "status": outcome.status,
        "reason": outcome.reason,
        "events": report.event_count if report else None,
        "dap_total_gy_cm2": report.dap_total_gy_cm2 if report else None,
        "ka_r_total_mgy": report.ka_r_total_mgy if report else None,
        "fluoro_time_total_s": report.fluoro_time_total_s if report else None,
        "planes": [_plane(p) for p in report.planes.all()] if report else [],
    }
    if report is not None and report.template == "ct":
        item["dlp_total_mgy_cm"] = report.dlp_total_mgy_cm
    return item


def files_under(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{name}: no such file or folder.")
    return found


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs["formatter_class"] = RawDescriptionHelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="Files or folders.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON document."
        )
        parser.add_argument(
            "--reprocess", action="store_true", help="Read quarantined objects again."
        )
        parser.add_argument(
            "--id",
            type=int,
            action="append",
            dest="ids",
            default=[],
            help="With --reprocess: only this received object (repeatable).",
        )
        parser.add_argument(
            "--recover", action="store_true", help="Read everything stored but not yet read."
        )

    def handle(self, *, paths, as_json: bool, reprocess: bool, ids, recover: bool, **options):
        modes = sum([bool(paths), reprocess, recover])
        if modes != 1:
            raise CommandError("Give PATH… to import, or --reprocess, or --recover.")
        with origin("cli"):
            if paths:
                results = self._import(files_under(paths), quiet=as_json)
            elif reprocess:
                results = self._reprocess(ids, quiet=as_json)
            else:
                results = self._recover()
        self._report(results, as_json=as_json)
        rejected = sum(1 for item in results if item["status"] == "rejected")
        if rejected:
            raise CommandError(f"{rejected} file(s) rejected.", returncode=1)

    def _progress(self, quiet: bool):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}"),
            console=Console(stderr=True),
            disable=quiet and not sys.stderr.isatty(),
            transient=False,
        )

    def _import(self, files: list[Path], *, quiet: bool) -> list[dict]:
        from irflow.dose.services import rdsr_import_file

        results = []
        with self._progress(quiet) as progress:
            task = progress.add_task("Importing", total=len(files), current="")
            for path in files:
                progress.update(task, current=path.name)
                outcome = rdsr_import_file(actor=SYSTEM, path=path)
                results.append(outcome_json(str(path), outcome))
                progress.advance(task)
        return results

    def _reprocess(self, ids: list[int], *, quiet: bool) -> list[dict]:
        from irflow.dose.models import ReceivedObject, ReceivedStatus
        from irflow.dose.services import received_reprocess

        quarantined = ReceivedObject.objects.filter(status=ReceivedStatus.QUARANTINED)
        if ids:
            quarantined = quarantined.filter(pk__in=ids)
        pks = list(quarantined.order_by("pk").values_list("pk", flat=True))
        results = []
        with self._progress(quiet) as progress:
            task = progress.add_task("Re-reading", total=len(pks), current="")
            for pk in pks:
                outcome = received_reprocess(actor=SYSTEM, received_id=pk)
                name = outcome.received.source_name or outcome.received.file_path
                results.append(outcome_json(name, outcome))
                progress.advance(task)
        return results

    def _recover(self) -> list[dict]:
        from irflow.dose.services import received_recover

        return [
            outcome_json(o.received.source_name or o.received.file_path, o)
            for o in received_recover(actor=SYSTEM)
        ]

    def _report(self, results: list[dict], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(results, indent=2, ensure_ascii=False))
            return
        from rich.console import Console
        from rich.table import Table

        buffer = io.StringIO()
        console = Console(file=buffer, highlight=False, width=120)
        table = Table(title=None, show_lines=False)
        for column in ("file", "status", "events", "DAP Gy·cm²", "Ka,r mGy", "reason"):
            table.add_column(column)
        colours = {"imported": "green", "duplicate": "yellow", "rejected": "red"}
        for item in results:
            table.add_row(
                Path(item["file"]).name,
                f"[{colours.get(item['status'], 'white')}]{item['status']}[/]",
                "" if item["events"] is None else str(item["events"]),
                _num(item["dap_total_gy_cm2"]),
                _num(item["ka_r_total_mgy"]),
                item["reason"],
            )
        console.print(table)
        counts = {s: sum(1 for i in results if i["status"] == s) for s in colours}
        console.print(
            f"{len(results)} file(s): {counts['imported']} imported, "
            f"{counts['duplicate']} duplicate, {counts['rejected']} rejected."
        )
        self.stdout.write(buffer.getvalue(), ending="")


def _num(value) -> str:
    return "" if value is None else f"{value:,.2f}"
