"""A small MLLP receiver on loopback for tests: the hospital's interface engine, as a test
wants it to behave.

    with MllpReceiver() as receiver:          # a free port on 127.0.0.1
        receiver.mode = "AA"   # or "AE", "AR", "wrong-id", "late-then-AA", "silent"
        ...                                    # point a Destination at receiver.port
        receiver.wait_for(1, timeout=10)       # the messages received (bytes, decoded)
        receiver.stop(); receiver.start()      # down, then back on the same port

It records every message it takes (`messages`: the decoded text, `raw`: the bytes) and
answers with irflow's own ACK builder: AA, AE, AR, an AA whose MSA-2 is not the control id
it received ("wrong-id"), a stray ACK of another message followed by the right AA
("late-then-AA"), or nothing at all ("silent").
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time

from irflow.hl7.ack import ack
from irflow.hl7.parse import HL7Error, parse

START, END = b"\x0b", b"\x1c\x0d"
MODES = ("AA", "AE", "AR", "wrong-id", "late-then-AA", "silent")


class MllpReceiver:
    def __init__(self, port: int = 0, mode: str = "AA") -> None:
        self.port = port
        self.mode = mode
        self.raw: list[bytes] = []
        self.messages: list[str] = []
        self.answers: list[str] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._stopping = threading.Event()

    # Life cycle.

    def start(self) -> MllpReceiver:
        assert self.mode in MODES, self.mode
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(8)
        server.settimeout(0.2)
        self.port = server.getsockname()[1]
        self._server = server
        self._stopping.clear()
        thread = threading.Thread(target=self._accept, name="mllp-receiver", daemon=True)
        thread.start()
        self._threads = [thread]
        return self

    def stop(self) -> None:
        """Close the port and every open connection (the receiver is down)."""
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> MllpReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # What arrived.

    def wait_for(self, count: int, *, timeout: float) -> list[str]:
        """The messages once at least `count` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.messages)} message(s) arrived within {timeout} s, "
                        f"{count} expected"
                    )
                self._arrived.wait(left)
            return list(self.messages)

    def control_ids(self) -> list[str]:
        with self._lock:
            return [parse(raw).header.control_id for raw in self.raw]

    # Serving.

    def _accept(self) -> None:
        server = self._server
        assert server is not None
        while not self._stopping.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        buffer = b""
        client.settimeout(0.2)
        try:
            while not self._stopping.is_set():
                try:
                    chunk = client.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while True:
                    start = buffer.find(START)
                    end = buffer.find(END, start + 1) if start >= 0 else -1
                    if start < 0 or end < 0:
                        break
                    frame, buffer = buffer[start + 1 : end], buffer[end + 2 :]
                    for answer in self._take(frame):
                        try:
                            client.sendall(START + answer + END)
                        except OSError:
                            return  # stopped meanwhile: the sender gets no ACK

        finally:
            client.close()

    def _take(self, frame: bytes) -> list[bytes]:
        """Record the message; the answers to send back, in order."""
        try:
            message = parse(frame)
        except HL7Error:
            return []
        mode = self.mode
        header = message.header
        with self._arrived:
            self.raw.append(frame)
            self.messages.append(message.text)
            self._arrived.notify_all()
        stray = dataclasses.replace(header, control_id="NOT" + header.control_id)
        answers = {
            "silent": [],
            "wrong-id": [(stray, "AA")],
            "late-then-AA": [(stray, "AA"), (header, "AA")],
        }.get(mode, [(header, mode)])
        out = []
        for n, (to, code) in enumerate(answers):
            text = ack(
                to,
                code,
                control_id=f"R{len(self.raw)}.{n}",
                text="" if code == "AA" else "Refused by the test receiver.",
            )
            with self._lock:
                self.answers.append(text)
            out.append(text.encode(message.codec))
        return out
