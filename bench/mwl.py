"""Modality Worklist speed: irflow against dcmtk's wlmscpfs on the same worklist, one run.

    .venv/bin/python bench/mwl.py [--steps 10000] [--queries 200]

Fills a fresh database (SQLite in a temporary data dir, or PostgreSQL if DATABASE_URL is
set) with `--steps` scheduled procedure steps, writes the same steps as worklist files for
dcmtk's `wlmscpfs`, starts `irflow dicom` and `wlmscpfs`, and runs the same `--queries`
worklist queries with dcmtk's `findscu` (TCP_NODELAY=1, one process per query, as a modality
does) against each, interleaved. Prints per-query medians, the ratio irflow / wlmscpfs
(target ≤ 0.85), and the C-FIND throughput of each server on one association from an
in-process pynetdicom client. Absolute times depend on the machine; the ratio is the figure.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

STATIONS = 20
SLOTS_PER_DAY = 10
WLM_AE = "WLMSCPFS"
RETURN_KEYS = [
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyInstanceUID",
    "RequestedProcedureID",
    "RequestedProcedureDescription",
    "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
    "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime",
    "ScheduledProcedureStepSequence[0].Modality",
    "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
    "ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription",
]
SPS = "ScheduledProcedureStepSequence[0]"


@dataclass(frozen=True)
class Query:
    kind: str
    keys: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def fill(steps: int, today: date) -> list:
    """`steps` bookings, all on the worklist, as many days before today as after; their items."""
    from irflow.dicomserver.selectors import worklist_items, worklist_queryset
    from irflow.dicomserver.synthetic import worklist_fill
    from irflow.dicomserver.worklist.items import ITEM_FIELDS

    worklist_fill(
        count=steps,
        first_day=today - timedelta(days=steps // (STATIONS * SLOTS_PER_DAY) // 2),
        seed=11,
        stations=STATIONS,
        slots_per_day=SLOTS_PER_DAY,
        gone_fraction=0.0,
    )
    rows = list(worklist_queryset().values(*ITEM_FIELDS))
    return worklist_items(rows, allergies=True, alerts=True)


def write_worklist_files(items: list, folder: Path) -> None:
    """One `.wl` file per step with every key irflow returns, for wlmscpfs."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    from irflow.dicom.worklist import build_response, parse_worklist_query
    from irflow.dicom.worklist.keys import TOP_KEYS

    def empty(specs) -> Dataset:
        ds = Dataset()
        for spec in specs:
            if spec.vr == "SQ":
                ds.add_new(spec.tag, "SQ", [empty(spec.items)] if spec.items else [])
            else:
                ds.add_new(spec.tag, spec.vr, None)
        return ds

    everything = parse_worklist_query(empty(TOP_KEYS))
    folder.mkdir(parents=True)
    (folder / "lockfile").touch()
    for n, item in enumerate(items):
        ds = build_response(everything, item, "ISO_IR 192")
        for sps in ds.ScheduledProcedureStepSequence:
            if not sps.ScheduledProtocolCodeSequence:
                del sps.ScheduledProtocolCodeSequence  # wlmscpfs rejects it empty (type 1C)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.31")
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.save_as(folder / f"item{n:05d}.wl", enforce_file_format=True)


def make_queries(items: list, count: int, today: date, seed: int = 3) -> list[Query]:
    """What modalities ask, in the proportions a department sees: mostly "my station, today"."""
    rng = random.Random(seed)
    day = today.strftime("%Y%m%d")
    tomorrow = (today + timedelta(days=1)).strftime("%Y%m%d")
    todays = [i for i in items if i.sps_start.date() == today]
    # ASCII names: a query with other characters needs a Specific Character Set.
    uppercase_names = sorted(
        {
            i.patient_name.split("^")[0]
            for i in items
            if i.patient_name[:1].isupper() and i.patient_name.isascii()
        }
    )
    queries = []
    for _ in range(count):
        station = f"STN{rng.randint(1, STATIONS):02d}"
        item = rng.choice(todays)
        kind = rng.choices(
            ["station-today", "station-two-days", "patient-id", "accession", "name-today"],
            weights=[50, 15, 15, 10, 10],
        )[0]
        keys: dict[str, str] = {}
        if kind == "station-today":
            keys = {
                f"{SPS}.ScheduledStationAETitle": station,
                f"{SPS}.ScheduledProcedureStepStartDate": day,
            }
        elif kind == "station-two-days":
            keys = {
                f"{SPS}.ScheduledStationAETitle": station,
                f"{SPS}.ScheduledProcedureStepStartDate": f"{day}-{tomorrow}",
            }
        elif kind == "patient-id":
            keys = {"PatientID": item.patient_id}
        elif kind == "accession":
            keys = {"AccessionNumber": item.accession_number}
        else:
            prefix = rng.choice(uppercase_names)[:3]
            keys = {"PatientName": f"{prefix}*", f"{SPS}.ScheduledProcedureStepStartDate": day}
        queries.append(Query(kind, keys))
    return queries


def findscu_args(query: Query, port: int, called: str) -> list[str]:
    args = ["findscu", "-W", "-v", "-aet", "BENCH", "-aec", called]
    for key in RETURN_KEYS:
        args += ["-k", f"{key}={query.keys[key]}" if key in query.keys else key]
    for key, value in query.keys.items():
        if key not in RETURN_KEYS:
            args += ["-k", f"{key}={value}"]
    return [*args, "127.0.0.1", str(port)]


