"""Searching a patient's 100 Observations through /fhir against the same rows through the REST
API, in the same run.

    .venv/bin/python bench/fhir.py [--requests 200]
    DATABASE_URL=postgres://… .venv/bin/python bench/fhir.py      # on PostgreSQL (it fills it)

On a throwaway SQLite database (or DATABASE_URL's): one patient with 100 lab results; then,
interleaved, through Django's test client and the whole middleware stack, signed in as a
physician: GET /fhir/Observation?patient=<id>&_count=100 (a searchset Bundle of the 100 lab
Observations, each access-logged) and GET /api/patients/<id> (the chart, which reads the same
100 lab results, and more). Prints the median and p95 of each and the ratio of the medians.
The target (docs/testing.md): FHIR / REST ≤ 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

# This file is fhir.py: its folder must not shadow the `fhir` package of fhir.resources.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("IRFLOW_DATA_DIR", tempfile.mkdtemp(prefix="irflow-bench-fhir-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from irflow.accounts.actors import SYSTEM
    from irflow.accounts.services import user_create
    from irflow.patients.models import LabResult
    from irflow.patients.services import patient_create

    call_command("migrate", verbosity=0, interactive=False)
    physician = user_create(
        actor=SYSTEM,
        username=f"bench-fhir-{os.getpid()}",
        role="physician",
        password="bench-fhir-password-1",
        check_password=False,
    )
    patient = patient_create(
        actor=physician,
        mrn=f"BF{os.getpid():08d}"[:10],
        family_name="Benchmark",
        given_name="Fhir",
        birth_date="1960-01-01",
        sex="F",
    )
    now = timezone.now()
    analytes = ["inr", "platelets", "haemoglobin", "creatinine", "egfr"]
    LabResult.objects.bulk_create(
        LabResult(
            patient=patient,
            analyte=analytes[i % 5],
            value=Decimal("1.1") + i,
            unit="",
            collected_at=now - timedelta(hours=i),
        )
        for i in range(100)
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(physician)
    urls = {
        "fhir": f"/fhir/Observation?patient={patient.pk}&_count=100",
        "rest": f"/api/patients/{patient.pk}",
    }
    for url in urls.values():  # warm up: the first request imports and compiles
        for _ in range(5):
            assert client.get(url).status_code == 200
    entries = len(client.get(urls["fhir"]).json()["entry"])
    assert entries == 100, entries
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(args.requests):
        for name, url in urls.items():
            start = time.perf_counter()
            answer = client.get(url)
            times[name].append(time.perf_counter() - start)
            assert answer.status_code == 200
    for name, values in times.items():
        print(
            f"{name}: median {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {percentile(values, 95) * 1000:.1f} ms ({urls[name]})"
        )
    ratio = statistics.median(times["fhir"]) / statistics.median(times["rest"])
    print(f"ratio FHIR / REST (medians): {ratio:.2f} (target ≤ 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
