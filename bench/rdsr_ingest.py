"""RDSR ingest (read + store in the database) against a plain pydicom read and content-tree
walk of the same file, in the same run.

    .venv/bin/python bench/rdsr_ingest.py [--events 316] [--repeats 5] [--file some.dcm]
    DATABASE_URL=postgres://… .venv/bin/python bench/rdsr_ingest.py   # on PostgreSQL

Builds a synthetic biplane X-Ray Radiation Dose SR the size of a long angiography case (316
events with Philips-style private rows: about 3 MB and 15,000 content items), or reads
``--file``. Ingest is what the worker does with a received object: read the stored file,
extract the report, store it with its planes and events, link it and check the dose rules —
all in the database (a throwaway SQLite database unless DATABASE_URL is set; each repeat is
rolled back so that every run stores the whole report again). The baseline is
``pydicom.dcmread`` followed by a walk visiting every content item and touching its concept
name and measured value with units. Prints the medians and their ratio: target ≤ 0.1, hard
limit 0.3 (exit status 1 above it).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HARD_LIMIT = 0.3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rdsr_extract import arguments, pydicom_walk, sample  # noqa: E402 - same baseline and sample


def setup_django(data_dir: str) -> None:
    os.environ["IRFLOW_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ingest_once(data: bytes) -> float:
    """Record the object, then time the worker's reading of it; roll everything back."""
    from django.db import transaction

    from irflow.dose import storage
    from irflow.dose.services import received_process, received_record

    stored = storage.store_durably(data)
    with transaction.atomic():
        received = received_record(stored=stored, channel="dicom", enqueue=False)
        start = time.perf_counter()
        outcome = received_process(received_id=received.pk)
        elapsed = time.perf_counter() - start
        assert outcome.status == "imported", outcome.reason
        transaction.set_rollback(True)
    return elapsed


def walk_once(data: bytes) -> float:
    start = time.perf_counter()
    pydicom_walk(data)
    return time.perf_counter() - start


def main() -> int:
    args = arguments(__doc__)

    with tempfile.TemporaryDirectory(prefix="irflow-bench-") as data_dir:
        started = time.perf_counter()
        setup_django(data_dir)
        from django.db import connection

        print(f"database: {connection.vendor} (migrated in {time.perf_counter() - started:.1f} s)")
        from irflow.dicom.rdsr import extract

        data, label = sample(args)
        report = extract(data)
        print(
            f"{label}: {len(data) / 1e6:.2f} MB, {report.content_item_count} content items, "
            f"{len(report.events)} events"
        )

        ingest: list[float] = []
        walk: list[float] = []
        for _ in range(args.repeats):
            ingest.append(ingest_once(data))
            walk.append(walk_once(data))
    ingest_median, walk_median = statistics.median(ingest), statistics.median(walk)
    ratio = ingest_median / walk_median
    print(f"ingest (read + store + link + rules)  median {ingest_median * 1000:8.1f} ms")
    print(f"dcmread + content walk                median {walk_median * 1000:8.1f} ms")
    print(f"({args.repeats} runs each, interleaved)")
    print(f"ratio {ratio:.3f} (target ≤ 0.1, hard limit {HARD_LIMIT})")
    return 0 if ratio <= HARD_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
