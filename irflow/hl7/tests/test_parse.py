"""Reading HL7 v2: character sets, segment ends, escapes, and the errors an ACK needs."""

from __future__ import annotations

import pytest

from irflow.hl7.parse import HL7Error, declared_charset, decode, parse
from irflow.testing.tools import shared_data

ADT = (
    "MSH|^~\\&|ENGINE|HOSP|IRFLOW|IR|20260101120000||ADT^A08^ADT_A01|MSG1|P|2.5.1{charset}\r"
    "PID|1||123^^^HOSP^MR~999 999 9999^^^NHS^NH||Müller^Zoë^A||19600101|F|||"
    "1 High St^^Leeds^^LS1 1AA\r"
)


def adt(charset: str = "") -> str:
    return ADT.format(charset=f"||||||{charset}" if charset else "")


def test_header_and_fields():
    msg = parse(adt().encode())
    h = msg.header
    assert (h.sending_application, h.sending_facility) == ("ENGINE", "HOSP")
    assert (h.message_code, h.trigger, h.structure) == ("ADT", "A08", "ADT_A01")
    assert (h.control_id, h.processing_id, h.version) == ("MSG1", "P", "2.5.1")
    assert h.message_type == "ADT^A08"
    pid = msg.first("PID")
    assert pid is not None
    assert pid.get(3) == "123" and pid.get(3, 4) == "HOSP"
    assert pid.repetitions(3) == 2 and pid.get(3, 1, repetition=1) == "999 999 9999"
    assert pid.get(5, 2) == "Zoë" and pid.get(11, 3) == "Leeds"
    assert pid.get(40) == "" and pid.get(3, 9) == ""
    assert pid.field_text(3) == "123^^^HOSP^MR"


@pytest.mark.parametrize(
    ("charset", "codec"),
    [("", "utf-8"), ("UNICODE UTF-8", "utf-8"), ("8859/1", "latin-1"), ("ASCII", "ascii")],
)
def test_character_sets(charset, codec):
    text = adt(charset)
    if codec == "ascii":
        text = text.replace("Müller^Zoë", "Muller^Zoe")
    msg = parse(text.encode(codec))
    assert msg.codec == codec and msg.charset == charset
    assert msg.first("PID").get(5) in ("Müller", "Muller")


def test_latin1_without_msh18_is_read_as_latin1():
    assert parse(adt().encode("latin-1")).first("PID").get(5) == "Müller"


def test_an_unknown_character_set_is_refused_naming_msh18():
    with pytest.raises(HL7Error) as caught:
        parse(adt("KLINGON").encode())
    assert caught.value.ack_code == "AR" and caught.value.location == "MSH-18"


def test_bytes_not_in_the_declared_set_are_an_error():
    with pytest.raises(HL7Error) as caught:
        parse(adt("ASCII").encode("utf-8"))
    assert caught.value.location == "MSH-18"


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_segment_ends(end):
    msg = parse(adt().replace("\r", end).encode())
    assert [s.name for s in msg.segments] == ["MSH", "PID"]


def test_escapes_are_decoded():
    text = adt().replace("1 High St", r"A\F\B\S\C\T\D\R\E\E\E\.br\F\X41\G")
    assert parse(text.encode()).first("PID").get(11) == "A|B^C&D~E\\E\nFAG"


def test_hex_escapes_in_the_message_character_set():
    raw = shared_data("hl7", "dcm4che", "siu-s12-new-appointment.hl7").read_bytes()
    ais = parse(raw).first("AIS")
    assert ais is not None and ais.get(3, 2) == "SEPTOPLASTIA (OPERAÇÃO ISOLADA)"


@pytest.mark.parametrize("raw", [b"", b"MSX|^~\\&|A", b"\x00\x01\x02", b"PID|1||X\r"])
def test_no_msh_is_refused(raw):
    with pytest.raises(HL7Error) as caught:
        parse(raw)
    assert caught.value.ack_code == "AR" and caught.value.location == "MSH"


def test_declared_charset_reads_the_raw_header():
    assert declared_charset(adt("8859/1").encode("latin-1")) == "8859/1"
    assert declared_charset(b"PID|1") == ""
    text, codec, charset = decode(adt().encode())
    assert text.endswith("\r") and codec == "utf-8" and charset == ""
