"""What ADT and order messages say, read into plain data (no Django).

`patient_data(msg)`, `merge_data(msg)` and `order_data(msg)` read a parsed `Message` into
dataclasses; `irflow.hl7server.apply` decides what irflow does with them. What is not there
is None ("leave the value as it is"); HL7's null, two double quotes `""`, is the empty string
("clear it"). A value that cannot be read is an `HL7Error` naming the field (AE): 101 for a
required value that is missing, 102 for a value of the wrong form, 103 for a code irflow does
not know.

`EVENTS` and `FIELDS` say exactly what is read and what irflow does with it; docs/
hl7-interface.md is generated from them. Keep them in step with the code beside them.

Real senders' quirks this reader takes: Epic's ORM^O01 v2.3 (phone as text in PID-13.1,
priority in ORC-7.6, no assigning authority), dcm4che's order that says OMI^O23 but is laid
out as an ORM with a ZDS segment, IPC keys of OMI^O23, NIST's PID-3.4 with the authority as
`namespace&OID&ISO`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from irflow.hl7.fields import EventUse, FieldUse
from irflow.hl7.parse import (
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    TABLE_VALUE_NOT_FOUND,
    HL7Error,
    Message,
    Segment,
)

NULL = '""'  # HL7's explicit null: the receiver clears the value

ADT = "ADT A01/A04/A05/A08/A31/A40/A47"
ORDERS = "ORM^O01, OMI^O23, OMG^O19"

EVENTS: list[EventUse] = [
    EventUse(
        "ADT^A01, ADT^A04, ADT^A05, ADT^A08, ADT^A31",
        "2.3 – 2.5.1",
        "Creates the patient (identified by PID-3 identifier + assigning authority) or "
        "updates what the message says; AA.",
    ),
    EventUse(
        "ADT^A40",
        "2.3 – 2.5.1",
        "Merges the patient of MRG-1 into the patient of PID-3 through irflow's merge "
        "(the duplicate stays, inactive; everything it had moves). Later messages naming "
        "the merged identifier: IRFLOW_HL7_MERGED_IDENTIFIER.",
    ),
    EventUse(
        "ADT^A47",
        "2.3 – 2.5.1",
        "Changes the identifier MRG-1 of a patient to PID-3 (same patient, history kept).",
    ),
    EventUse(
        "ADT (any other trigger: A02, A03, A06, A07, A11, …)",
        "2.3 – 2.5.1",
        "Acknowledged AA and recorded as ignored: irflow does not track stays.",
    ),
    EventUse(
        "ORM^O01",
        "2.3, 2.3.1 (ZDS Study Instance UID), 2.5.1",
        "ORC-1 NW creates the order (known procedure code) or a referral in the triage "
        "queue (unknown code); CA cancels; XO and SC update; other controls are ignored (AA).",
    ),
    EventUse("OMI^O23", "2.5.1 (IPC keys)", "As ORM^O01."),
    EventUse("OMG^O19", "2.5.1", "As ORM^O01."),
    EventUse(
        "Any other message type",
        "—",
        "AR, error 200 (unsupported message type); a known type with an unknown trigger: "
        "AR, error 201.",
    ),
]

FIELDS: list[FieldUse] = []


def _uses(messages: str, location: str, meaning: str, irflow: str) -> None:
    FIELDS.append(FieldUse(messages, location, meaning, irflow))


# ---------------------------------------------------------------- values


def _opt(value: str) -> str | None:
    """None when absent, "" for HL7's null, else the value stripped."""
    if value == "":
        return None
    if value.strip() == NULL:
        return ""
    return value.strip()


_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$")


def read_date(value: str, location: str) -> date:
    """YYYYMMDD[HHMM[SS[.S]]][+ZZZZ] → its date; a partial or bad date is an AE (102)."""
    match = _TS.match(value.strip())
    if match is None or match.group(3) is None:
        raise HL7Error(
            f"“{value}” is not a full date (YYYYMMDD).",
            location=location,
            error_code=DATA_TYPE_ERROR,
        )
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise HL7Error(
            f"“{value}” is not a date.", location=location, error_code=DATA_TYPE_ERROR
        ) from exc


