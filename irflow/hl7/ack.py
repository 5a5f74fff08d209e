"""Acknowledgements in the original mode (HL7 v2 2.9.2; IHE RAD TF-2 asks for it).

AA: the message is applied (or a valid event irflow does not act on). AE: its content is wrong,
nothing of it applied; the ERR segment names the segment and field and says why. AR: the
message cannot be taken at all (unknown type or version, no readable MSH).

The ACK swaps sender and receiver, echoes MSH-10 in MSA-2, answers in the message's version
and character set, and from v2.4 on says `ACK^<trigger>^ACK` in MSH-9.
"""

from __future__ import annotations

from datetime import datetime

from irflow.hl7.parse import Header, HL7Error

IRFLOW_APPLICATION = "IRFLOW"


def _escape(text: str, separators: str = "|^~\\&") -> str:
    """Text made safe for one HL7 field (escapes of 2.7; new lines as \\.br\\)."""
    chars = (separators + "&")[:5]
    field, component, repetition, escape, sub = chars[0], chars[1], chars[2], chars[3], chars[4]
    out = text.replace(escape, f"{escape}E{escape}")
    for char, code in ((field, "F"), (component, "S"), (repetition, "R"), (sub, "T")):
        out = out.replace(char, f"{escape}{code}{escape}")
    return out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", f"{escape}.br{escape}")


def _version_at_least(version: str, floor: tuple[int, ...]) -> bool:
    parts = []
    for p in version.split("."):
        if not p.isdigit():
            break
        parts.append(int(p))
    return tuple(parts) >= floor if parts else False


def _location_components(location: str) -> str:
    """`PID-7` → `PID^1^7` (ERR-2, ERL: segment ^ sequence ^ field)."""
    if "-" not in location:
        return location
    segment, _, rest = location.partition("-")
    field = rest.split(".", 1)[0]
    return f"{segment}^1^{field}" if field.isdigit() else segment


def ack(
    header: Header | None,
    code: str,
    *,
    control_id: str,
    error: HL7Error | None = None,
    text: str = "",
    now: datetime | None = None,
    application: str = "",
    facility: str = "",
) -> str:
    """The ACK for a message with this header (None when its MSH could not be read).

    The ACK comes from the application and facility the message was addressed to (its MSH-5
    and MSH-6), or IRFLOW when it named none, unless `application`/`facility` are given."""
    assert code in ("AA", "AE", "AR"), code
    stamp = (now or datetime.now()).strftime("%Y%m%d%H%M%S")
    known = header is not None and len(header.encoding_characters) >= 4
    sep = header.encoding_characters if header and known else "^~\\&"
    f = header.field_separator if header and header.field_separator else "|"
    separators = f + sep
    version = header.version if header and header.version else "2.5.1"
    charset = header.charset if header else ""
    trigger = header.trigger if header else ""
    if _version_at_least(version, (2, 4)) and trigger:
        message_type = f"ACK{sep[0]}{trigger}{sep[0]}ACK"
    elif trigger:
        message_type = f"ACK{sep[0]}{trigger}"
    else:
        message_type = "ACK"
    application = application or (header.receiving_application if header else "")
    facility = facility or (header.receiving_facility if header else "")
    application = application or IRFLOW_APPLICATION
    processing = header.processing_id if header and header.processing_id else "P"
    msh = [
        "MSH",
        sep,
        application,
        facility,
        header.sending_application if header else "",
        header.sending_facility if header else "",
        stamp,
        "",
        message_type,
        control_id,
        processing,
        version,
    ]
    if charset:
        msh += ["", "", "", "", "", charset]
    segments = [f.join(msh)]
    reason = error.reason if error else text
    received_id = header.control_id if header else ""
    segments.append(
        f.join(["MSA", code, _escape(received_id, separators), _escape(reason, separators)[:80]])
    )
    if error is not None:
        location = _location_components(error.location)
        component, subcomponent = sep[0], sep[3]
        reason = _escape(error.reason, separators)
        if _version_at_least(version, (2, 5)):
            # 2.5+: ERR-2 error location, ERR-3 code (table 0357), ERR-4 severity, ERR-8 text.
            name = _escape(_error_name(error.error_code), separators)
            coded = component.join([error.error_code, name, "HL70357"])
            err = ["ERR", "", location, coded, "E", "", "", "", reason]
        else:
            # 2.3.1 / 2.4: ERR-1 segment ^ sequence ^ field ^ code&text&HL70357.
            coded = subcomponent.join([error.error_code, reason, "HL70357"])
            err = ["ERR", component.join([location, coded])]
        segments.append(f.join(err))
    return "\r".join(segments) + "\r"


_ERROR_NAMES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}


def _error_name(code: str) -> str:
    return _ERROR_NAMES.get(code, "Application error")
