"""The messages irflow sends, built from plain data (no Django).

irflow is IHE Scheduled Workflow's Order Filler and Report Manager. It sends:

- **ORU^R01** when a report is signed (RAD-28 style): OBR-25 `F`, and `C` when a signed
  addendum corrects it (the whole report again, with every signed addendum).
- **ORM^O01** (v2.3.1, with ZDS) or **OMI^O23** (v2.5.1, with TQ1 and IPC): the filler's
  order status (ORC-1 `SC` with ORC-5), and ORC-1 `SN` for the first message about an order
  irflow created itself (no placer order number: the placer is asked to number it, as in
  IHE RAD-3). irflow never sends `NW`: it does not place orders.
- **SIU^S12 / S13 / S15** when a booking is made, moved or cancelled.

Every value is escaped with the HL7 escapes (`\\F\\ \\S\\ \\R\\ \\E\\ \\T\\`, new lines
as `\\.br\\`) and then fitted to the destination's character set (MSH-18): a character the
set cannot hold is transliterated (`Łukasz` → `Lukasz`, `Müller` → `Muller` in ASCII, the
same table the DICOM worklist uses; typography as a typist writes it: `–` → `-`, `≥` → `>=`,
`“…”` → `"..."`), and what still cannot be held becomes `?`. irflow does
not write `\\Xhh\\` or `\\Mxxyy\\` escapes: many receivers do not decode them, and a name
the receiving screen cannot show anyway is better legible than escaped.

`EVENTS` and `FIELDS` list exactly what is written; docs/hl7-interface.md is generated from
them. Keep them next to the code that writes the fields.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from irflow.dicom.charset import transliterate
from irflow.hl7.fields import EventUse, FieldUse

SENDING_APPLICATION = "IRFLOW"
V231 = "2.3.1"
V251 = "2.5.1"
VERSIONS = (V231, V251)

# MSH-18 value -> the Python codec the bytes are written in.
CHARSET_CODECS: dict[str, str] = {
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "UNICODE UTF-8": "utf-8",
}

# LOINC 47048-4 "Diagnostic interventional study report" names the report's text rows.
REPORT_CODE = ("47048-4", "Diagnostic interventional study report", "LN")
PDF_CODE = ("47048-4", "Diagnostic interventional study report (PDF)", "LN")
STUDY_UID_CODE = ("113014", "DICOM Study", "DCM")

# irflow's order status -> ORC-5 (HL7 table 0038).
ORDER_STATUS_CODES = {
    "ordered": "IP",
    "scheduled": "SC",
    "in_progress": "IP",
    "completed": "CM",
    "discontinued": "DC",
    "cancelled": "CA",
}
# irflow's priority -> the TQ1-9 / ORC-7.6 priority (table 0485).
PRIORITY_CODES = {"emergent": "S", "urgent": "A", "routine": "R"}

EVENTS: list[EventUse] = []
FIELDS: list[FieldUse] = []


def _doc(messages: str, *uses: tuple[str, str, str]) -> None:
    for fld, meaning, irflow in uses:
        FIELDS.append(FieldUse(messages, fld, meaning, irflow))


class MessageError(ValueError):
    """The data cannot make this message (an unknown version or character set)."""


# Plain data the builders read.


@dataclass(frozen=True)
class Target:
    """Who the message is for, and how it is written."""

    version: str = V251
    charset: str = "UNICODE UTF-8"
    receiving_application: str = ""
    receiving_facility: str = ""
    sending_facility: str = ""
    processing_id: str = "P"


@dataclass(frozen=True)
class Identifier:
    value: str
    issuer: str
    kind: str = "MR"  # table 0203: MR, NI (national), …


@dataclass(frozen=True)
class PatientData:
    identifiers: Sequence[Identifier]
    family_name: str
    given_name: str
    birth_date: date | None = None
    sex: str = ""  # F, M, O, U
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Person:
    """A member of staff as HL7 names them (XCN / CNN)."""

    id: str
    family_name: str
    given_name: str = ""


@dataclass(frozen=True)
class OrderData:
    placer_order_number: str
    accession_number: str  # also irflow's filler order number
    requested_procedure_id: str
    study_instance_uid: str
    procedure_code: str
    procedure_text: str
    coding_system: str = "99IRFLOW"
    priority: str = "routine"
    status: str = "ordered"
    modality: str = ""
    ordered_at: datetime | None = None
    clinical_indication: str = ""


@dataclass(frozen=True)
class Addendum:
    text: str
    signed_by: Person
    signed_at: datetime


@dataclass(frozen=True)
class ReportData:
    text: str  # the signed report as text, lines separated by "\n"
    signed_by: Person
    signed_at: datetime
    procedure_at: datetime | None = None
    addenda: Sequence[Addendum] = ()
    pdf: bytes | None = None

    @property
    def corrected(self) -> bool:
        return bool(self.addenda)


@dataclass(frozen=True)
class BookingData:
    sps_id: str  # irflow's appointment id (the scheduled procedure step)
    start: datetime
    end: datetime
    room_code: str
    room_name: str
    modality: str = ""
    station_ae_title: str = ""
    operator: Person | None = None
    reason_code: str = ""  # why moved or cancelled
    reason_text: str = ""


@dataclass
class Built:
    """A message ready to store: its text (segments end \\r) and what it is."""

    message_type: str
    control_id: str
    text: str
    notes: list[str] = field(default_factory=list)  # what was transliterated, for the log


# Escaping and character sets.


def escape(text: str) -> str:
    """`text` made safe for one HL7 value with the standard separators `|^~\\&`."""
    out = text.replace("\\", "\\E\\")
    for char, code in (("|", "F"), ("^", "S"), ("~", "R"), ("&", "T")):
        out = out.replace(char, f"\\{code}\\")
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out.replace("\n", "\\.br\\")


# Typography that report text carries and ASCII/Latin-1 lack, written the way a typist would.
_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2192": "->",
    "\u00d7": "x",
    "\u00b5": "u",
    "\u00b0": " deg",
    "\u00b1": "+/-",
}


def fit(text: str, charset: str) -> str:
    """`text` as the character set can hold it: transliterated, else `?`."""
    codec = _codec(charset)
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode(codec)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        replacement = _PUNCTUATION.get(char) or transliterate(char)
        try:
            replacement.encode(codec)
            out.append(replacement)
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def encode(text: str, charset: str) -> bytes:
    """The message's bytes in its character set (the builders already fitted the text)."""
    return fit(text, charset).encode(_codec(charset))