def read_datetime(value: str, location: str) -> datetime | None:
    """A TS down to the minute at least (local time as sent); None when empty."""
    value = value.strip()
    if not value or value == NULL:
        return None
    match = _TS.match(value)
    if match is None or match.group(3) is None:
        raise HL7Error(
            f"“{value}” is not a date and time (YYYYMMDDHHMM).",
            location=location,
            error_code=DATA_TYPE_ERROR,
        )
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in match.groups()[:6])
    try:
        return datetime(y, mo, d, h, mi, sec)  # the sender's local time, as sent
    except ValueError as exc:
        raise HL7Error(
            f"“{value}” is not a date and time.", location=location, error_code=DATA_TYPE_ERROR
        ) from exc


# ---------------------------------------------------------------- patients

# PID-8 (table 0001) → irflow's Sex values.
SEX = {"F": "F", "M": "M", "O": "O", "U": "U", "A": "O", "N": "U", "X": "O"}

# PID-3.5 identifier types (table 0203) that are national numbers.
NATIONAL_TYPES = frozenset({"NH", "NI", "NN", "SB", "SS"})

_PHONE = re.compile(r"^[0-9 ()+\-./xX#*]*$")


@dataclass(frozen=True)
class IdentifierData:
    value: str
    authority: str  # PID-3.4 (namespace, else universal ID)
    type_code: str  # PID-3.5, e.g. MR, NH
    location: str  # where it was read, e.g. PID-3 or PID-19

    @property
    def national(self) -> bool:
        return self.type_code.upper() in NATIONAL_TYPES or self.location == "PID-19"


@dataclass(frozen=True)
class PatientData:
    identifiers: list[IdentifierData]
    family_name: str | None = None
    given_name: str | None = None
    birth_date: date | None = None
    birth_date_cleared: bool = False
    sex: str | None = None
    address: str | None = None
    phone: str | None = None

    @property
    def key(self) -> str:
        first = self.identifiers[0]
        return f"{first.value}^^^{first.authority}" if first.authority else first.value


def _authority(segment: Segment, field: int, repetition: int) -> str:
    namespace = segment.get(field, 4, 1, repetition)
    return (namespace or segment.get(field, 4, 2, repetition)).strip()


def _identifiers(pid: Segment) -> list[IdentifierData]:
    found = []
    for rep in range(pid.repetitions(3)):
        value = pid.get(3, 1, 1, rep).strip()
        if not value or value == NULL:
            continue
        found.append(
            IdentifierData(
                value=value,
                authority=_authority(pid, 3, rep),
                type_code=pid.get(3, 5, 1, rep).strip(),
                location="PID-3",
            )
        )
    return found


_uses(ADT + ", " + ORDERS, "PID-3.1", "Patient identifier", "The patient's identifier value.")
_uses(
    ADT + ", " + ORDERS,
    "PID-3.4",
    "Assigning authority",
    "irflow's issuer (IRFLOW_HL7_ISSUERS maps names; empty: the hospital MRN issuer "
    "IRFLOW_MRN_ISSUER). Identifier + issuer finds the patient.",
)
_uses(
    ADT + ", " + ORDERS,
    "PID-3.5",
    "Identifier type code",
    "NH, NI, NN, SB, SS: a national number (added to the record, never used to find it); "
    "MR, MRN, PI, PT, PN, EPI or none: a medical record number; others: another identifier.",
)


def _phone(pid: Segment, field: int) -> str | None:
    """The first telephone number of PID-13/14 (not e-mail): 2.3 text in .1, 2.5 parts."""
    if pid.raw(field) == "":
        return None
    if pid.raw(field).strip() == NULL:
        return ""
    for rep in range(pid.repetitions(field)):
        equipment = pid.get(field, 3, 1, rep).upper()
        use = pid.get(field, 2, 1, rep).upper()
        if equipment in ("INTERNET", "X.400") or use == "NET":
            continue
        text = pid.get(field, 1, 1, rep).strip()
        if not text:
            parts = [pid.get(field, c, 1, rep).strip() for c in (5, 6, 7)]
            country, area, local = parts
            text = " ".join(p for p in (f"+{country}" if country else "", area, local) if p)
            extension = pid.get(field, 8, 1, rep).strip()
            if text and extension:
                text += f" x{extension}"
        if not text:
            continue
        if not _PHONE.match(text):
            raise HL7Error(
                f"“{text}” is not a telephone number.",
                location=f"PID-{field}",
                error_code=DATA_TYPE_ERROR,
            )
        return text
    return None


