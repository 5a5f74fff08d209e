"""The page budget: every role's key pages and API lists against /health, in one run.

    .venv/bin/python bench/pages.py [--years 10] [--procedures-per-year 5000]
        [--bookings-today 100] [--requests 60] [--quick] [--only NAME …] [--data-dir D]

Starts the real `irflow up` (subprocess, own data dir, loopback port; SQLite, or a fresh
PostgreSQL database when DATABASE_URL is set), fills it with
`irflow demo --years N --procedures-per-year M --bookings-today K` — or, where that command
does not take those options yet, with `irflow demo --patients P` (said in the output) —
signs in over HTTP as each role's demo user and times each page, interleaved with
`GET /health` on the same keep-alive connection: p50 and p95 of each, and their ratios to
/health's p50 and p95 in the same run. The budget is p95 ≤ 5× /health for detail pages and
API reads, ≤ 10× for lists and the board; a row over its budget is marked and the script
exits 1.

Query counts are measured separately and honestly: after the timings, this process opens
the same database, signs the same demo user in through Django's test client and runs the
same URL once with `CaptureQueriesContext` (every query the request makes, access logging,
session and auth included). They are not taken from the timed server.

Absolute times depend on the machine and its load; the ratios are the figures to watch.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from irflow.testing.service import Service, running_service  # noqa: E402

DEMO_PASSWORD = "irflow-demo"  # irflow.demo.staff's, for the demo only
DETAIL, LIST = "detail", "list"
BUDGET = {DETAIL: 5.0, LIST: 10.0}


@dataclass
class Page:
    name: str
    role: str  # the demo user who opens it
    url: str
    kind: str  # DETAIL or LIST
    times: list[float]
    queries: int | None = None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill(service: Service, args: argparse.Namespace) -> str:
    """Make the history; returns a line saying how."""
    history = [
        "demo",
        "--years",
        str(args.years),
        "--procedures-per-year",
        str(args.procedures_per_year),
        "--bookings-today",
        str(args.bookings_today),
    ]
    started = time.perf_counter()
    run = service.irflow(*history, check=False, timeout=7200)
    if run.returncode == 0:
        return (
            f"history: irflow demo --years {args.years} --procedures-per-year "
            f"{args.procedures_per_year} --bookings-today {args.bookings_today} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    if "unrecognized arguments" not in run.stderr:
        raise SystemExit(f"irflow demo failed:\n{run.stdout}\n{run.stderr}")
    started = time.perf_counter()
    service.irflow("demo", "--patients", str(args.patients), timeout=7200)
    return (
        f"history: this irflow demo does not take --years/--procedures-per-year/"
        f"--bookings-today yet; fell back to irflow demo --patients {args.patients} "
        f"({time.perf_counter() - started:.0f} s)"
    )


def pick_ids(env: dict[str, str]) -> dict[str, object]:
    """Open the service's database in this process and choose the records the pages show:
    the busiest of each kind, so that the figures are the heavy end, not the light one."""
    for key in [k for k in os.environ if k.startswith("IRFLOW_") or k == "DATABASE_URL"]:
        del os.environ[key]
    for key in ("IRFLOW_DATA_DIR", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
        if key in env:
            os.environ[key] = env[key]
    import django

    django.setup()
    from django.db.models import Count, Q
    from django.utils import timezone

    from irflow.catalogue.models import Room
    from irflow.dose.models import RadiationDoseReport
    from irflow.patients.models import Patient, PatientIdentifier
    from irflow.procedures.models import ProcedureRecord
    from irflow.reports.models import Report
    from irflow.scheduling.models import Booking

    today = timezone.localdate()
    patient = (
        Patient.objects.annotate(n=Count("referrals")).order_by("-n", "pk").first()
        or Patient.objects.order_by("pk").first()
    )
    ident = PatientIdentifier.objects.filter(patient=patient).first()
    booking = (
        Booking.objects.filter(start__date=today).order_by("start").first()
        or Booking.objects.order_by("-start").first()
    )
    procedure = ProcedureRecord.objects.order_by("-pk").first()
    report = Report.objects.order_by("-pk").first()
    dose = RadiationDoseReport.objects.annotate(n=Count("events")).order_by("-n", "pk").first()
    room = (
        Room.objects.filter(active=True)
        .annotate(n=Count("bookings", filter=Q(bookings__start__date=today)))
        .order_by("-n", "code")
        .first()
    )
    assert patient and ident and booking and room, "the demo made no patients or bookings"
    return {
        "patient": patient.pk,
        "mrn": ident.value,
        "name": patient.family_name[:4],
        "booking": booking.pk,
        "procedure": procedure.pk if procedure else None,
        "report": report.pk if report else None,
        "dose": (
            (f"/dose/orders/{dose.order_id}/" if dose.order_id else f"/dose/reports/{dose.pk}/")
            if dose
            else None
        ),
        "room": room.code,
        "today": today.isoformat(),
    }


def pages(ids: dict[str, object]) -> list[Page]:
    p, b = ids["patient"], ids["booking"]
    rows = [
        # name, role, url, kind
        ("Today board", "nurse", "/scheduling/today/", LIST),
        ("room day", "scheduler", f"/scheduling/rooms/{ids['room']}/day/", LIST),
        ("room week", "scheduler", f"/scheduling/rooms/{ids['room']}/week/", LIST),
        ("triage queue", "physician", "/referrals/triage/", LIST),
        ("referral list", "referrer", "/referrals/", LIST),
        ("referral list (IR)", "physician", "/referrals/", LIST),
        ("patient search name", "physician", f"/patients/?q={ids['name']}", LIST),
        ("patient search MRN", "nurse", f"/patients/?q={ids['mrn']}", LIST),
        ("patient chart", "physician", f"/patients/{p}/", DETAIL),
        ("readiness", "nurse", f"/readiness/bookings/{b}/", DETAIL),
        ("procedure page", "physician", f"/procedures/bookings/{b}/", DETAIL),
        ("report worklists", "physician", "/reports/", LIST),
        ("dose list", "qi", "/dose/", LIST),
        ("dose dashboard", "qi", "/dose/dashboard/", LIST),
        ("audit view", "auditor", "/audit/", LIST),
        ("API patients name", "physician", f"/api/patients?q={ids['name']}", LIST),
        ("API patients MRN", "physician", f"/api/patients?q={ids['mrn']}", DETAIL),
        ("API referrals", "physician", "/api/referrals", LIST),
        ("API referral queue", "physician", "/api/referrals/queue", LIST),
        ("API orders", "physician", "/api/orders", LIST),
        ("API bookings", "scheduler", f"/api/scheduling/bookings?date={ids['today']}", LIST),
        ("API board", "nurse", "/api/scheduling/board", LIST),
        ("API dose reports", "qi", "/api/dose/reports", LIST),
        ("API follow-up due", "physician", "/api/followup/due", LIST),
        ("API audit access", "auditor", "/api/audit/access", LIST),
        ("API audit history", "auditor", "/api/audit/history", LIST),
    ]
    if ids["report"]:
        rows.append(("report", "physician", f"/reports/{ids['report']}/", DETAIL))
        rows.append(("API report", "physician", f"/api/reports/{ids['report']}", DETAIL))
    if ids["dose"]:
        rows.append(("dose review", "qi", str(ids["dose"]), DETAIL))
    return [Page(name, role, url, kind, []) for name, role, url, kind in rows]


def keep_alive_session():
    """A session that reconnects when the server has closed an idle keep-alive connection
    (gunicorn does after a few seconds; a slow page keeps the other session idle)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=2, connect=2, read=2, allowed_methods=["GET"]))
    session.mount("http://", adapter)
    return session


