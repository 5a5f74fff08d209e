"""A department's traffic against `irflow up`: 10, 25 and 50 clients, the mix vs `/health`.

    .venv/bin/python bench/load.py [--quick] [--clients 10,25,50] [--seconds 20]
                                   [--patients 2000] [--sqlite-only]

For each database — SQLite (a fresh data directory) and, when DATABASE_URL names a
PostgreSQL server, a fresh database on it — starts `irflow up` as it ships (default settings:
its own web workers and threads, worker and DICOM listener; demo data of `--patients`), then,
for each number of clients, two phases of `--seconds` each, on keep-alive connections:

- `/health` alone: the framework's floor on this machine at this moment (a view that runs a
  handful of tiny queries);
- the realistic mix: 70 % page reads by signed-in staff (the Today board 25 %, patient
  search 15 %, a patient's chart 15 %, a room's day or week 15 %) and 30 % writes through the
  REST API with the staff's tokens (a set of vital signs 12 %, a pain score 6 %, a lab result
  6 %, the recovery note 6 %).

Prints, per phase: requests/s, p50/p95/p99 in ms and errors (any answer other than the one
expected, or no answer), then the mix's throughput as a share of `/health`'s. Targets
(docs/operations.md): at 25 clients the mix ≥ 30 % of `/health`, 0 errors, p95 ≤ 1 s.
Exits 1 when any request of the mix failed.

The clients are threads of this process on the same machine (requests, one session each):
they take CPU from the server, as a browser on the server would; the ratio is the figure to
watch, absolute numbers depend on the machine and what else runs on it.
`--quick`: 10 clients, 4 s per phase, 300 patients, SQLite and PostgreSQL — a check that it
runs, not a measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from irflow.testing.service import free_port, postgres_database

PASSWORD = "irflow-demo"
READERS = ("physician", "physician2", "physician3", "trainee", "nurse", "scheduler")

# What the bench needs from the demo: API tokens, and ids to read and write.
SETUP = """
import json
from django.utils import timezone
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.services import api_token_create
from irflow.catalogue.models import Room
from irflow.patients.models import Patient
from irflow.recovery.models import RecoveryEpisode

def token(username):
    user = User.objects.get(username=username)
    return api_token_create(actor=SYSTEM, user_id=user.pk, name="load bench")[1]

