"""Start-up and footprint of `irflow up` on an existing database, against gunicorn serving a
trivial WSGI app started the same way, in one run.

    .venv/bin/python bench/startup.py [--data-dir DIR] [--patients 20000] [--runs 5]
    .venv/bin/python bench/startup.py --quick        # 200 patients, 2 runs: does it work?

Creates DIR with `irflow demo --patients N` unless it already holds a database (keep it
outside the repository and pass it again: the demo takes minutes at 20,000 patients), then
starts `irflow up --no-demo` on it `--runs` times and measures the time from the command to
the first HTTP 200 of `/health` and of the sign-in page, and, once it answers, the resident
memory of the `irflow up` process itself (the supervisor, RSS) and of all its processes
(PSS: pages shared between processes, such as gunicorn's forked workers', counted once).
SQLite in DIR, or PostgreSQL if DATABASE_URL is set (the demo is then created there once).
Prints medians and the ratio to the baseline; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TRIVIAL_APP = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_200(url: str, process: subprocess.Popen, started: float, limit: float = 120) -> float:
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > limit:
            raise RuntimeError(f"{url} did not answer within {limit} s")
        time.sleep(0.02)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (gunicorn's forked workers) counted once in all."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def group_cpu_s(pgid: int) -> float:
    """CPU time (user + system) of the group's processes and of their finished children:
    the work done to start, which a loaded machine stretches less than the wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick


def group_pss_kb(pgid: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid:
                total += pss_kb(int(entry.name))
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return total


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_up(env: dict[str, str], log: Path) -> dict[str, float]:
    port, dicom_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "irflow", "up", "--no-demo", "--port", str(port)]
    argv += ["--dicom-port", str(dicom_port)]
    with log.open("a") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        health = wait_for_200(base + "/health", process, started)
        cpu = group_cpu_s(process.pid)
        login = wait_for_200(base + "/accounts/login/", process, started)
        deadline = time.monotonic() + 60
        while "irflow is running at" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # let every part finish starting
        return {
            "health_s": health,
            "login_s": login,
            "cpu_s": cpu,
            "supervisor_mb": rss_kb(process.pid) / 1024,
            "all_mb": group_pss_kb(process.pid) / 1024,
        }
    finally:
        stop(process)


def run_baseline(tmp: Path, env: dict[str, str]) -> dict[str, float]:
    (tmp / "trivial_app.py").write_text(TRIVIAL_APP)
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "trivial_app:application", "--bind"]
    argv += [f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket", "--log-level", "warning"]
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=tmp, env=env, start_new_session=True)
    try:
        took = wait_for_200(f"http://127.0.0.1:{port}/", process, started)
        cpu = group_cpu_s(process.pid)
        return {"health_s": took, "cpu_s": cpu, "supervisor_mb": rss_kb(process.pid) / 1024}
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="200 patients, 2 runs")
    args = parser.parse_args()
    if args.quick:
        args.patients, args.runs = 200, 2
    tmp = Path(tempfile.mkdtemp(prefix="irflow-startup-"))
    data_dir = (args.data_dir or tmp / "data").resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.update(IRFLOW_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", IRFLOW_WEB_WORKERS="1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    if not (data_dir / "irflow.db").exists() or os.environ.get("DATABASE_URL"):
        data_dir.mkdir(parents=True, exist_ok=True)
        marker = data_dir / ".bench-demo-created"
        if not marker.exists():
            print(f"creating the demo ({args.patients} patients) in {data_dir} …", flush=True)
            subprocess.run(
                [sys.executable, "-m", "irflow", "demo", "--patients", str(args.patients)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            marker.write_text(str(args.patients))
    log = tmp / "up.log"
    print("warm-up run (collects the static files if they changed) …", flush=True)
    run_up(env, log)
    ups, bases = [], []
    for _ in range(args.runs):  # interleaved, so that the machine's load falls on both
        bases.append(run_baseline(tmp, env))
        ups.append(run_up(env, log))
        print(
            f"  baseline {bases[-1]['health_s']:.2f} s ({bases[-1]['cpu_s']:.2f} s CPU), "
            f"irflow up {ups[-1]['health_s']:.2f} s ({ups[-1]['cpu_s']:.2f} s CPU)"
        )

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    base_s = median(bases, "health_s")
    print(f"\n{args.runs} runs; data in {data_dir}; log {log}")
    print(f"{'':38} {'median':>8} {'min':>8} {'max':>8} {'ratio':>7}")
    print(f"{'baseline: gunicorn, trivial app, 200':38} {base_s:8.2f} s")
    rows = (("health_s", "irflow up: first 200 of /health"), ("login_s", "… of /accounts/login/"))
    for key, label in rows:
        values = [row[key] for row in ups]
        print(
            f"{label:38} {statistics.median(values):8.2f} {min(values):8.2f} {max(values):8.2f}"
            f" {statistics.median(values) / base_s:7.1f}×"
        )
    base_cpu = median(bases, "cpu_s")
    up_cpu = median(ups, "cpu_s")
    print(f"{'CPU to the first 200: baseline':38} {base_cpu:8.2f} s")
    print(f"{'CPU to the first 200: irflow up':38} {up_cpu:8.2f} s {up_cpu / base_cpu:25.1f}×")
    print(f"{'RSS of the baseline gunicorn master':38} {median(bases, 'supervisor_mb'):8.0f} MB")
    print(f"{'RSS of the irflow up process':38} {median(ups, 'supervisor_mb'):8.0f} MB")
    print(f"{'PSS of all irflow up processes':38} {median(ups, 'all_mb'):8.0f} MB")


if __name__ == "__main__":
    main()