def sign_in(base: str, username: str):
    session = keep_alive_session()
    page = session.get(base + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"{username} could not sign in: {answer.status_code}"
    return session


def count_queries(todo: list[Page]) -> None:
    """Each page once more, in this process, with every query counted."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from irflow.accounts.models import User

    clients: dict[str, Client] = {}
    for page in todo:
        if page.role not in clients:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=page.role))
            client.get("/")  # the session's first use, not part of any page
            clients[page.role] = client
        with CaptureQueriesContext(connection) as ctx:
            answer = clients[page.role].get(page.url)
        assert answer.status_code == 200, f"{page.name}: {answer.status_code}"
        page.queries = len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--procedures-per-year", type=int, default=5000)
    parser.add_argument("--bookings-today", type=int, default=100)
    parser.add_argument(
        "--patients",
        type=int,
        default=20_000,
        help="demo size when the history options are not available",
    )
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run to check the script: 1 year × 200 procedures, 20 today, 10 requests",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="SQLite: a data dir a previous run filled (printed at its start) to run again on",
    )
    parser.add_argument("--only", nargs="*", default=[], help="pages whose name contains this")
    args = parser.parse_args()
    if args.quick:
        args.years, args.procedures_per_year, args.bookings_today = 1, 200, 20
        args.patients, args.requests = 200, 10

    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="irflow-bench-pages-"))
    reuse = backend == "SQLite" and (data_dir / "irflow.db").exists()
    with running_service(data_dir, "--no-demo", timeout=600) as service:
        how = f"history: the one already in {data_dir}" if reuse else fill(service, args)
        print(f"{how}; data dir {data_dir}")
        ids = pick_ids(service.env)
        todo = pages(ids)
        if args.only:
            todo = [p for p in todo if any(o.lower() in p.name.lower() for o in args.only)]
        base = service.url
        sessions = {role: sign_in(base, role) for role in {p.role for p in todo}}
        health = keep_alive_session()
        health_ms: list[float] = []
        for page in list(todo):  # warm-up: every page twice
            for _ in range(2):
                answer = sessions[page.role].get(
                    base + page.url, timeout=120, allow_redirects=False
                )
                health.get(base + "/health", timeout=30)
            if answer.status_code != 200:
                print(f"left out: {page.name} {page.url} answers {answer.status_code}")
                todo.remove(page)
        for _ in range(args.requests):
            for page in todo:
                t0 = time.perf_counter()
                answer = sessions[page.role].get(
                    base + page.url, timeout=120, allow_redirects=False
                )
                page.times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, f"{page.name}: {answer.status_code}"
                t0 = time.perf_counter()
                health.get(base + "/health", timeout=30)
                health_ms.append((time.perf_counter() - t0) * 1000)
        count_queries(todo)

    h50, h95 = percentile(health_ms, 50), percentile(health_ms, 95)
    print(
        f"{backend}, {args.requests} requests per page interleaved with /health, "
        f"one gunicorn worker ({time.strftime('%Y-%m-%d %H:%M')})"
    )
    print(f"/health  p50 {h50:.2f} ms  p95 {h95:.2f} ms  (mean {statistics.mean(health_ms):.2f})")
    print(
        f"{'page':<22}{'role':<11}{'p50 ms':>9}{'p95 ms':>9}{'×p50':>7}{'×p95':>7}"
        f"{'budget':>8}{'queries':>9}"
    )
    over = 0
    for page in todo:
        p50, p95 = percentile(page.times, 50), percentile(page.times, 95)
        r95 = p95 / h95
        budget = BUDGET[page.kind]
        mark = "" if r95 <= budget else "  OVER"
        over += bool(mark)
        print(
            f"{page.name:<22}{page.role:<11}{p50:9.1f}{p95:9.1f}{p50 / h50:7.1f}{r95:7.1f}"
            f"{'≤' + format(budget, '.0f') + '×':>8}{page.queries:>9}{mark}"
        )
    print(f"{over} of {len(todo)} over budget (p95 ratio to /health's p95)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
