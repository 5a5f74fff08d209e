"""Worklist answers straight to the wire: each item encoded to bytes by a plan made once per
query, each pending C-FIND-RSP handed to the association as P-DATA.

pynetdicom answers a C-FIND by building a pydicom `Dataset` per item, encoding it, building
and encoding the C-FIND-RSP command set per item, and fragmenting both; about 1.5 ms per item
of Python, so a worklist of hundreds of steps took seconds. Here, per query:

- `IdentifierPlan` resolves the requested keys once (tags sorted, element headers packed, the
  keys irflow has no value for encoded once) and caches the encoding of every value it meets,
  so an item costs a few dictionary look-ups and byte joins;
- `PendingSender` encodes the C-FIND-RSP command set once with pynetdicom's own message
  classes and fragments each answer exactly as pynetdicom does (`encode_msg`: the command in
  one P-DATA, the identifier in the next, fragments of at most the peer's maximum PDU).

The bytes are those pynetdicom would send for `irflow.dicom.worklist.build_response`'s
dataset: the tests hold the two together for every key, both little-endian transfer syntaxes
and the response character sets. Other transfer syntaxes (deflated, big endian) are answered
through pynetdicom (`handlers.find`).
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from datetime import date
from datetime import time as dtime
from io import BytesIO

from pydicom.charset import python_encoding
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pydicom.valuerep import format_number_as_ds
from pynetdicom.dimse_messages import C_FIND_RSP
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.dsutils import encode
from pynetdicom.pdu_primitives import P_DATA

from irflow.dicom.charset import CHARSET_VRS, DEFAULT_CHARSET, fit_text, response_charset_value
from irflow.dicom.worklist import ReturnKey, WorklistQuery
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec, specs_by_tag
from irflow.dicom.worklist.values import format_da, format_tm

logger = logging.getLogger("irflow.dicom.worklist.response")

# The transfer syntaxes this module writes; the others go through pydicom.
SYNTAXES: dict[str, bool] = {ImplicitVRLittleEndian: True, ExplicitVRLittleEndian: False}
# Explicit VR: these VRs have a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2).
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
# Numbers written binary (PS3.5 6.2).
BINARY = {"US": "<H", "SS": "<h", "UL": "<I", "SL": "<i"}
TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM"})
TEXT_VRS = TEXT_VRS | frozenset({"UC", "UI", "UR", "UT"})
ITEM = struct.pack("<HH", 0xFFFE, 0xE000)
# Pending answers the association may hold unsent before the handler waits for it to catch up.
MAX_QUEUED = 128


class Unencodable(ValueError):
    """A value irflow cannot write in the negotiated transfer syntax or character set."""


def _header(tag: int, vr: str, length: int, implicit: bool) -> bytes:
    group_element = struct.pack("<HH", tag >> 16, tag & 0xFFFF)
    if implicit:
        return group_element + struct.pack("<I", length)
    if vr in LONG_VRS:
        return group_element + vr.encode("ascii") + b"\0\0" + struct.pack("<I", length)
    if length > 0xFFFF:
        raise Unencodable(f"{vr} value of {length} bytes")
    return group_element + vr.encode("ascii") + struct.pack("<H", length)


def _pn(text: str) -> str:
    """pydicom drops empty component groups at the end of a name when it writes one."""
    groups = text.split("=")
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


class _Leaf:
    """One requested element with a value from the item, encoded once per distinct value."""

    __slots__ = ("cache", "charset", "codec", "get", "implicit", "keyword", "tag", "vr")

    def __init__(
        self, spec: KeySpec, tag: int, get: Callable, charset: str, codec: str, implicit: bool
    ):
        self.tag, self.vr, self.keyword = tag, spec.vr, spec.keyword
        self.get, self.charset, self.codec, self.implicit = get, charset, codec, implicit
        self.cache: dict[object, bytes] = {}

    def encode(self, source: object) -> bytes:
        value = self.get(source)
        try:
            return self.cache[value]
        except KeyError:
            encoded = self.cache[value] = self._element(value)
            return encoded
        except TypeError:  # not hashable: not worth caching
            return self._element(value)

    def _text(self, text: str) -> str:
        fitted, changed = fit_text(text, self.charset, vr=self.vr)
        if changed:
            # The keyword only: values are patient data and stay out of logs.
            logger.info("transliterated %s for charset %s", self.keyword, self.charset)
        return fitted

    def _element(self, value: object) -> bytes:
        """As `build_response` makes the value and pydicom writes it."""
        vr = self.vr
        data: bytes
        if value is None or value == "" or value == ():
            data = b""
        elif vr in BINARY and isinstance(value, int):
            data = struct.pack(BINARY[vr], value)
        else:
            if vr not in TEXT_VRS:
                raise Unencodable(f"{self.keyword}: {vr}")
            if isinstance(value, date) and vr == "DA":
                text = format_da(value)
            elif isinstance(value, dtime) and vr == "TM":
                text = format_tm(value)
            elif vr == "DS" and isinstance(value, int | float):
                text = format_number_as_ds(float(value))
            elif isinstance(value, tuple):
                text = "\\".join(self._text(str(v)) for v in value)
            else:
                text = self._text(str(value))
            if vr == "PN":
                text = _pn(text)
            codec = self.codec if vr in CHARSET_VRS else "latin_1"
            try:
                data = text.encode(codec)
            except UnicodeEncodeError as exc:
                raise Unencodable(f"{self.keyword}: not {codec}") from exc
            if len(data) % 2:
                data += b"\0" if vr == "UI" else b" "
        return _header(self.tag, vr, len(data), self.implicit) + data


class _Sequence:
    """A requested sequence: its items from the item itself (flat), from a field, or none."""

    __slots__ = ("get", "implicit", "plan", "tag")

    def __init__(self, tag: int, get: Callable | None, plan: IdentifierPlan | None, implicit):
        self.tag, self.get, self.plan, self.implicit = tag, get, plan, implicit

    def encode(self, source: object) -> bytes:
        if self.plan is None:
            return _header(self.tag, "SQ", 0, self.implicit)
        if self.get is None:
            nested: list[object] = [source]
        else:
            value = self.get(source)
            nested = list(value) if isinstance(value, tuple) else [value] if value else []
        items = []
        for one in nested:
            body = self.plan.encode(one)
            items.append(ITEM + struct.pack("<I", len(body)) + body)
        data = b"".join(items)
        return _header(self.tag, "SQ", len(data), self.implicit) + data


class _Constant:
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def encode(self, source: object) -> bytes:
        return self.data


def _getter(path: str) -> Callable[[object], object]:
    """The value at a dotted `WorklistItem` path, as `irflow.dicom.worklist.resolve` reads
    it (`sps_start.date`, `requested_procedure_code.value`)."""
    parts = path.split(".")
    if len(parts) == 1:
        name = parts[0]
        return lambda obj: getattr(obj, name)
    if len(parts) == 2 and parts[1] in ("date", "time"):
        name, part = parts

        def moment(obj: object) -> object:
            value = getattr(obj, name)
            if value is None:
                return None
            return value.date() if part == "date" else value.time()

        return moment

    def walk(obj: object) -> object:
        value = obj
        for part in parts:
            if value is None:
                return None
            value = getattr(value, part)
        return value

    return walk


class IdentifierPlan:
    """How every item of one query is written: its requested keys, in tag order."""

    def __init__(
        self,
        keys: tuple[ReturnKey, ...],
        specs: tuple[KeySpec, ...],
        *,
        charset: str,
        implicit: bool,
        field_prefix: str = "",
        top: bool = False,
    ) -> None:
        codec = "ascii" if charset == DEFAULT_CHARSET else python_encoding[charset]
        by_tag = specs_by_tag(specs)
        parts: dict[int, _Leaf | _Sequence | _Constant] = {}
        if top:
            term = response_charset_value(charset)
            if term is not None:
                cs = KeySpec("SpecificCharacterSet", "CS")
                leaf = _Leaf(cs, 0x00080005, lambda _: None, charset, codec, implicit)
                parts[0x00080005] = _Constant(leaf._element(term))
        for key in keys:
            spec = by_tag.get(key.tag)
            if spec is None:
                # Unknown or private keys are echoed zero-length: requested, no value known.
                parts[key.tag] = _Constant(_header(key.tag, key.vr, 0, implicit))
            elif spec.vr == "SQ":
                parts[key.tag] = self._sequence(key, spec, charset, implicit, field_prefix)
            elif spec.field is None:
                parts[key.tag] = _Constant(_header(key.tag, spec.vr, 0, implicit))
            else:
                get = _getter(field_prefix + spec.field)
                parts[key.tag] = _Leaf(spec, key.tag, get, charset, codec, implicit)
        self.parts = [parts[tag] for tag in sorted(parts)]

    @staticmethod
    def _sequence(key, spec, charset, implicit, field_prefix) -> _Sequence:
        item_keys = key.item_keys or tuple(ReturnKey(s.tag, s.keyword, s.vr) for s in spec.items)
        if spec.flat:
            plan = IdentifierPlan(
                item_keys, spec.items, charset=charset, implicit=implicit, field_prefix=field_prefix
            )
            return _Sequence(key.tag, None, plan, implicit)
        if spec.field is None:
            return _Sequence(key.tag, None, None, implicit)
        plan = IdentifierPlan(item_keys, spec.items, charset=charset, implicit=implicit)
        return _Sequence(key.tag, _getter(field_prefix + spec.field), plan, implicit)

    def encode(self, item: object) -> bytes:
        """The identifier of `item`, encoded."""
        return b"".join([part.encode(item) for part in self.parts])


def identifier_plan(query: WorklistQuery, charset: str, transfer_syntax: str) -> IdentifierPlan:
    """The plan for the answers to `query` in `charset` and a little-endian `transfer_syntax`
    (one of `SYNTAXES`)."""
    return IdentifierPlan(
        query.return_keys,
        TOP_KEYS,
        charset=charset,
        implicit=SYNTAXES[transfer_syntax],
        top=True,
    )


class PendingMessage:
    """The C-FIND-RSP of one pending answer, as pynetdicom fragments it into P-DATA."""

    def __init__(self, context_id: int, request, status: int, maximum_length: int) -> None:
        response = C_FIND()
        response.MessageID = request.MessageID
        response.MessageIDBeingRespondedTo = request.MessageID
        response.AffectedSOPClassUID = request.AffectedSOPClassUID
        response.Status = status
        response.Identifier = BytesIO(b"\0")  # an identifier follows each pending answer
        message = C_FIND_RSP()
        message.primitive_to_message(response)
        command = encode(message.command_set, True, True)  # always implicit VR LE
        assert command is not None
        self.command: bytes = command
        self.context_id = context_id
        # The peer's maximum P-DATA length (0: no limit) less the PDV item header.
        self.fragment = max(0, maximum_length - 6)

    def primitives(self, identifier: bytes) -> list[P_DATA]:
        """Command fragments, then identifier fragments, each in a P-DATA of its own
        (PS3.8 Annex E message control header: 1, 3 last for the command; 0, 2 last for data)."""
        out = []
        for data, more, last in ((self.command, 1, 3), (identifier, 0, 2)):
            size = self.fragment or len(data)
            chunks = [data[i : i + size] for i in range(0, len(data), size)]
            for n, chunk in enumerate(chunks):
                pdata = P_DATA()
                header = bytes([last if n == len(chunks) - 1 else more])
                pdata.presentation_data_value_list.append((self.context_id, header + chunk))
                out.append(pdata)
        return out


class PendingSender:
    """Sends the pending answers of one C-FIND on the association serving it, through the
    association's own socket thread (as pynetdicom's DIMSE provider does)."""

    def __init__(self, assoc, context_id: int, request, status: int) -> None:
        maximum_length = int(assoc.requestor.maximum_length or 0)
        self.message = PendingMessage(context_id, request, status, maximum_length)
        self.assoc = assoc
        self.queue = assoc.dul.to_provider_queue
        self.send_pdu = assoc.dul.send_pdu
        self.stall_s = float(assoc.network_timeout or 60)

    def open(self) -> bool:
        """The association can still carry answers. Only the association's own thread (the
        one answering) marks it ended, so an abort from the peer shows in the socket thread:
        an abort waiting to be read, or the thread gone."""
        assoc = self.assoc
        return assoc.is_established and assoc.dul.is_alive() and not assoc.acse.is_aborted()

    def drained(self) -> bool:
        """Wait until the socket thread has caught up with the answers queued; False if the
        association ends meanwhile or nothing leaves for the network timeout."""
        last, since = self.queue.qsize(), time.monotonic()
        while (size := self.queue.qsize()) > MAX_QUEUED:
            if not self.open():
                return False
            if size < last:
                last, since = size, time.monotonic()
            elif time.monotonic() - since > self.stall_s:
                return False
            time.sleep(0.0005)
        return True

    def send(self, identifier: bytes) -> bool:
        """Queue one pending answer; False once the association has ended (the handler then
        stops, and the association's thread sees the abort as soon as it returns)."""
        if not self.drained() or not self.open():
            return False
        for pdata in self.message.primitives(identifier):
            self.send_pdu(pdata)
        return True


def dataset_bytes(ds: Dataset, transfer_syntax: str) -> bytes:
    """How pynetdicom encodes a response dataset (for the tests)."""
    data = encode(ds, SYNTAXES[transfer_syntax], True)
    assert data is not None
    return data