def _first_phone(pid: Segment) -> str | None:
    home = _phone(pid, 13)
    return home if home is not None else _phone(pid, 14)


def _address(pid: Segment) -> str | None:
    raw = pid.raw(11)
    if raw == "":
        return None
    if raw.strip() == NULL:
        return ""
    street = ", ".join(p for p in (pid.get(11, 1).strip(), pid.get(11, 2).strip()) if p)
    town = " ".join(p for p in (pid.get(11, 3).strip(), pid.get(11, 4).strip()) if p)
    postcode = pid.get(11, 5).strip()
    country = pid.get(11, 6).strip()
    return ", ".join(p for p in (street, town, postcode, country) if p) or None


def patient_data(msg: Message) -> PatientData:
    """PID of the message, read; no PID or no identifier in PID-3 is an AE (101)."""
    pid = msg.first("PID")
    if pid is None:
        raise HL7Error(
            "The message has no PID segment.", location="PID", error_code=REQUIRED_FIELD_MISSING
        )
    identifiers = _identifiers(pid)
    if not identifiers:
        raise HL7Error(
            "PID-3 gives no patient identifier.",
            location="PID-3",
            error_code=REQUIRED_FIELD_MISSING,
        )
    ssn = pid.get(19).strip()
    if ssn and ssn != NULL:
        identifiers.append(IdentifierData(ssn, "", "SS", "PID-19"))
    birth = _opt(pid.get(7))
    sex = _opt(pid.get(8))
    if sex:
        mapped = SEX.get(sex.upper())
        if mapped is None:
            raise HL7Error(
                f"“{sex}” is not a sex of table 0001 (F, M, O, U, A, N).",
                location="PID-8",
                error_code=TABLE_VALUE_NOT_FOUND,
            )
        sex = mapped
    return PatientData(
        identifiers=identifiers,
        family_name=_opt(pid.get(5, 1)),
        given_name=_opt(pid.get(5, 2)),
        birth_date=read_date(birth, "PID-7") if birth else None,
        birth_date_cleared=birth == "",
        sex=sex,
        address=_address(pid),
        phone=_first_phone(pid),
    )


_uses(ADT + ", " + ORDERS, "PID-5.1", "Family name", 'Family name (required; "" is refused).')
_uses(ADT + ", " + ORDERS, "PID-5.2", "Given name", 'Given name (required; "" is refused).')
_uses(
    ADT + ", " + ORDERS,
    "PID-7",
    "Date of birth",
    "Date of birth (YYYYMMDD at least; a partial date is an AE, error 102; required to "
    'register a patient; "" is refused).',
)
_uses(
    ADT + ", " + ORDERS,
    "PID-8",
    "Administrative sex",
    "F, M, O, U; A → O, N → U; anything else is an AE (error 103).",
)
_uses(
    ADT + ", " + ORDERS,
    "PID-11",
    "Patient address",
    "Address, one line: street, other, city and state, postcode, country.",
)
_uses(
    ADT + ", " + ORDERS,
    "PID-13, PID-14",
    "Phone number home, business",
    "Phone: the first telephone of PID-13 (else PID-14); 2.3 text or 2.5 country/area/"
    "local/extension; e-mail repetitions skipped; letters are an AE (error 102).",
)
_uses(
    ADT + ", " + ORDERS,
    "PID-19",
    "SSN number",
    "A national identifier (issuer IRFLOW_HL7_SSN_ISSUER), added to the record unless "
    "another patient has it (the outcome says so); never used to find the patient.",
)


@dataclass(frozen=True)
class MergeData:
    identifier: IdentifierData  # MRG-1: the record that goes (A40) / the old identifier (A47)
    name: str  # MRG-7, as sent, for the outcome


def merge_data(msg: Message) -> MergeData:
    mrg = msg.first("MRG")
    if mrg is None:
        raise HL7Error(
            "The message has no MRG segment.", location="MRG", error_code=REQUIRED_FIELD_MISSING
        )
    value = mrg.get(1).strip()
    if not value or value == NULL:
        raise HL7Error(
            "MRG-1 gives no identifier.", location="MRG-1", error_code=REQUIRED_FIELD_MISSING
        )
    ident = IdentifierData(value, _authority(mrg, 1, 0), mrg.get(1, 5).strip(), "MRG-1")
    name = " ".join(p for p in (mrg.get(7, 2).strip(), mrg.get(7, 1).strip()) if p)
    return MergeData(identifier=ident, name=name)


