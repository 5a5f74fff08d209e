"""Run irflow's processes side by side, restart a crashed one, stop all on Ctrl-C.

Small on purpose: one parent, N children (web, worker, listeners), each a plain
`python -m irflow <part>` process that can equally be run alone or under systemd.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

RESTART_WINDOW_S = 60
MAX_RESTARTS_IN_WINDOW = 5
STOP_GRACE_S = 10


@dataclass
class Child:
    name: str
    argv: list[str]
    about: str = ""  # what it serves, for the line that says it started
    process: subprocess.Popen | None = None
    restarts: deque = field(default_factory=deque)


class Supervisor:
    def __init__(self, children: list[Child], *, env: dict[str, str], log: Callable[[str], None]):
        self.children = children
        self.env = env
        self.log = log
        self.stopping = False

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, env=self.env)
        about = f" — {child.about}" if child.about else ""
        self.log(f"started {child.name}{about} (pid {child.process.pid})")

    def _handle_signal(self, signum, frame) -> None:
        if not self.stopping:
            self.log(f"{signal.Signals(signum).name} received — stopping")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._handle_signal)
        signal.signal(signal.SIGTERM, self._handle_signal)
        for child in self.children:
            self._start(child)
        exit_code = 0
        while not self.stopping:
            time.sleep(0.2)
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None or self.stopping:
                    continue
                now = time.monotonic()
                while child.restarts and now - child.restarts[0] > RESTART_WINDOW_S:
                    child.restarts.popleft()
                if len(child.restarts) >= MAX_RESTARTS_IN_WINDOW:
                    self.log(f"{child.name} keeps failing (exit {code}); stopping irflow")
                    self.stopping = True
                    exit_code = 1
                    break
                child.restarts.append(now)
                self.log(f"{child.name} exited with {code}; restarting")
                time.sleep(min(2 ** len(child.restarts) / 4, 5))
                self._start(child)
        self.stop()
        return exit_code

    def stop(self) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"{child.name} did not stop in {STOP_GRACE_S} s; killing it")
                child.process.kill()
                child.process.wait()
        self.log("stopped")


def python_m(*args: str) -> list[str]:
    return [sys.executable, "-m", "irflow", *args]


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