def _codec(charset: str) -> str:
    try:
        return CHARSET_CODECS[charset]
    except KeyError:
        raise MessageError(
            f"Character set “{charset}” is not one irflow writes ({', '.join(CHARSET_CODECS)})."
        ) from None


def _ts(value: datetime | date | None) -> str:
    """HL7 TS/DTM: YYYYMMDDHHMMSS with the UTC offset when known; YYYYMMDD for a date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        stamp = value.strftime("%Y%m%d%H%M%S")
        return stamp + value.strftime("%z") if value.tzinfo else stamp
    return value.strftime("%Y%m%d")


def _c(*components: str) -> str:
    """Components (already escaped) joined with ^, trailing empties dropped."""
    return "^".join(components).rstrip("^")


def _sc(*subcomponents: str) -> str:
    return "&".join(subcomponents).rstrip("&")


class _Writer:
    def __init__(self, target: Target) -> None:
        if target.version not in VERSIONS:
            raise MessageError(f"HL7 version “{target.version}” is not one irflow writes.")
        _codec(target.charset)
        self.target = target
        self.segments: list[str] = []

    def v(self, text: str | None) -> str:
        """One value: escaped, fitted to the character set."""
        return escape(fit(text or "", self.target.charset))

    def add(self, name: str, *fields: str) -> None:
        values = list(fields)
        while values and values[-1] == "":
            values.pop()
        self.segments.append("|".join([name, *values]))

    def text(self) -> str:
        return "\r".join(self.segments) + "\r"


# MSH, PID, PV1: the same in every message.

_doc(
    "every message",
    ("MSH-3", "Sending application", "IRFLOW"),
    ("MSH-4", "Sending facility", "the site's name (IRFLOW_SITE_NAME)"),
    ("MSH-5", "Receiving application", "the destination's receiving application"),
    ("MSH-6", "Receiving facility", "the destination's receiving facility"),
    ("MSH-7", "Date/time of message", "when the message was built (the event's time)"),
    ("MSH-9", "Message type", "e.g. ORU^R01 (2.3.1) or ORU^R01^ORU_R01 (2.5.1)"),
    ("MSH-10", "Message control ID", "unique per message; the ACK's MSA-2 must echo it"),
    ("MSH-11", "Processing ID", "P"),
    ("MSH-12", "Version ID", "the destination's version: 2.3.1 or 2.5.1"),
    ("MSH-18", "Character set", "the destination's: ASCII, 8859/1 or UNICODE UTF-8"),
    ("PID-3", "Patient identifier list", "every identifier: value^^^issuer^type (MR, NI, …)"),
    ("PID-5", "Patient name", "family^given"),
    ("PID-7", "Date of birth", "YYYYMMDD"),
    ("PID-8", "Administrative sex", "F, M, O or U"),
    ("PID-11", "Patient address", "the address as one line (XAD-1)"),
    ("PID-13", "Phone number - home", "the phone number (XTN-1)"),
    ("PV1-2", "Patient class", "U (irflow does not keep the visit's class)"),
)


def _msh(w: _Writer, *, code: str, trigger: str, structure: str, control_id: str, now) -> None:
    t = w.target
    message_type = _c(code, trigger, structure if t.version == V251 else "")
    w.segments.append(
        "|".join(
            [
                "MSH",
                "^~\\&",
                SENDING_APPLICATION,
                w.v(t.sending_facility),
                w.v(t.receiving_application),
                w.v(t.receiving_facility),
                _ts(now),
                "",
                message_type,
                w.v(control_id),
                t.processing_id,
                t.version,
                "",
                "",
                "",
                "",
                "",
                t.charset,
            ]
        )
    )


def _pid(w: _Writer, patient: PatientData) -> None:
    ids = "~".join(
        _c(w.v(i.value), "", "", w.v(i.issuer), w.v(i.kind)) for i in patient.identifiers
    )
    sex = patient.sex.upper() if patient.sex.upper() in ("F", "M", "O", "U") else "U"
    w.add(
        "PID",
        "1",
        "",
        ids,
        "",
        _c(w.v(patient.family_name), w.v(patient.given_name)),
        "",
        _ts(patient.birth_date),
        sex,
        "",
        "",
        w.v(patient.address),
        "",
        w.v(patient.phone),
    )


def _pv1(w: _Writer) -> None:
    w.add("PV1", "1", "U")


def _xcn(w: _Writer, person: Person | None) -> str:
    if person is None:
        return ""
    return _c(w.v(person.id), w.v(person.family_name), w.v(person.given_name))


def _ei(w: _Writer, value: str) -> str:
    """An entity identifier: irflow's numbers carry the IRFLOW namespace."""
    return _c(w.v(value), SENDING_APPLICATION) if value else ""