_uses(
    "ADT A40, A47",
    "MRG-1",
    "Prior patient identifier list",
    "A40: the record merged into PID-3's. A47: the identifier replaced by PID-3's. "
    "Authority as for PID-3.4.",
)
_uses("ADT A40, A47", "MRG-7", "Prior patient name", "Named in the message's outcome.")


# ---------------------------------------------------------------- orders

# Priority codes (table 0027) → irflow's priorities.
PRIORITY = {
    "S": "emergent",
    "STAT": "emergent",
    "A": "urgent",
    "ASAP": "urgent",
    "P": "urgent",
    "T": "urgent",
    "R": "routine",
    "ROUTINE": "routine",
    "C": "routine",
}

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclass(frozen=True)
class OrderData:
    control: str  # ORC-1: NW, CA, XO, SC, …
    placer_number: str  # ORC-2.1 / OBR-2.1
    placer_namespace: str  # ORC-2.2 / OBR-2.2
    filler_number: str  # ORC-3.1 / OBR-3.1
    code: str  # OBR-4.1
    code_text: str  # OBR-4.2
    code_system: str  # OBR-4.3
    priority: str  # irflow's, "" when not sent
    priority_sent: str  # as sent, when irflow does not know it
    reason: str  # OBR-31 text, OBR-13
    ordering_provider: str  # ORC-12 / OBR-16, as a name
    requested_start: datetime | None  # TQ1-7 / ORC-7.4 / OBR-27.4
    accession_number: str = ""  # IPC-1 / OBR-18
    requested_procedure_id: str = ""  # IPC-2 / OBR-19
    study_instance_uid: str = ""  # IPC-3 / ZDS-1
    sps_id: str = ""  # IPC-4 / OBR-20
    modality: str = ""  # IPC-5 / OBR-24
    station_aets: list[str] = field(default_factory=list)  # IPC-9, repeated

    @property
    def procedure(self) -> str:
        """OBR-4 as a person reads it: text (code, system)."""
        coded = " ".join(p for p in (self.code, self.code_system and f"({self.code_system})") if p)
        return f"{self.code_text} [{coded}]" if self.code_text else coded


def _first(*values: str) -> str:
    return next((v.strip() for v in values if v.strip() and v.strip() != NULL), "")


def _person(segment: Segment | None, field: int) -> str:
    """An XCN as a name: prefix given middle family, else the ID."""
    if segment is None:
        return ""
    family, given, middle = (segment.get(field, c).strip() for c in (2, 3, 4))
    prefix = segment.get(field, 6).strip()
    name = " ".join(p for p in (prefix, given, middle, family) if p)
    return name or segment.get(field, 1).strip()


def order_data(msg: Message) -> OrderData:
    """ORC/OBR (and TQ1, IPC, ZDS) of the first order in the message."""
    orc = msg.first("ORC")
    obr = msg.first("OBR")
    if orc is None:
        raise HL7Error(
            "The message has no ORC segment.", location="ORC", error_code=REQUIRED_FIELD_MISSING
        )
    control = orc.get(1).strip().upper()
    if not control:
        raise HL7Error(
            "ORC-1 (order control) is empty.", location="ORC-1", error_code=REQUIRED_FIELD_MISSING
        )
    tq1, ipc, zds = msg.first("TQ1"), msg.first("IPC"), msg.first("ZDS")

    def g(segment: Segment | None, f: int, c: int = 1, rep: int = 0) -> str:
        return segment.get(f, c, 1, rep) if segment is not None else ""

    placer = _first(orc.get(2, 1), g(obr, 2, 1))
    placer_namespace = orc.get(2, 2).strip() if orc.get(2, 1).strip() else g(obr, 2, 2).strip()
    if not placer:
        raise HL7Error(
            "No placer order number in ORC-2 or OBR-2.",
            location="ORC-2",
            error_code=REQUIRED_FIELD_MISSING,
        )
    sent_priority = _first(orc.get(7, 6), g(tq1, 9, 1), g(obr, 27, 6))
    priority = PRIORITY.get(sent_priority.upper(), "") if sent_priority else ""
    start_location = "TQ1-7" if g(tq1, 7).strip() else "ORC-7.4" if orc.get(7, 4) else "OBR-27.4"
    requested_start = read_datetime(_first(g(tq1, 7), orc.get(7, 4), g(obr, 27, 4)), start_location)
    reason = _first(g(obr, 31, 2), g(obr, 31, 1), g(obr, 13))
    stations = []
    if ipc is not None:
        for rep in range(ipc.repetitions(9)):
            aet = ipc.get(9, 1, 1, rep).strip()
            if aet:
                stations.append(aet)
    uid = _first(g(ipc, 3), g(zds, 1))
    if uid and (len(uid) > 64 or not _UID.match(uid)):
        raise HL7Error(
            f"“{uid}” is not a DICOM UID.",
            location="IPC-3" if g(ipc, 3).strip() else "ZDS-1",
            error_code=DATA_TYPE_ERROR,
        )
    return OrderData(
        control=control,
        placer_number=placer,
        placer_namespace=placer_namespace,
        filler_number=_first(orc.get(3, 1), g(obr, 3, 1)),
        code=g(obr, 4, 1).strip(),
        code_text=g(obr, 4, 2).strip(),
        code_system=g(obr, 4, 3).strip(),
        priority=priority,
        priority_sent=sent_priority if sent_priority and not priority else "",
        reason=reason,
        ordering_provider=_person(orc, 12) or _person(obr, 16),
        requested_start=requested_start,
        accession_number=_first(g(ipc, 1), g(obr, 18)),
        requested_procedure_id=_first(g(ipc, 2), g(obr, 19)),
        study_instance_uid=uid,
        sps_id=_first(g(ipc, 4), g(obr, 20)),
        modality=_first(g(ipc, 5), g(obr, 24)),
        station_aets=stations,
    )