recovering = list(
    # In recovery now (the demo plans today's times, some of them later than now).
    RecoveryEpisode.objects.filter(discharged_at__isnull=True, record__out_at__lte=timezone.now())
    .order_by("pk").values_list("record_id", flat=True)
)
patients = list(
    Patient.objects.filter(is_active=True).order_by("pk").values_list("pk", "family_name")[:500]
)
print(json.dumps({
    "tokens": {"nurse": token("nurse"), "physician": token("physician")},
    "recovering": recovering,
    "patients": [pk for pk, _ in patients],
    "surnames": sorted({name for _, name in patients}),
    "rooms": list(Room.objects.filter(active=True).order_by("code").values_list("code", flat=True)),
}))
"""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        p = [percentile(self.latencies_ms, q) for q in (50, 95, 99)]
        return (
            f"  {self.name:<8} {self.clients:>3} clients  {self.throughput:7.1f} req/s  "
            f"p50 {p[0]:6.0f}  p95 {p[1]:6.0f}  p99 {p[2]:6.0f} ms  "
            f"{len(self.latencies_ms):6d} requests  {len(self.errors)} errors"
        )


@dataclass
class Service:
    url: str
    process: subprocess.Popen
    env: dict[str, str]
    log_path: Path


@contextlib.contextmanager
def irflow_up(data_dir: Path, *, patients: int, postgres: bool) -> Iterator[Service]:
    """`irflow up` with default settings on free ports, its own data dir (and database)."""
    port, dicom_port = free_port(), free_port()
    database = postgres_database() if postgres else contextlib.nullcontext(None)
    with database as db_url:
        # Default settings; IRFLOW_WEB_WORKERS/THREADS pass through, to compare shapes.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("IRFLOW_") or k in ("IRFLOW_WEB_WORKERS", "IRFLOW_WEB_THREADS")
        }
        env.pop("DATABASE_URL", None)
        env.update(
            IRFLOW_DATA_DIR=str(data_dir),
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE="irflow.settings",
        )
        if db_url:
            env["DATABASE_URL"] = db_url
        log_path = data_dir / "irflow-up.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "irflow",
                    "up",
                    "--port",
                    str(port),
                    "--dicom-port",
                    str(dicom_port),
                    "--demo-patients",
                    str(patients),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(f"http://127.0.0.1:{port}", process, env, log_path)
        try:
            deadline = time.monotonic() + 900
            while "irflow is running" not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("irflow up did not start:\n" + log_path.read_text())
                time.sleep(0.5)
            yield service
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def shell_json(service: Service, code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "irflow", "shell", "-c", code],
        env=service.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"irflow shell failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def signed_in(url: str, username: str) -> requests.Session:
    session = requests.Session()
    form = session.get(url + "/accounts/login/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert match, "no CSRF token on the sign-in page"
    answer = session.post(
        url + "/accounts/login/",
        data={"csrfmiddlewaretoken": match[1], "username": username, "password": PASSWORD},
        headers={"Referer": url + "/accounts/login/"},
        timeout=30,
    )
    if answer.status_code != 200 or "sessionid" not in session.cookies:
        raise RuntimeError(f"{username} could not sign in: {answer.status_code}")
    return session


Request = Callable[[requests.Session, random.Random], requests.Response]


def mix(url: str, world: dict) -> tuple[list[tuple[str, float, str, Request]], dict]:
    """(kind, weight, who, request) for the realistic mix: who is 'page' (a signed-in
    session) or the token's user."""
    collected = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    recovering, patients = world["recovering"], world["patients"]
    surnames, rooms = world["surnames"], world["rooms"]

    def board(s, r):
        return s.get(url + "/scheduling/today/", timeout=60)

    def search(s, r):
        name = r.choice(surnames)
        return s.get(url + "/patients/", params={"q": name[: r.randint(3, len(name))]}, timeout=60)

    def chart(s, r):
        return s.get(f"{url}/patients/{r.choice(patients)}/", timeout=60)

    def schedule(s, r):
        view = r.choice(("day", "day", "week"))
        return s.get(f"{url}/scheduling/rooms/{r.choice(rooms)}/{view}/", timeout=60)

    def vitals(s, r):
        return s.post(
            f"{url}/api/recovery/{r.choice(recovering)}/vital-signs",
            json={
                "heart_rate_bpm": r.randint(58, 96),
                "systolic_mmhg": r.randint(105, 150),
                "diastolic_mmhg": r.randint(60, 90),
                "spo2_pct": r.randint(94, 100),
                "resp_rate_per_min": r.randint(12, 20),
                "consciousness": "A",
            },
            timeout=60,
        )

    def pain(s, r):
        return s.post(
            f"{url}/api/recovery/{r.choice(recovering)}/pain-scores",
            json={"score": r.randint(0, 6), "note": "load bench"},
            timeout=60,
        )

    def lab(s, r):
        return s.post(
            f"{url}/api/patients/{r.choice(patients)}/labs",
            json={
                "analyte": "creatinine",
                "value": str(r.randint(60, 110)),
                "collected_at": collected,
            },
            timeout=60,
        )

    def note(s, r):
        return s.patch(
            f"{url}/api/recovery/{r.choice(recovering)}",
            json={"observations": f"Comfortable, site dry ({r.randint(1, 10**6)})."},
            timeout=60,
        )

    kinds: list[tuple[str, float, str, Request]] = [
        ("board", 25, "page", board),
        ("search", 15, "page", search),
        ("chart", 15, "page", chart),
        ("schedule", 15, "page", schedule),
    ]
    if recovering:
        kinds += [
            ("vitals", 12, "nurse", vitals),
            ("pain", 6, "nurse", pain),
            ("note", 6, "nurse", note),
        ]
    else:  # nobody in recovery: the same share of writes on charts
        kinds += [("lab-extra", 24, "physician", lab)]
    kinds.append(("lab", 6, "physician", lab))
    expected = {"board": 200, "search": 200, "chart": 200, "schedule": 200, "note": 200}
    return kinds, expected