def _procedure(w: _Writer, order: OrderData) -> str:
    return _c(w.v(order.procedure_code), w.v(order.procedure_text), w.v(order.coding_system))


# ORU^R01: a signed report.

EVENTS.append(
    EventUse(
        "ORU^R01",
        "2.3.1, 2.5.1",
        "sent when a report is signed (OBR-25 F) and again, whole, with every signed addendum "
        "when an addendum is signed (OBR-25 C); to each destination that sends results",
    )
)
_doc(
    "ORU^R01",
    ("ORC-1", "Order control", "RE (observations follow)"),
    ("ORC-2", "Placer order number", "the hospital's order number, when it placed the order"),
    ("ORC-3", "Filler order number", "irflow's accession number^IRFLOW"),
    ("ORC-5", "Order status", "CM"),
    ("OBR-2", "Placer order number", "as ORC-2"),
    ("OBR-3", "Filler order number", "as ORC-3"),
    ("OBR-4", "Universal service ID", "procedure code^name^coding system (the catalogue)"),
    ("OBR-7", "Observation date/time", "when the procedure started"),
    ("OBR-18", "Placer field 1", "accession number"),
    ("OBR-19", "Placer field 2", "requested procedure ID"),
    ("OBR-22", "Results rpt/status chng", "when the report (or the last addendum) was signed"),
    ("OBR-24", "Diagnostic serv sect ID", "RAD"),
    ("OBR-25", "Result status", "F: signed report; C: corrected by a signed addendum"),
    ("OBR-32", "Principal result interpreter", "the signer: user id&family&given"),
    (
        "OBX (TX)",
        "Observation: report text",
        "one OBX per line, OBX-3 47048-4^Diagnostic interventional study report^LN; "
        "OBX-4 1 for the report, 2, 3, … for each signed addendum; OBX-11 F or C",
    ),
    (
        "OBX (ED)",
        "Observation: the report as PDF",
        "when the destination wants it: OBX-5 ^application^pdf^Base64^<data>",
    ),
    (
        "OBX (ST) 113014^DICOM Study^DCM",
        "Study Instance UID",
        "2.5.1: the order's Study Instance UID",
    ),
    ("ZDS-1", "Study Instance UID", "2.3.1: uid^100^Application^DICOM"),
)


