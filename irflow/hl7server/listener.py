"""irflow's HL7 v2 listener: MLLP over TCP (default 127.0.0.1:2575), `irflow hl7`.

An asyncio server; each connection is read with `irflow.hl7.mllp.FrameReader` (why not
python-hl7's stream reader: see that module) and handled strictly in order: a frame is
stored, applied and acknowledged (`irflow.hl7server.receive.receive`, in a worker thread with
its own database connection) before the next frame of that connection is read. Connections
are served concurrently.

- Bytes outside `0x0B … 0x1C 0x0D` are skipped; a start block inside a frame starts afresh
  (the sender abandoned the half-sent frame).
- A connection closed mid-frame, or a frame not finished within `IRFLOW_HL7_FRAME_TIMEOUT_S`
  of its start block, stores nothing and the connection is closed. Idle connections between
  frames are kept as long as the sender wants (engines keep one open).
- A frame larger than `IRFLOW_HL7_MAX_BYTES` is read to its end without being kept, its first
  64 KiB are stored and it is answered AR; the connection stays open.
- When the database cannot be written, nothing is acknowledged and the connection is closed:
  the sender resends (as engines do when no ACK comes).
- Who may send: loopback, and the addresses or networks of `IRFLOW_HL7_ALLOWED_PEERS` (MLLP
  has no sign-in); other connections are closed at once. Bound beyond loopback with none
  allowed, the listener refuses to start.
- SIGTERM / SIGINT: stop accepting, let frames being processed finish (up to 10 s), close.

Several listeners can run against one PostgreSQL (on several machines, or ports): a message
and its repeat are still applied once (the unique sender + control id; see `receive`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from irflow.hl7.mllp import FrameReader, Oversized, frame
from irflow.hl7server.receive import receive, receive_oversized

logger = logging.getLogger("irflow.hl7")

READ_CHUNK = 256 * 1024
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class ListenerConfig:
    host: str
    port: int
    max_bytes: int
    frame_timeout_s: float
    allowed_peers: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, **overrides: Any) -> ListenerConfig:
        values: dict[str, Any] = {
            "host": settings.IRFLOW_HL7_HOST,
            "port": settings.IRFLOW_HL7_PORT,
            "max_bytes": settings.IRFLOW_HL7_MAX_BYTES,
            "frame_timeout_s": settings.IRFLOW_HL7_FRAME_TIMEOUT_S,
            "allowed_peers": tuple(
                p.strip() for p in settings.IRFLOW_HL7_ALLOWED_PEERS.split(",") if p.strip()
            ),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


MSG_OPEN_WITHOUT_PEERS = (
    "The HL7 listener would listen on {host}, which other machines can reach, but no sending "
    "system is allowed: MLLP has no sign-in, so anyone could send patients and orders. Set "
    "IRFLOW_HL7_ALLOWED_PEERS to the interface engine's addresses (or networks), or listen on "
    "127.0.0.1 (IRFLOW_HL7_HOST)."
)
MSG_BAD_PEER = "IRFLOW_HL7_ALLOWED_PEERS: {value} is not an address or a network."


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _networks(config: ListenerConfig) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p, strict=False) for p in config.allowed_peers]


def refusal(config: ListenerConfig) -> str | None:
    """Why the listener must not start with `config`, or None."""
    for value in config.allowed_peers:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return MSG_BAD_PEER.format(value=value)
    if not is_loopback(config.host) and not config.allowed_peers:
        return MSG_OPEN_WITHOUT_PEERS.format(host=config.host or "every address")
    return None


def peer_allowed(config: ListenerConfig, address: str) -> bool:
    """Loopback always; other addresses only when IRFLOW_HL7_ALLOWED_PEERS names them."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    return any(ip in network for network in _networks(config))


def describe(config: ListenerConfig) -> str:
    """One line: `HL7 listener on 127.0.0.1:2575 (MLLP, …)`."""
    megabytes = config.max_bytes / (1024 * 1024)
    return (
        f"HL7 listener on {config.host}:{config.port} "
        f"(MLLP; ADT and orders in, messages up to {megabytes:g} MB)"
    )


