"""Acknowledgements in the original mode: sender and receiver swapped, MSA-2 the message's
control id, ACK^trigger^ACK from 2.4, and ERR naming the field in each version's layout."""

from __future__ import annotations

from datetime import datetime

from irflow.hl7.ack import ack
from irflow.hl7.parse import HL7Error, parse, rejected

NOW = datetime(2026, 1, 2, 3, 4, 5)


def header(version: str = "2.5.1", charset: str = ""):
    tail = f"||||||{charset}" if charset else ""
    raw = f"MSH|^~\\&|ENGINE|HOSP|RIS|IR|20260101||ORM^O01|C-42|P|{version}{tail}\rPID|1\r"
    return parse(raw.encode()).header


def segments(text: str) -> dict[str, list[str]]:
    assert text.endswith("\r")
    return {s.split("|", 1)[0]: s.split("|") for s in text.split("\r") if s}


def test_aa():
    out = segments(ack(header(), "AA", control_id="IRF1", now=NOW))
    assert out["MSH"][2:12] == [
        "RIS",
        "IR",
        "ENGINE",
        "HOSP",
        "20260102030405",
        "",
        "ACK^O01^ACK",
        "IRF1",
        "P",
        "2.5.1",
    ]
    assert out["MSA"][:3] == ["MSA", "AA", "C-42"]
    assert "ERR" not in out


def test_before_2_4_the_type_has_no_structure():
    out = segments(ack(header("2.3.1"), "AA", control_id="IRF1", now=NOW))
    assert out["MSH"][8] == "ACK^O01"


def test_ae_in_2_5_names_the_field_in_err_2_and_the_code_in_err_3():
    error = HL7Error("Birth date is not a date.", location="PID-7", error_code="102")
    out = segments(ack(header(), "AE", control_id="IRF1", error=error, now=NOW))
    assert out["MSA"][1:4] == ["AE", "C-42", "Birth date is not a date."]
    assert out["ERR"][2] == "PID^1^7"
    assert out["ERR"][3] == "102^Data type error^HL70357"
    assert out["ERR"][4] == "E" and out["ERR"][8] == "Birth date is not a date."


def test_ar_in_2_3_uses_err_1():
    error = rejected("Message type SIU is not supported.", location="MSH-9")
    out = segments(ack(header("2.3"), "AR", control_id="IRF1", error=error, now=NOW))
    assert out["ERR"][1] == "MSH^1^9^200&Message type SIU is not supported.&HL70357"


def test_separators_in_the_reason_are_escaped():
    error = HL7Error("a|b^c&d~e\\f", location="OBR-4")
    text = ack(header(), "AE", control_id="IRF1", error=error, now=NOW)
    assert "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f" in text
    assert len(segments(text)["MSA"]) == 4


def test_no_readable_header():
    out = segments(ack(None, "AR", control_id="IRF1", error=rejected("No MSH."), now=NOW))
    assert out["MSH"][2] == "IRFLOW" and out["MSH"][8] == "ACK"
    assert out["MSA"][1:3] == ["AR", ""]


def test_the_character_set_is_echoed():
    out = segments(ack(header(charset="8859/1"), "AA", control_id="IRF1", now=NOW))
    assert out["MSH"][17] == "8859/1"