def oru_r01(
    *,
    target: Target,
    control_id: str,
    now: datetime,
    patient: PatientData,
    order: OrderData,
    report: ReportData,
) -> Built:
    """The result message of a signed report (and its signed addenda)."""
    w = _Writer(target)
    status = "C" if report.corrected else "F"
    _msh(w, code="ORU", trigger="R01", structure="ORU_R01", control_id=control_id, now=now)
    _pid(w, patient)
    _pv1(w)
    placer, filler = w.v(order.placer_order_number), _ei(w, order.accession_number)
    w.add("ORC", "RE", placer, filler, "", "CM")
    last = report.addenda[-1] if report.addenda else None
    result_at = last.signed_at if last else report.signed_at
    interpreter = _sc(
        w.v(report.signed_by.id),
        w.v(report.signed_by.family_name),
        w.v(report.signed_by.given_name),
    )
    obr = [""] * 32
    obr[0], obr[1], obr[2], obr[3] = "1", placer, filler, _procedure(w, order)
    obr[6] = _ts(report.procedure_at)
    obr[17], obr[18] = w.v(order.accession_number), w.v(order.requested_procedure_id)
    obr[21], obr[23], obr[24] = _ts(result_at), "RAD", status
    obr[31] = interpreter
    w.add("OBR", *obr)
    rows = 0

    def obx(kind: str, code: tuple[str, str, str], sub_id: str, value: str) -> None:
        nonlocal rows
        rows += 1
        coded = _c(*(w.v(c) for c in code))
        w.add("OBX", str(rows), kind, coded, sub_id, value, "", "", "", "", "", status)

    if target.version == V251 and order.study_instance_uid:
        obx("ST", STUDY_UID_CODE, "", w.v(order.study_instance_uid))
    for line in _lines(report.text):
        obx("TX", REPORT_CODE, "1", w.v(line))
    for n, addendum in enumerate(report.addenda, start=2):
        signer = addendum.signed_by
        heading = (
            f"Addendum signed by {signer.given_name} {signer.family_name} "
            f"on {addendum.signed_at:%Y-%m-%d %H:%M}:"
        ).replace("  ", " ")
        for line in [heading, *_lines(addendum.text)]:
            obx("TX", REPORT_CODE, str(n), w.v(line))
    if report.pdf is not None:
        data = base64.b64encode(report.pdf).decode("ascii")
        obx("ED", PDF_CODE, "", _c("", "application", "pdf", "Base64", data))
    if target.version == V231 and order.study_instance_uid:
        w.add("ZDS", _c(w.v(order.study_instance_uid), "100", "Application", "DICOM"))
    return Built("ORU^R01", control_id, w.text())


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines or [""]


# ORM^O01 / OMI^O23: the filler's order status.

