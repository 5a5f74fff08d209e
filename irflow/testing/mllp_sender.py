"""A sending system for tests and the benchmark: python-hl7's MLLP client, one connection,
waiting for each acknowledgement as interface engines do."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime

from hl7.client import MLLPClient

END = b"\x1c\x0d"


class Sender:
    """`send(raw) -> ack bytes` over one connection (b"" when the listener closed it)."""

    def __init__(self, host: str, port: int, *, timeout: float = 30) -> None:
        self.client = MLLPClient(host, port)
        self.client.socket.settimeout(timeout)
        self.client.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are, no framing (broken frames, garbage)."""
        self.client.socket.sendall(data)

    def send(self, message: bytes | str) -> bytes:
        """One message framed by python-hl7's client; its ACK, without the MLLP blocks."""
        raw = message.encode() if isinstance(message, str) else message
        self.client.socket.sendall(b"\x0b" + raw + END)
        return self.read_ack()

    def read_ack(self) -> bytes:
        while END not in self._buffer:
            data = self.client.socket.recv(65536)
            if not data:
                return b""
            self._buffer += data
        block, _, self._buffer = self._buffer.partition(END)
        return block.lstrip(b"\x0b")


@dataclass(frozen=True)
class Ack:
    """The fields of an ACK a test looks at."""

    code: str  # MSA-1
    control_id: str  # MSA-2
    msh: list[str]
    text: str

    @classmethod
    def read(cls, raw: bytes, encoding: str = "latin-1") -> Ack:
        text = raw.decode(encoding)
        segments = {s.split("|", 1)[0]: s.split("|") for s in text.split("\r") if s}
        msa = segments.get("MSA", ["MSA", "", ""])
        return cls(code=msa[1], control_id=msa[2], msh=segments["MSH"], text=text)

    @property
    def message_type(self) -> str:
        return self.msh[8]


def adt_a04(mrn: str, *, control_id: str, family: str = "Test", given: str = "Pat") -> bytes:
    """A v2.5.1 ADT^A04 registering one patient."""
    now = datetime.now().strftime("%Y%m%d%H%M%S")
    return (
        f"MSH|^~\\&|ENGINE|HOSP|IRFLOW|IR|{now}||ADT^A04^ADT_A01|{control_id}|P|2.5.1\r"
        f"EVN|A04|{now}\r"
        f"PID|1||{mrn}^^^HOSP^MR||{family}^{given}||19600101|F\r"
        "PV1|1|O\r"
    ).encode()


def orm_o01(mrn: str, *, control_id: str, placer: str) -> bytes:
    """A v2.3.1 ORM^O01 new order for one patient."""
    now = datetime.now().strftime("%Y%m%d%H%M%S")
    return (
        f"MSH|^~\\&|ENGINE|HOSP|IRFLOW|IR|{now}||ORM^O01|{control_id}|P|2.3.1\r"
        f"PID|1||{mrn}^^^HOSP^MR||Test^Pat||19600101|F\r"
        "PV1|1|O\r"
        f"ORC|NW|{placer}^HOSP||||||||||1234^Referrer^Rita\r"
        f"OBR|1|{placer}^HOSP||IR001^Nephrostomy^L|||{now}\r"
    ).encode()
