"""The supervisor never stops the other parts because one keeps failing: it restarts that one
with a growing wait, and logs it calmly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from irflow.runtime.supervisor import MAX_BACKOFF_S, backoff

SCRIPT = """
import sys
from irflow.runtime.supervisor import Child, Supervisor
failing = Child("failing", [sys.executable, "-c", "import sys; sys.exit(3)"])
steady = Child("steady", [sys.executable, "-c", "import time; time.sleep(600)"])
Supervisor([failing, steady], env={}, log=lambda m: print(m, flush=True)).run()
print("steady pid", steady.process.pid, flush=True)
"""


def test_backoff_grows_to_a_ceiling():
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[:4] == [1, 2, 4, 8]
    assert waits == sorted(waits) and max(waits) == MAX_BACKOFF_S


def test_a_part_that_keeps_failing_is_restarted_and_the_others_keep_running():
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        time.sleep(9)  # 1 + 2 + 4 s of waits: four starts of the failing part
        assert process.poll() is None, "the supervisor stopped"
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    lines = out.splitlines()
    assert sum(line.startswith("started steady") for line in lines) == 1
    assert "failing exited with 3; restarting in 1 s" in lines
    assert "failing exited with 3 (exit 2 in a row); restarting in 2 s" in lines
    assert "failing exited with 3 (exit 3 in a row); restarting in 4 s" in lines
    assert not any("keeps failing" in line for line in lines)
    assert lines[-2:-1] == ["stopped"]
    assert process.returncode == 0