EVENTS.append(
    EventUse(
        "ORM^O01",
        "2.3.1",
        "sent to destinations on 2.3.1 that send orders, when an order's status changes "
        "(booked, started, completed, discontinued, cancelled, back to unscheduled)",
    )
)
EVENTS.append(
    EventUse(
        "OMI^O23",
        "2.5.1",
        "the same for destinations on 2.5.1, with TQ1 and IPC",
    )
)
_doc(
    "ORM^O01, OMI^O23",
    (
        "ORC-1",
        "Order control",
        "SC (status changed); SN on the first message about an order irflow created itself "
        "(no placer order number); OC when the order is cancelled",
    ),
    ("ORC-2", "Placer order number", "the hospital's order number, when it placed the order"),
    ("ORC-3", "Filler order number", "irflow's accession number^IRFLOW"),
    (
        "ORC-5",
        "Order status",
        "SC scheduled, IP ordered or in progress, CM completed, DC discontinued, CA cancelled",
    ),
    ("ORC-7.6", "Priority (2.3.1)", "S emergent, A urgent, R routine"),
    ("OBR-4", "Universal service ID", "procedure code^name^coding system"),
    ("OBR-13", "Relevant clinical info", "the order's clinical indication"),
    ("OBR-18", "Placer field 1", "accession number"),
    ("OBR-19", "Placer field 2", "requested procedure ID"),
    ("OBR-20", "Filler field 1", "scheduled procedure step ID (the booking), when booked"),
    ("OBR-24", "Diagnostic serv sect ID", "the booked room's modality"),
    ("OBR-27", "Quantity/timing (2.3.1)", "^^^start^^priority"),
    ("TQ1-7", "Start date/time (2.5.1)", "the booking's start"),
    ("TQ1-9", "Priority (2.5.1)", "S emergent, A urgent, R routine"),
    ("IPC-1", "Accession identifier (2.5.1)", "accession number"),
    ("IPC-2", "Requested procedure ID (2.5.1)", "requested procedure ID"),
    ("IPC-3", "Study Instance UID (2.5.1)", "the order's Study Instance UID"),
    ("IPC-4", "Scheduled procedure step ID (2.5.1)", "the booking's step ID"),
    ("IPC-5", "Modality (2.5.1)", "the booked room's modality"),
    ("IPC-9", "Scheduled station AE title (2.5.1)", "the booked room's AE title"),
    ("ZDS-1", "Study Instance UID (2.3.1)", "uid^100^Application^DICOM"),
)


def order_status(
    *,
    target: Target,
    control_id: str,
    now: datetime,
    patient: PatientData,
    order: OrderData,
    booking: BookingData | None = None,
    first: bool = False,
) -> Built:
    """The filler's order status message: ORM^O01 (2.3.1) or OMI^O23 (2.5.1)."""
    w = _Writer(target)
    v251 = target.version == V251
    code, trigger, structure = ("OMI", "O23", "OMI_O23") if v251 else ("ORM", "O01", "")
    _msh(w, code=code, trigger=trigger, structure=structure, control_id=control_id, now=now)
    _pid(w, patient)
    _pv1(w)
    placer, filler = w.v(order.placer_order_number), _ei(w, order.accession_number)
    if order.status == "cancelled":
        control = "OC"
    elif first and not order.placer_order_number:
        control = "SN"
    else:
        control = "SC"
    priority = PRIORITY_CODES.get(order.priority, "R")
    start = _ts(booking.start) if booking else ""
    orc = [control, placer, filler, "", ORDER_STATUS_CODES.get(order.status, "IP")]
    if not v251:
        orc += ["", _c("", "", "", start, "", priority)]
    w.add("ORC", *orc)
    if v251:
        w.add("TQ1", "1", "", "", "", "", "", start, "", priority)
    obr = [""] * 27
    obr[0], obr[1], obr[2], obr[3] = "1", placer, filler, _procedure(w, order)
    obr[12] = w.v(order.clinical_indication)
    obr[17], obr[18] = w.v(order.accession_number), w.v(order.requested_procedure_id)
    obr[19] = w.v(booking.sps_id) if booking else ""
    obr[23] = w.v(booking.modality if booking else order.modality)
    if not v251:
        obr[26] = _c("", "", "", start, "", priority)
    w.add("OBR", *obr)
    if v251:
        w.add(
            "IPC",
            w.v(order.accession_number),
            w.v(order.requested_procedure_id),
            w.v(order.study_instance_uid),
            w.v(booking.sps_id) if booking else "",
            w.v(booking.modality if booking else order.modality),
            "",
            "",
            "",
            w.v(booking.station_ae_title) if booking else "",
        )
    elif order.study_instance_uid:
        w.add("ZDS", _c(w.v(order.study_instance_uid), "100", "Application", "DICOM"))
    return Built(f"{code}^{trigger}", control_id, w.text())


