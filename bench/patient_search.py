"""Patient search latency at 100,000 patients, against a trivial view on the same server.

    .venv/bin/python bench/patient_search.py [--patients 100000] [--requests 400]

Builds a fresh database (SQLite in a temporary data dir, or PostgreSQL if DATABASE_URL is
set), fills it, starts `irflow web` (gunicorn) and times, interleaved over one keep-alive
connection: GET /api/patients?q=… (realistic queries: surname prefixes, "surname given",
MRN, date of birth) and GET /health (a view that only runs SELECT 1). Prints p50/p95 of
each and their ratio. Absolute times depend on the machine; the ratio is the figure to
watch.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="irflow-bench-"))
    os.environ["IRFLOW_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "irflow.settings"
    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "irflow", "migrate", "-v0"], check=True, env=env)

    import django

    django.setup()
    from datetime import date, timedelta

    from faker import Faker

    from irflow.accounts.services import api_token_create, user_create
    from irflow.patients.models import Patient, PatientIdentifier, normalise_name

    started = time.perf_counter()
    fake = Faker("en_GB")
    fake.seed_instance(7)
    rng = random.Random(7)
    surnames = [fake.last_name() for _ in range(3000)]
    given = [fake.first_name() for _ in range(1500)]
    batch: list[Patient] = []
    samples: list[tuple[str, str, date, str]] = []
    for i in range(args.patients):
        fam, giv = rng.choice(surnames), rng.choice(given)
        born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 30_000))
        batch.append(
            Patient(
                family_name=fam,
                given_name=giv,
                birth_date=born,
                sex=rng.choice("FM"),
                family_name_key=normalise_name(fam),
                given_name_key=normalise_name(giv),
            )
        )
        if i % 250 == 0:
            samples.append((fam, giv, born, f"B{i:07d}"))
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    PatientIdentifier.objects.bulk_create(
        [
            PatientIdentifier(patient_id=pk, issuer="HOSP", kind="MR", value=f"B{i:07d}")
            for i, pk in enumerate(ids)
        ],
        batch_size=5000,
    )
    user = user_create(actor=None, username="bench", role="physician")
    token = api_token_create(actor=None, user=user, name="bench")[1]
    print(
        f"{args.patients} patients created in {time.perf_counter() - started:.1f} s "
        f"({'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'})"
    )

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "irflow",
            "web",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import requests

    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for _ in range(100):
        try:
            session.get(base + "/health", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)

    def query(k: int) -> str:
        fam, giv, born, mrn = samples[k % len(samples)]
        return [fam[:3], f"{fam} {giv[:2]}", mrn, born.isoformat(), f"{fam[:4]}, {giv[:3]}"][k % 5]

    search_ms: list[float] = []
    trivial_ms: list[float] = []
    try:
        for k in range(20):  # warm-up
            session.get(base + "/api/patients", params={"q": query(k)})
            session.get(base + "/health")
        for k in range(args.requests):
            t0 = time.perf_counter()
            r = session.get(base + "/api/patients", params={"q": query(k)})
            search_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
            t0 = time.perf_counter()
            session.get(base + "/health")
            trivial_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        web.terminate()
        web.wait()
    s50, s95 = percentile(search_ms, 50), percentile(search_ms, 95)
    t50, t95 = percentile(trivial_ms, 50), percentile(trivial_ms, 95)
    mean = statistics.mean(search_ms)
    print(f"patient search  p50 {s50:7.2f} ms   p95 {s95:7.2f} ms   (mean {mean:.2f})")
    print(f"trivial view    p50 {t50:7.2f} ms   p95 {t95:7.2f} ms")
    print(f"ratio search / trivial: p50 {s50 / t50:.2f}x   p95 {s95 / t95:.2f}x")


if __name__ == "__main__":
    main()