def require_procedure(order: OrderData) -> None:
    """A new order must say what is requested (OBR-4)."""
    if not order.code and not order.code_text:
        raise HL7Error(
            "OBR-4 (universal service identifier) is empty.",
            location="OBR-4",
            error_code=REQUIRED_FIELD_MISSING,
        )


_uses(ORDERS, "ORC-1", "Order control", "NW new, CA cancel, XO/SC update; others ignored (AA).")
_uses(
    ORDERS,
    "ORC-2, OBR-2",
    "Placer order number",
    "Kept on the order (and its referral); with the placer (ORC-2.2, else MSH-3) it finds "
    "the order again: a repeated NW is not a second order.",
)
_uses(
    ORDERS,
    "ORC-3, OBR-3",
    "Filler order number",
    "Kept with the placer order number; irflow, the filler, issues its own accession number.",
)
_uses(
    ORDERS,
    "OBR-4",
    "Universal service identifier",
    "Code (.1) and coding system (.3) → the catalogue through the code mapping (sender's "
    "MSH-3 or any sender), else the catalogue's own code; an unknown code makes a referral "
    "in the triage queue with the text (.2) as sent.",
)
_uses(
    ORDERS,
    "ORC-7.6, TQ1-9, OBR-27.6",
    "Priority",
    "S → emergent; A, P, T → urgent; R, C → routine; anything else: routine, said in the outcome.",
)
_uses(
    ORDERS,
    "OBR-31, OBR-13",
    "Reason for study, relevant clinical information",
    "The order's clinical indication (the referral's clinical question).",
)
_uses(
    ORDERS,
    "ORC-12, OBR-16",
    "Ordering provider",
    "Named in the clinical indication; the referral's referring clinician.",
)
_uses(
    ORDERS,
    "TQ1-7, ORC-7.4, OBR-27.4",
    "Requested start date/time",
    "Named in the outcome and the indication (irflow books it in its own schedule).",
)
_uses(
    ORDERS,
    "IPC-1, OBR-18",
    "Accession number",
    "Kept as the order's accession number when it fits (≤ 16 characters) and is free; "
    "otherwise irflow issues its own and says so.",
)
_uses(
    ORDERS,
    "IPC-2, OBR-19",
    "Requested procedure ID",
    "Kept as the order's requested procedure ID under the same rule.",
)
_uses(
    ORDERS,
    "IPC-3, ZDS-1",
    "Study Instance UID",
    "Kept as the order's Study Instance UID when free (a non-UID is an AE, error 102).",
)
_uses(
    ORDERS,
    "IPC-4, OBR-20, IPC-5, OBR-24, IPC-9",
    "Scheduled procedure step ID, modality, station AE titles",
    "Named in the outcome; irflow schedules the step itself when the order is booked.",
)