# SIU^S12/S13/S15: bookings.

SIU_TRIGGERS = {"booked": "S12", "rescheduled": "S13", "cancelled": "S15"}
EVENTS.append(
    EventUse(
        "SIU^S12",
        "2.3.1, 2.5.1",
        "sent when a procedure is booked, to each destination that sends schedules",
    )
)
EVENTS.append(EventUse("SIU^S13", "2.3.1, 2.5.1", "sent when a booking is moved"))
EVENTS.append(EventUse("SIU^S15", "2.3.1, 2.5.1", "sent when a booking is cancelled"))
_doc(
    "SIU^S12/S13/S15",
    ("SCH-1", "Placer appointment ID", "the hospital's order number, when it placed the order"),
    ("SCH-2", "Filler appointment ID", "the booking's step ID^IRFLOW"),
    (
        "SCH-6",
        "Event reason",
        "S13/S15: irflow's reason code^text^99IRFLOW (why moved or cancelled)",
    ),
    ("SCH-7", "Appointment reason", "procedure code^name^coding system"),
    ("SCH-9", "Appointment duration", "minutes"),
    ("SCH-10", "Appointment duration units", "min"),
    ("SCH-11", "Appointment timing quantity", "^^duration^start^end"),
    ("SCH-25", "Filler status code", "Booked, or Cancelled"),
    ("SCH-26", "Placer order number (2.5.1)", "the hospital's order number"),
    ("SCH-27", "Filler order number (2.5.1)", "accession number^IRFLOW"),
    ("RGS-1", "Set ID", "1"),
    ("AIS-3", "Universal service ID", "procedure code^name^coding system"),
    ("AIS-4", "Start date/time", "the booking's start"),
    ("AIS-7", "Duration", "minutes (AIS-8 min)"),
    ("AIL-3", "Location resource ID", "^room code^^^^^^^room name"),
    ("AIL-6", "Start date/time", "the booking's start"),
    ("AIP-3", "Personnel resource ID", "the primary operator: user id^family^given"),
    ("AIP-4", "Resource role", "OP^Primary operator^99IRFLOW"),
    ("AIP-6", "Start date/time", "the booking's start"),
)


def siu(
    *,
    target: Target,
    control_id: str,
    now: datetime,
    event: str,
    patient: PatientData,
    order: OrderData,
    booking: BookingData,
) -> Built:
    """SIU^S12 (booked), S13 (rescheduled) or S15 (cancelled) for one booking."""
    try:
        trigger = SIU_TRIGGERS[event]
    except KeyError:
        raise MessageError(f"“{event}” is not a booking event irflow sends.") from None
    w = _Writer(target)
    v251 = target.version == V251
    _msh(w, code="SIU", trigger=trigger, structure="SIU_S12", control_id=control_id, now=now)
    minutes = str(int((booking.end - booking.start).total_seconds() // 60))
    start, end = _ts(booking.start), _ts(booking.end)
    reason = ""
    if trigger != "S12" and (booking.reason_code or booking.reason_text):
        reason = _c(w.v(booking.reason_code), w.v(booking.reason_text), "99IRFLOW")
    sch = [""] * 27
    sch[0], sch[1] = w.v(order.placer_order_number), _ei(w, booking.sps_id)
    sch[5], sch[6] = reason, _procedure(w, order)
    sch[8], sch[9] = minutes, "min"
    sch[10] = _c("", "", minutes, start, end)
    sch[24] = "Cancelled" if trigger == "S15" else "Booked"
    if v251:
        sch[25], sch[26] = w.v(order.placer_order_number), _ei(w, order.accession_number)
    w.add("SCH", *sch)
    _pid(w, patient)
    _pv1(w)
    w.add("RGS", "1")
    w.add("AIS", "1", "", _procedure(w, order), start, "", "", minutes, "min")
    room = _c("", w.v(booking.room_code), "", "", "", "", "", "", w.v(booking.room_name))
    w.add("AIL", "1", "", room, "", "", start)
    if booking.operator is not None:
        w.add(
            "AIP",
            "1",
            "",
            _xcn(w, booking.operator),
            _c("OP", "Primary operator", "99IRFLOW"),
            "",
            start,
        )
    return Built(f"SIU^{trigger}", control_id, w.text())