def _in_thread(work: Callable[[], bytes]) -> bytes:
    """Run in a worker thread with a database connection Django may reuse (CONN_MAX_AGE),
    closed when it is broken or too old, as Django does around a request."""
    close_old_connections()
    try:
        return work()
    finally:
        close_old_connections()


@dataclass
class _Connection:
    task: asyncio.Task
    busy: bool = False


@dataclass
class Server:
    """The running listener (inside its event loop)."""

    config: ListenerConfig
    server: asyncio.base_events.Server | None = None
    connections: dict[int, _Connection] = field(default_factory=dict)
    stopping: bool = False

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._accepted, self.config.host, self.config.port, reuse_address=True
        )

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connection = _Connection(task)
        self.connections[id(task)] = connection
        try:
            await self._serve(reader, writer, connection)
        except asyncio.CancelledError:
            pass
        except Exception:  # never let one connection take the listener down
            logger.exception("HL7 connection failed")
        finally:
            self.connections.pop(id(task), None)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        address = writer.get_extra_info("peername") or ("?", 0)
        peer = f"{address[0]}:{address[1]}"
        if not peer_allowed(self.config, str(address[0])):
            logger.warning("HL7 connection from %s refused: not in IRFLOW_HL7_ALLOWED_PEERS", peer)
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        frames = FrameReader(self.config.max_bytes)
        frame_started = 0.0
        while not self.stopping:
            timeout = None
            if frames.in_frame:
                timeout = max(frame_started + self.config.frame_timeout_s - time.monotonic(), 0)
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout)
            except TimeoutError:
                logger.warning("HL7 frame from %s not finished in time: connection closed", peer)
                return
            except (ConnectionError, OSError):
                return
            if not data:
                if frames.in_frame:
                    logger.warning("HL7 connection from %s closed mid-frame: nothing kept", peer)
                return
            was_in_frame = frames.in_frame
            items = frames.feed(data)
            if frames.in_frame and (items or not was_in_frame):
                frame_started = time.monotonic()
            for item in items:
                connection.busy = True
                try:
                    answer = await self._receive(item, peer)
                finally:
                    connection.busy = False
                if not answer:
                    return  # not stored: acknowledge nothing, the sender resends
                writer.write(frame(answer))
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    return

    async def _receive(self, item, peer: str) -> bytes:
        if isinstance(item, Oversized):
            logger.warning(
                "HL7 message of %d bytes from %s exceeds %d", item.size, peer, self.config.max_bytes
            )
            head, size = item.head, item.size
            return await asyncio.to_thread(
                _in_thread,
                lambda: receive_oversized(head, size=size, limit=self.config.max_bytes, peer=peer),
            )
        data = item.data
        return await asyncio.to_thread(_in_thread, lambda: receive(data, peer=peer))

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop accepting; let frames being processed finish; close every connection."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections.values()):
            if not connection.busy:
                connection.task.cancel()
        deadline = time.monotonic() + grace_s
        while any(c.busy for c in self.connections.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.connections.values()):
            connection.task.cancel()
        tasks = [c.task for c in self.connections.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=2)


async def serve(config: ListenerConfig, stop: asyncio.Event, *, started=None) -> None:
    """Listen until `stop` is set. `started(server)` is called once it accepts."""
    server = Server(config)
    await server.start()
    logger.debug("%s", describe(config))
    if started is not None:
        started(server)
    await stop.wait()
    await server.stop()


@dataclass
class Running:
    """A listener in a background thread (tests, `irflow hl7`): `port`, `stop()`."""

    port: int
    _loop: asyncio.AbstractEventLoop
    _stop: asyncio.Event
    _thread: threading.Thread

    def stop(self, timeout: float = 30) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


def start(config: ListenerConfig) -> Running:
    """Run the listener in a background thread; returns once it accepts connections."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        box["stop"] = stop

        def started(server: Server) -> None:
            box["port"] = server.port
            ready.set()

        try:
            loop.run_until_complete(serve(config, stop, started=started))
        except BaseException as exc:  # bind error: tell the caller
            box["error"] = exc
            ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=run, name=f"irflow-hl7-{config.port}", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise box["error"]
    return Running(port=box["port"], _loop=loop, _stop=box["stop"], _thread=thread)
