"""The history generator (`irflow demo --years N --procedures-per-year M`) against the ORM's
`bulk_create` of plain rows, in the same run.

    .venv/bin/python bench/history.py [--years 10] [--procedures-per-year 5000]
    .venv/bin/python bench/history.py --quick          # 1 year x 300: checks that it runs
    DATABASE_URL=postgres://… .venv/bin/python bench/history.py   # on PostgreSQL

On a throwaway SQLite database (or DATABASE_URL's, which it fills), after the demo's staff
and rooms only (the service-made demo is timed by `irflow demo` itself). Prints the
history's wall-clock and CPU time (this process's: on SQLite that includes the database
engine, on PostgreSQL the server's work is not in it), the rows it wrote, its rows per
second, the same for `bulk_create` of access-log rows (the baseline: the cheapest the ORM
writes a row), their ratio, and the process's peak memory. The target (docs/testing.md):
10 years x 5,000 procedures within 5 minutes on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--procedures-per-year", type=int, default=5000)
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="1 year x 300 procedures")
    args = parser.parse_args()
    if args.quick:
        args.years, args.procedures_per_year, args.baseline_rows = 1, 300, 5000
    data_dir = tempfile.mkdtemp(prefix="irflow-bench-history-")
    os.environ.setdefault("IRFLOW_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from irflow.audit.models import AccessLog
    from irflow.catalogue.models import ProcedureType
    from irflow.demo.generator import DemoContext, _statistics_refresh
    from irflow.demo.history import History
    from irflow.demo.rooms import demo_rooms_create
    from irflow.demo.staff import demo_staff_create

    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate()
    with transaction.atomic():
        ctx = DemoContext(
            seed=1,
            today=today,
            users=demo_staff_create(today=today),
            rooms=demo_rooms_create(),
            patients=[],
            procedure_types=list(ProcedureType.objects.filter(active=True).order_by("code")),
        )
    print(f"database: {connection.vendor}; {args.years} years x {args.procedures_per_year}")

    # Baseline: the ORM's bulk_create of access-log rows (rolled back).
    user = ctx.users["nurse"]
    with transaction.atomic():
        started = time.perf_counter()
        for first in range(0, args.baseline_rows, 5000):
            AccessLog.objects.bulk_create(
                AccessLog(user=user, username="nurse", patient_id=i, what="chart", channel="web")
                for i in range(first, min(first + 5000, args.baseline_rows))
            )
        baseline = args.baseline_rows / (time.perf_counter() - started)
        transaction.set_rollback(True)

    wall, cpu = time.perf_counter(), time.process_time()
    history = History(ctx, years=args.years, per_year=args.procedures_per_year)
    begun = time.perf_counter()
    counts = history.run(  # a transaction a year, as `irflow demo --years` does
        lambda step: print(
            f"  {time.perf_counter() - begun:7.1f} s, {history.placed} procedures: {step}",
            flush=True,
        )
    )
    with transaction.atomic():
        _statistics_refresh()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = counts["history rows"]
    rate = rows / wall
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"history: {counts['history procedures']} procedures, {counts['history patients']} "
        f"patients, {rows} rows in {wall:.1f} s wall ({cpu:.1f} s CPU in this process)"
    )
    per_100k = wall / max(counts["history procedures"], 1) * 100_000
    print(f"  {rate:,.0f} rows/s; {per_100k / 60:.1f} min per 100,000 procedures at this rate")
    print(f"baseline bulk_create: {baseline:,.0f} rows/s; history/baseline = {rate / baseline:.2f}")
    print(f"peak memory: {peak_mb:.0f} MB")
    print("target: 10 years x 5,000 procedures within 300 s (docs/testing.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
