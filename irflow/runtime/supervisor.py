"""Run irflow's processes side by side, restart a crashed one, stop all on Ctrl-C.

Small on purpose: one parent, N children (web, worker, listeners), each a plain
`python -m irflow <part>` process that can equally be run alone or under systemd.

A part that keeps failing is restarted with a growing wait (1 s, doubling, at most
MAX_BACKOFF_S) and never takes the others down: web keeps answering (503 where it needs the
database) while, say, the database is away. Once a part has run for STABLE_AFTER_S its wait
starts again from the beginning. The log says so calmly: every restart, then only every
tenth while the part keeps failing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_BACKOFF_S = 15.0
STABLE_AFTER_S = 60.0
STOP_GRACE_S = 10


@dataclass
class Child:
    name: str
    argv: list[str]
    about: str = ""  # what it serves, for the line that says it started
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # consecutive exits without a stable run in between
    restart_at: float | None = None  # when to start it again, while it waits


class Supervisor:
    def __init__(self, children: list[Child], *, env: dict[str, str], log: Callable[[str], None]):
        self.children = children
        self.env = env
        self.log = log
        self.stopping = False

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, env=self.env)
        child.started_at = time.monotonic()
        child.restart_at = None
        if child.failures <= 1 or child.failures % 10 == 0:
            about = f" — {child.about}" if child.about else ""
            self.log(f"started {child.name}{about} (pid {child.process.pid})")

    def _exited(self, child: Child, code: int, now: float) -> None:
        """Plan the restart of a child that exited: soon, later if it keeps failing."""
        if now - child.started_at >= STABLE_AFTER_S:
            child.failures = 0
        child.failures += 1
        wait = backoff(child.failures)
        child.restart_at = now + wait
        if child.failures <= 3 or child.failures % 10 == 0:
            again = f" (exit {child.failures} in a row)" if child.failures > 1 else ""
            self.log(f"{child.name} exited with {code}{again}; restarting in {wait:g} s")

    def _handle_signal(self, signum, frame) -> None:
        if not self.stopping:
            self.log(f"{signal.Signals(signum).name} received — stopping")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._handle_signal)
        signal.signal(signal.SIGTERM, self._handle_signal)
        for child in self.children:
            self._start(child)
        while not self.stopping:
            time.sleep(0.2)
            now = time.monotonic()
            for child in self.children:
                if self.stopping:
                    break
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        self._start(child)
                    continue
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    self._exited(child, code, now)
        self.stop()
        return 0

    def stop(self) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in self.children:
            if child.process is None or child.process.returncode is not None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"{child.name} did not stop in {STOP_GRACE_S} s; killing it")
                child.process.kill()
                child.process.wait()
        self.log("stopped")


def backoff(failures: int) -> float:
    """The wait before restarting a part that has exited `failures` times in a row."""
    return min(2.0 ** (failures - 1), MAX_BACKOFF_S)


def python_m(*args: str) -> list[str]:
    return [sys.executable, "-m", "irflow", *args]


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