def run_findscu(args: list[str]) -> tuple[float, int]:
    env = {**os.environ, "TCP_NODELAY": "1"}
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    text = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    if done.returncode != 0 or "Final Find Response (Success)" not in text:
        raise RuntimeError(f"findscu failed: {' '.join(args)}\n{text[-2000:]}")
    return elapsed, len(re.findall(r"Find Response: \d+ \(Pending", text))


def in_process_throughput(port: int, called: str, queries: list[Query]) -> tuple[float, int]:
    """C-FIND queries per second on one association (pynetdicom client in this process)."""
    from pydicom.dataset import Dataset
    from pynetdicom import AE
    from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore

    from irflow.dicomserver.scu import Serial

    ae = AE(ae_title="BENCH")
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = Serial(ae.associate("127.0.0.1", port, ae_title=called))
    assert assoc.is_established, f"no association with {called}"
    transport = assoc.dul.socket
    if transport is not None and transport.socket is not None:
        transport.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    identifiers = []
    for query in queries:
        ds = Dataset()
        sps = Dataset()
        for key in RETURN_KEYS + list(query.keys):
            value = query.keys.get(key, "")
            if key.startswith(SPS):
                setattr(sps, key.split(".", 1)[1], value)
            else:
                setattr(ds, key, value)
        ds.ScheduledProcedureStepSequence = [sps]
        identifiers.append(ds)
    responses = 0
    started = time.perf_counter()
    for ds in identifiers:
        for status, _ in assoc.send_c_find(ds, ModalityWorklistInformationFind):
            if status and status.Status in (0xFF00, 0xFF01):
                responses += 1
    elapsed = time.perf_counter() - started
    assoc.release()
    return len(identifiers) / elapsed, responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    for tool in ("findscu", "wlmscpfs"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt install dcmtk)")

    data_dir = Path(tempfile.mkdtemp(prefix="irflow-bench-mwl-"))
    os.environ["IRFLOW_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "irflow.settings"
    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "irflow", "migrate", "-v0"], check=True, env=env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    started = time.perf_counter()
    items = fill(args.steps, today)
    wl_dir = data_dir / "worklist"
    write_worklist_files(items, wl_dir / WLM_AE)
    connection.close()
    print(
        f"{len(items)} scheduled steps on {connection.vendor} and in {len(items)} worklist "
        f"files ({time.perf_counter() - started:.0f} s to prepare)"
    )

    irflow_port, wlm_port = free_port(), free_port()
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "irflow", "dicom", "--port", str(irflow_port)],
            env={**env, "IRFLOW_LOG_LEVEL": "WARNING"},
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            ["wlmscpfs", "-q", "-csk", "-dfp", str(wl_dir), str(wlm_port)],
            stdout=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_for_port(irflow_port)
        wait_for_port(wlm_port)
        queries = make_queries(items, args.queries, today)
        targets = {
            "irflow": (irflow_port, settings.IRFLOW_DICOM_AE_TITLE),
            "wlmscpfs": (wlm_port, WLM_AE),
        }
        # Warm up both (first association, caches), then measure, alternating who goes first.
        for port, called in targets.values():
            run_findscu(findscu_args(queries[0], port, called))
        times: dict[str, list[float]] = {name: [] for name in targets}
        mismatches = 0
        matches = 0
        for n, query in enumerate(queries):
            order = list(targets) if n % 2 == 0 else list(reversed(targets))
            counts = {}
            for name in order:
                port, called = targets[name]
                elapsed, counts[name] = run_findscu(findscu_args(query, port, called))
                times[name].append(elapsed)
            mismatches += counts["irflow"] != counts["wlmscpfs"]
            matches += counts["irflow"]
        irflow_ms = statistics.median(times["irflow"]) * 1000
        wlm_ms = statistics.median(times["wlmscpfs"]) * 1000
        print(
            f"\n{len(queries)} worklist queries with findscu (TCP_NODELAY=1), "
            f"{matches / len(queries):.1f} matches per query on average"
        )
        print(f"{'':>10} {'median':>9} {'p95':>9}")
        for name in targets:
            ordered = sorted(times[name])
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
            print(f"{name:>10} {statistics.median(ordered) * 1000:7.1f}ms {p95:7.1f}ms")
        print(f"ratio irflow / wlmscpfs (median): {irflow_ms / wlm_ms:.2f}  (target <= 0.85)")
        print("\nmedian by kind of query:")
        for kind in sorted({q.kind for q in queries}):
            picks = [n for n, q in enumerate(queries) if q.kind == kind]
            line = "  ".join(
                f"{name} {statistics.median(times[name][n] for n in picks) * 1000:6.1f}ms"
                for name in targets
            )
            print(f"{kind:>17} ({len(picks):3d}): {line}")
        if mismatches:
            # irflow matches person names case-insensitively (PS3.4 C.2.2.2.1.1 allows it);
            # wlmscpfs literally: "Smi*" also finds "smithson" in irflow.
            print(f"note: {mismatches} queries returned a different number of matches")

        print("\nC-FIND on one association (pynetdicom client in this process):")
        for name, (port, called) in targets.items():
            rate, responses = in_process_throughput(port, called, queries)
            print(f"{name:>10} {rate:7.1f} queries/s ({responses} responses)")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
