"""HL7 v2 receiving speed: `irflow hl7` against a bare python-hl7 MLLP server, one run.

    .venv/bin/python bench/hl7.py [--messages 2000] [--rounds 3] [--quick]

Migrates a fresh database (SQLite in a temporary data dir, or a fresh PostgreSQL database
when DATABASE_URL is set), starts `irflow hl7` on it and, as the baseline, a python-hl7
server (`hl7.mllp.start_hl7_server`) that parses each message and answers AA without
storing anything. Both are separate processes on loopback. The sender is one connection (as
interface engines keep one) that sends a message and waits for its ACK before the next, with
python-hl7's MLLP client: half ADT^A04 (a new patient each), half ORM^O01 (a new order each).
The rounds alternate between the two servers; each round sends `--messages` messages with
fresh control ids.

irflow's figure includes what makes it durable: the message committed to the database with
its ACK (one transaction per message, as the ACK must not leave earlier), the parse, the
checks and `apply`. Prints messages per second for each (medians of the rounds) and the
median of the rounds' ratios irflow / bare; the target is ≥ 0.5. `--quick` (200 messages,
1 round) checks that the script runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named hl7.py: keep its folder off the path, so that `import hl7` is python-hl7.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from irflow.testing.mllp_sender import Ack, Sender, adt_a04, orm_o01  # noqa: E402
from irflow.testing.service import free_port, postgres_database  # noqa: E402

TARGET = 0.5


def bare_server(port: int) -> None:
    """The baseline: python-hl7's asyncio MLLP server, parse and ACK, nothing stored."""
    import hl7
    from hl7.mllp import start_hl7_server

    async def handle(reader, writer) -> None:
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                writer.writemessage(message.create_ack(ack_code="AA"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await start_hl7_server(handle, "127.0.0.1", port)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    assert hl7  # imported for create_ack's message classes
    asyncio.run(main())


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def one_round(port: int, count: int, tag: str) -> float:
    """Messages per second for `count` messages over one connection."""
    messages = []
    for i in range(count):
        mrn = f"B{tag}{i:06d}"
        if i % 2:
            messages.append(orm_o01(mrn, control_id=f"{tag}-{i}", placer=f"PL{tag}{i}"))
        else:
            messages.append(adt_a04(mrn, control_id=f"{tag}-{i}"))
    with Sender("127.0.0.1", port) as sender:
        start = time.perf_counter()
        for raw in messages:
            answer = sender.send(raw)
            if not answer:
                raise SystemExit(f"no ACK from port {port}")
        elapsed = time.perf_counter() - start
    code = Ack.read(answer).code
    if code != "AA":
        raise SystemExit(f"port {port} answered {code}")
    return count / elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bare-server", type=int, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.bare_server:
        bare_server(options.bare_server)
        return 0
    if options.quick:
        options.messages, options.rounds = 200, 1
    with tempfile.TemporaryDirectory(prefix="irflow-bench-hl7-") as tmp, postgres_database() as db:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
        env.pop("DATABASE_URL", None)
        env.update(IRFLOW_DATA_DIR=tmp, DJANGO_SETTINGS_MODULE="irflow.settings")
        if db:
            env["DATABASE_URL"] = db
        irflow = [sys.executable, "-m", "irflow"]
        subprocess.run([*irflow, "migrate", "-v", "0"], env=env, check=True)
        irflow_port, bare_port = free_port(), free_port()
        servers = [
            subprocess.Popen([*irflow, "hl7", "--port", str(irflow_port), "--quiet"], env=env),
            subprocess.Popen(
                [sys.executable, __file__, "--bare-server", str(bare_port)],
                env=env,
                stdout=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_listening(irflow_port, servers[0])
            wait_listening(bare_port, servers[1])
            one_round(irflow_port, 20, "warm-i")
            one_round(bare_port, 20, "warm-b")
            ours: list[float] = []
            bare: list[float] = []
            for r in range(options.rounds):
                bare.append(one_round(bare_port, options.messages, f"b{r}"))
                ours.append(one_round(irflow_port, options.messages, f"i{r}"))
                print(f"round {r + 1}: irflow {ours[-1]:.0f}/s, bare {bare[-1]:.0f}/s", flush=True)
        finally:
            for server in servers:
                server.terminate()
                server.wait(30)
    vendor = "PostgreSQL" if db else "SQLite"
    # Rounds are paired (bare, then irflow): the median of the pairs' ratios is steadier on a
    # shared machine than a ratio of two separate figures.
    ratio = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    print(
        f"{options.messages} messages (ADT^A04 / ORM^O01) over one connection, {vendor}: "
        f"irflow {statistics.median(ours):.0f} msg/s, bare python-hl7 "
        f"{statistics.median(bare):.0f} msg/s (medians of {options.rounds} rounds), "
        f"ratio {ratio:.2f} (target >= {TARGET})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