def run_phase(
    phase: Phase,
    seconds: float,
    client_session: Callable[[int], dict[str, requests.Session]],
    pick: Callable[[random.Random], tuple[str, str, Request]],
    expected: dict[str, int],
) -> Phase:
    sessions = [client_session(i) for i in range(phase.clients)]
    lock = threading.Lock()
    start = threading.Barrier(phase.clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        rng = random.Random(i)
        own = sessions[i]
        mine: list[tuple[str, float]] = []
        errors: list[str] = []
        start.wait()
        while time.perf_counter() < stop_at[0]:
            kind, who, request = pick(rng)
            t0 = time.perf_counter()
            try:
                answer = request(own[who], rng)
                status = answer.status_code
                answer.content  # noqa: B018 - read the whole body
            except requests.RequestException as exc:
                errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            if status != expected.get(kind, 201):
                errors.append(f"{kind}: HTTP {status} {answer.text[:200]}")
            else:
                mine.append((kind, elapsed))
        with lock:
            for kind, ms in mine:
                phase.latencies_ms.append(ms)
                phase.by_kind.setdefault(kind, []).append(ms)
            phase.errors.extend(errors)

    threads = [
        threading.Thread(target=client, args=(i,), daemon=True) for i in range(phase.clients)
    ]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    phase.seconds = time.perf_counter() - began
    for s in sessions:
        for session in set(s.values()):
            session.close()
    return phase


def bench_database(args, label: str, postgres: bool) -> list[tuple[Phase, Phase]]:
    reuse = None if postgres else args.data_dir
    data_dir = Path(reuse or tempfile.mkdtemp(prefix="irflow-load-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    results: list[tuple[Phase, Phase]] = []
    try:
        started = time.monotonic()
        with irflow_up(data_dir, patients=args.patients, postgres=postgres) as service:
            print(
                f"{label}: irflow up with {args.patients} demo patients, serving after "
                f"{time.monotonic() - started:.0f} s (web workers/threads: {web_shape(service)})",
                flush=True,
            )
            world = shell_json(service, SETUP)
            kinds, expected = mix(service.url, world)
            weights = [w for _, w, _, _ in kinds]
            page_pool = [signed_in(service.url, u) for u in READERS]

            def pick(rng: random.Random) -> tuple[str, str, Request]:
                kind, _, who, request = rng.choices(kinds, weights)[0]
                return kind, who, request

            def mixed_sessions(i: int) -> dict[str, requests.Session]:
                # Each client is one member of staff at a workstation: a page session of its
                # own (signing in as one of the demo's readers) and API sessions with tokens.
                page = (
                    signed_in(service.url, READERS[i % len(READERS)])
                    if i >= len(page_pool)
                    else page_pool[i]
                )
                api = {}
                for who, token in world["tokens"].items():
                    s = requests.Session()
                    s.headers["Authorization"] = f"Bearer {token}"
                    api[who] = s
                return {"page": page, **api}

            def health_sessions(i: int) -> dict[str, requests.Session]:
                return {"page": requests.Session()}

            def health(s, r):
                return s.get(service.url + "/health", timeout=60)

            for clients in args.clients:
                floor = run_phase(
                    Phase("/health", clients),
                    args.seconds,
                    health_sessions,
                    lambda rng: ("health", "page", health),
                    {"health": 200},
                )
                print(floor.line(), flush=True)
                load = run_phase(
                    Phase("mix", clients), args.seconds, mixed_sessions, pick, expected
                )
                print(load.line(), flush=True)
                kinds_line = "  ".join(
                    f"{kind} {percentile(ms, 50):.0f}/{percentile(ms, 95):.0f}"
                    for kind, ms in sorted(load.by_kind.items())
                )
                print(f"           p50/p95 ms by kind: {kinds_line}")
                share = load.throughput / floor.throughput if floor.throughput else 0.0
                slower = percentile(load.latencies_ms, 95) / percentile(floor.latencies_ms, 95)
                print(
                    f"           mix/health throughput {share:.2f}  p95 mix/health {slower:.1f}×",
                    flush=True,
                )
                for error in sorted(set(load.errors + floor.errors))[:5]:
                    print(f"           error: {error}")
                results.append((floor, load))
            if "Traceback" in service.log_path.read_text(errors="replace"):
                print(f"  {label}: the service log has a traceback: {service.log_path}")
    finally:
        if not (args.keep or reuse):
            shutil.rmtree(data_dir, ignore_errors=True)
    return results


def web_shape(service: Service) -> str:
    from irflow.runtime.management.commands.web import web_defaults

    workers, threads = web_defaults(service.env)
    return f"{workers}/{threads} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 clients, 4 s, 300 patients")
    parser.add_argument("--clients", default="10,25,50", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--data-dir", help="SQLite: use (and keep) this data directory; its demo data is reused"
    )
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if args.quick:
        args.clients, args.seconds, args.patients = [10], 4.0, 300
    databases = [("SQLite", False)]
    if not args.sqlite_only and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        databases.append(("PostgreSQL", True))
    failed = False
    summary = []
    for label, postgres in databases:
        for floor, load in bench_database(args, label, postgres):
            failed |= bool(load.errors)
            summary.append((label, floor, load))
    print("\nsummary (clients: mix req/s / health req/s = share; mix p95; errors)")
    for label, floor, load in summary:
        share = load.throughput / floor.throughput if floor.throughput else 0.0
        target = ""
        if load.clients == 25:
            ok = share >= 0.30 and not load.errors and percentile(load.latencies_ms, 95) <= 1000
            target = "  target met" if ok else "  target NOT met"
        print(
            f"  {label:<10} {load.clients:>3}: {load.throughput:6.1f} / {floor.throughput:6.1f} = "
            f"{share:.2f}; p95 {percentile(load.latencies_ms, 95):.0f} ms; "
            f"{len(load.errors)} errors{target}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
