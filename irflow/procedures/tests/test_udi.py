"""The GS1 UDI parser (pure Python, no database): both spellings, the separators scanners
send, dates, check digits, and a clear refusal for each kind of malformed string."""

from __future__ import annotations

from datetime import date

import pytest

from irflow.procedures.udi import GS, UdiError, gtin_check_digit, parse_udi

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    "text",
    [
        "(01)00884838035683(17)271231(10)LOT42(21)SN7",
        "01008848380356831727123110LOT42" + GS + "21SN7",
        "]d201008848380356831727123110LOT42" + GS + "21SN7",
        "]C101008848380356831727123110LOT42<GS>21SN7",
        "]Q301008848380356831727123110LOT42{GS}21SN7\n",
        "0100884838035683172712312" + "1SN7" + GS + "10LOT42",
    ],
)
def test_the_spellings_a_scanner_sends(text):
    udi = parse_udi(text, today=TODAY)
    assert (udi.gtin, udi.expiry, udi.lot, udi.serial) == (
        "00884838035683",
        date(2027, 12, 31),
        "LOT42",
        "SN7",
    )


def test_production_date_day_zero_and_the_century_window():
    udi = parse_udi("(01)00884838035683(11)240200(17)990101", today=TODAY)
    assert udi.production_date == date(2024, 2, 29)  # DD 00: the last day of the month
    assert udi.expiry == date(1999, 1, 1)  # 73 years ahead is read as the past century
    assert parse_udi("(01)00884838035683(17)760101", today=TODAY).expiry == date(2076, 1, 1)


def test_check_digit():
    assert gtin_check_digit("0088483803568") == 3
    assert gtin_check_digit("0400638133393") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The UDI is empty"),
        ("(01)00884838035684", "wrong check digit: expected 3, got 4"),
        ("(01)0088483803568X", "must be 14 digits"),
        ("(01)00884838035683(17)2712", "must be 6 characters"),
        ("(01)00884838035683(17)271232", "is not a date"),
        ("(01)00884838035683(10)", "(10) lot is empty"),
        ("(01)00884838035683(10)A(10)B", "(10) appears twice"),
        ("(01)00884838035683(21)ÄÖ", "contains characters a GS1 barcode cannot hold"),
        ("(01)00884838035683(240)X", "(240) is not an identifier"),
        ("0100884838035683" + "17271231" + "XX", "Unreadable text after the identifiers: “XX”"),
        ("(01)00884838035683 trailing", "GTIN must be 14 digits"),
        ("+H123ABC", "does not start with an application identifier"),
        ("(17)271231(10)LOT42", "has no (01) GTIN"),
        ("0100884838035683" + "21" + "S" * 21, "longer than 20 characters"),
    ],
)
def test_malformed_strings_are_refused_naming_the_problem(text, message):
    with pytest.raises(UdiError) as exc:
        parse_udi(text, today=TODAY)
    assert message in exc.value.message
