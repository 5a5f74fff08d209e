"""The UDI parser (pure Python, no database): GS1 and HIBCC in the spellings scanners send,
dates (day 00, months, Julian days, the century window), check characters, and a clear
refusal for each kind of malformed string; a round trip through both encodings for any
device."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irflow.procedures.udi import (
    GS,
    GS1,
    HIBCC,
    Udi,
    UdiError,
    gs1_raw,
    gtin_check_digit,
    hibc_check_character,
    hibc_encode,
    normalise_product,
    parse_udi,
)

TODAY = date(2026, 11, 28)


def fields(udi: Udi) -> tuple:
    return (udi.issuer, udi.device_identifier, udi.expiry, udi.lot, udi.serial)


def checked(text: str) -> str:
    """`text` with its HIBC check character."""
    return text + hibc_check_character(text)


# ------------------------------------------------------------------ GS1


@pytest.mark.parametrize(
    "text",
    [
        "(01)00884838035683(17)271231(10)LOT42(21)SN7",
        "01008848380356831727123110LOT42" + GS + "21SN7",
        "]d201008848380356831727123110LOT42" + GS + "21SN7",
        "]C101008848380356831727123110LOT42<GS>21SN7",
        "]Q301008848380356831727123110LOT42{GS}21SN7\n",
        "  (01)00884838035683(17)271231(10)LOT42(21)SN7  ",
        "0100884838035683172712312" + "1SN7" + GS + "10LOT42",
    ],
)
def test_gs1_in_the_spellings_a_scanner_sends(text):
    udi = parse_udi(text, today=TODAY)
    assert fields(udi) == (GS1, "00884838035683", date(2027, 12, 31), "LOT42", "SN7")
    assert udi.gtin == "00884838035683"


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("271231", date(2027, 12, 31)),
        ("240200", date(2024, 2, 29)),  # DD 00: the last day of the month (leap year)
        ("250200", date(2025, 2, 28)),
        ("270400", date(2027, 4, 30)),
        ("761231", date(2076, 12, 31)),  # 50 years ahead: this century
        ("770101", date(1977, 1, 1)),  # 51 years ahead: the past century
        ("990101", date(1999, 1, 1)),
    ],
)
def test_gs1_dates_day_00_and_the_century_window(yymmdd, expected):
    assert parse_udi(f"(01)00884838035683(17){yymmdd}", today=TODAY).expiry == expected
    production = parse_udi(f"(01)00884838035683(11){yymmdd}", today=TODAY).production_date
    assert production == expected


@pytest.mark.parametrize(
    ("body", "digit"),
    [("0088483803568", 3), ("0400638133393", 1), ("0000000000000", 0), ("1234567890123", 1)],
)
def test_gtin_check_digit(body, digit):
    assert gtin_check_digit(body) == digit
    parse_udi(f"(01){body}{digit}", today=TODAY)
    with pytest.raises(UdiError, match="wrong check digit"):
        parse_udi(f"(01){body}{(digit + 1) % 10}", today=TODAY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The UDI is empty"),
        ("   ", "The UDI is empty"),
        ("(01)00884838035684", "wrong check digit: expected 3, got 4"),
        ("(01)0088483803568X", "must be 14 digits"),
        ("(01)0088483803568", "must be 14 digits"),
        ("(01)00884838035683(17)2712", "must be 6 characters"),
        ("(01)00884838035683(17)271232", "is not a date"),
        ("(01)00884838035683(17)271301", "is not a date"),
        ("(01)00884838035683(17)250229", "is not a date"),  # 2025 is not a leap year
        ("(01)00884838035683(11)27AB01", "is not a date"),
        ("(01)00884838035683(10)", "(10) lot is empty"),
        ("(01)00884838035683(10)A(10)B", "(10) appears twice"),
        ("(01)00884838035683(21)ÄÖ", "contains characters a GS1 barcode cannot hold"),
        ("(01)00884838035683(240)X", "(240) is not an identifier"),
        ("0100884838035683" + "99ABC", "(99) is not an identifier"),
        ("0100884838035683" + "17271231" + "XX", "Unreadable text after the identifiers: “XX”"),
        ("(01)00884838035683 trailing", "GTIN must be 14 digits"),
        ("X(01)00884838035683", "This is not a UDI"),
        ("(17)271231(10)LOT42", "has no (01) GTIN"),
        ("0100884838035683" + "21" + "S" * 21, "longer than 20 characters"),
        # A scanner that drops the GS: the lot swallows the serial and runs too long.
        ("0100884838035683" + "10LOT4242424242424242" + "21SN7", "separator (GS)"),
    ],
)
def test_malformed_gs1_is_refused_naming_the_problem(text, message):
    with pytest.raises(UdiError) as exc:
        parse_udi(text, today=TODAY)
    assert message in exc.value.message


# ------------------------------------------------------------------ HIBCC

PRODUCT = "A123BJC5D6E71"  # LIC A123, product number BJC5D6E7, unit of measure 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Check characters agree with published examples of the modulo-43 rule.
        ("+A123BJC5D6E71G", (HIBCC, PRODUCT, None, "", "")),
        ("+A999123457", (HIBCC, "A99912345", None, "", "")),
        # Two linear symbols read one after the other: link character G, then the check.
        ("+A123BJC5D6E71G+$$52001510X3GD", (HIBCC, PRODUCT, date(2020, 1, 15), "10X3", "")),
        ("+A123BJC5D6E71G+$$710X3G7", (HIBCC, PRODUCT, None, "10X3", "")),
        ("+A123BJC5D6E71G+$$+52001510X3GB", (HIBCC, PRODUCT, date(2020, 1, 15), "", "10X3")),
        # The older secondary: a Julian date YYJJJ, then the lot.
        ("+A123BJC5D6E71G+2001510X3GG", (HIBCC, PRODUCT, date(2020, 1, 15), "10X3", "")),
        # The primary's check character is a "+" and the secondary's a space.
        ("+A123BJCMD6E79++$$52001510X3+ ", (HIBCC, "A123BJCMD6E79", date(2020, 1, 15), "10X3", "")),
        # Three symbols: primary, lot line, serial.
        (
            "+J123AQ3451T+25330BC34567T2+S4012TJ",
            (HIBCC, "J123AQ3451", date(2025, 11, 26), "BC34567", "4012"),
        ),
        # One 2D symbol: primary / secondary / supplementary, one check character.
        (
            "+J123AQ3451/25330BC34567/S4012X",
            (HIBCC, "J123AQ3451", date(2025, 11, 26), "BC34567", "4012"),
        ),
        (
            "]d1+A123ABCDEFGHI1234567891/$$420020216LOT123456789012345/SXYZ456789012345678"
            "/16D20130202$",
            (
                HIBCC,
                "A123ABCDEFGHI1234567891",
                date(2020, 2, 2),
                "LOT123456789012345",
                "XYZ456789012345678",
            ),
        ),
        # Quantities ($$8 two digits, $$9 five), the expiry in 14D.
        (
            "+A99912345/$$81210X3/16D20111212/14D20200906/S77DEFG45$",
            (HIBCC, "A99912345", date(2020, 9, 6), "10X3", "77DEFG45"),
        ),
        (
            "+A99912345/$$90234510X3/16D20111212/14D20200906/S77DEFG458",
            (HIBCC, "A99912345", date(2020, 9, 6), "10X3", "77DEFG45"),
        ),
        # MMYY: the last day of the month.
        (
            "+J123AQ3451/$$1125BC34567/S4012L",
            (HIBCC, "J123AQ3451", date(2025, 11, 30), "BC34567", "4012"),
        ),
        (
            "+J123AQ3451/$$0125BC34567/S4012K",
            (HIBCC, "J123AQ3451", date(2025, 1, 31), "BC34567", "4012"),
        ),
        ("*+A123BJC5D6E71G*", (HIBCC, PRODUCT, None, "", "")),  # as printed under the bars
        ("+A123BJC5D6E71G\r\n", (HIBCC, PRODUCT, None, "", "")),
    ],
)
def test_hibc_in_the_forms_labels_carry(text, expected):
    udi = parse_udi(text, today=TODAY)
    assert fields(udi) == expected
    assert udi.gtin == ""


def test_hibc_production_date_and_hours():
    udi = parse_udi(
        "+A123ABCDEFGHI1234567891/$$420020216LOT123456789012345/SXYZ456789012345678/16D20130202$",
        today=TODAY,
    )
    assert udi.production_date == date(2013, 2, 2)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("$$1227LOT1", date(2027, 12, 31)),  # MMYY
        ("$$0227LOT1", date(2027, 2, 28)),
        ("$$0228LOT1", date(2028, 2, 29)),  # leap year
        ("$$2123127LOT1", date(2027, 12, 31)),  # MMDDYY
        ("$$3271231LOT1", date(2027, 12, 31)),  # YYMMDD
        ("$$427123123LOT1", date(2027, 12, 31)),  # YYMMDDHH
        ("$$527365LOT1", date(2027, 12, 31)),  # YYJJJ
        ("$$528366LOT1", date(2028, 12, 31)),  # day 366 of a leap year
        ("$$62736523LOT1", date(2027, 12, 31)),  # YYJJJHH
        ("$$8121227LOT1", date(2027, 12, 31)),  # quantity 12, then MMYY
        ("$$9000103271231LOT1", date(2027, 12, 31)),  # quantity 00010, then YYMMDD
        ("27365LOT1", date(2027, 12, 31)),  # the older Julian line
        ("$LOT1/14D20271231", date(2027, 12, 31)),
    ],
)
def test_hibc_date_forms(line, expected):
    udi = parse_udi(checked(f"+{PRODUCT}/{line}"), today=TODAY)
    assert (udi.expiry, udi.lot) == (expected, "LOT1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+A123BJC5D6E71H", "check character is wrong: expected “G”, got “H”"),
        ("+A123BJC5D6E71G+$$52001510X3GE", "lot/expiry barcode is wrong: expected “D”"),
        # A lot barcode whose link character names another product's label.
        (
            "+A123BJC5D6E71G" + checked("+$$52001510X3H"),
            "belongs to another product (its link character “H”",
        ),
        (checked("+$$52001510X3G"), "lot/expiry barcode on its own"),
        (checked("+20015LOT"), "lot/expiry barcode on its own"),
        (checked("+/EU123"), "provider (hospital) barcode"),
        ("+a123bjc5d6e71g", "“a” is not a character a HIBC barcode can hold"),
        ("+A123BJC5_E71G", "“_” is not a character"),
        (checked("+1123BJC5D6E71"), "lot/expiry barcode on its own"),
        (checked("+A12"), "labeler code"),
        (checked("+A123BJC5D6E7X"), "unit-of-measure digit"),  # no unit of measure
        (checked("+A123" + "P" * 19 + "1"), "product number of 1–18"),
        (checked(f"+{PRODUCT}/$$A27LOT1"), "a date format digit (0–7) is expected"),
        (checked(f"+{PRODUCT}/$$1327LOT1"), "is not a date in MMYY form"),
        (checked(f"+{PRODUCT}/$$3271232LOT1"), "is not a date in YYMMDD form"),
        (checked(f"+{PRODUCT}/$$427123124LOT1"), "is not a date in YYMMDDHH form"),
        (checked(f"+{PRODUCT}/$$527366LOT1"), "is not a date in YYJJJ form"),  # 2027: 365
        (checked(f"+{PRODUCT}/$$527000LOT1"), "is not a date in YYJJJ form"),
        (checked(f"+{PRODUCT}/$$2133127LOT1"), "is not a date in MMDDYY form"),
        (checked(f"+{PRODUCT}/$LOT1/14D20270231"), "is not a date in YYYYMMDD form"),
        (checked(f"+{PRODUCT}/$$81"), "quantity after “$$8” must be 2 digits"),
        (checked(f"+{PRODUCT}/$$9123"), "quantity after “$$9” must be 5 digits"),
        (checked(f"+{PRODUCT}/$"), "The HIBC lot is empty"),
        (checked(f"+{PRODUCT}/$$7"), "The HIBC lot is empty"),
        (checked(f"+{PRODUCT}/$+"), "The HIBC serial number is empty"),
        (checked(f"+{PRODUCT}/$" + "L" * 19), "must be 1–18 capital letters"),
        (checked(f"+{PRODUCT}/27365" + "L" * 14), "must be 1–13 capital letters"),
        (checked(f"+{PRODUCT}/$LOT1/$LOT2"), "The HIBC lot appears twice"),
        (checked(f"+{PRODUCT}/$$3271231LOT1/14D20271231"), "expiry date appears twice"),
        (checked(f"+{PRODUCT}/XYZ"), "Unreadable HIBC data “XYZ”"),
    ],
)
def test_malformed_hibc_is_refused_naming_the_problem(text, message):
    with pytest.raises(UdiError) as exc:
        parse_udi(text, today=TODAY)
    assert message in exc.value.message


@pytest.mark.parametrize(
    ("data", "check"),
    [("+A123BJC5D6E71", "G"), ("+A99912345", "7"), ("+A123BJCMD6E79", "+"), ("", "0")],
)
def test_hibc_check_character_is_modulo_43(data, check):
    assert hibc_check_character(data) == check


@pytest.mark.parametrize(
    ("typed", "product"),
    [
        ("00884838035683", "00884838035683"),
        ("0884838035683", "00884838035683"),  # GTIN-13
        ("884838035683", "00884838035683"),  # GTIN-12
        (" 0088 4838 0356 83 ", "00884838035683"),
        ("+a123bjc5d6e71", "A123BJC5D6E71"),
        ("A123BJC5D6E71", "A123BJC5D6E71"),
    ],
)
def test_a_product_typed_into_a_search(typed, product):
    assert normalise_product(typed) == product


# ------------------------------------------------------------------ round trips

WINDOW = st.dates(min_value=TODAY - timedelta(days=365 * 48), max_value=date(2076, 12, 31))
CSET82 = "!\"%&'*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GS1_TEXT = st.text(alphabet=CSET82, min_size=1, max_size=20)
HIBC_TEXT = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.", min_size=1, max_size=18)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@st.composite
def gs1_udis(draw) -> Udi:
    body = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    return Udi(
        issuer=GS1,
        device_identifier=body + str(gtin_check_digit(body)),
        expiry=draw(st.none() | WINDOW),
        production_date=draw(st.none() | WINDOW),
        lot=draw(st.just("") | GS1_TEXT),
        serial=draw(st.just("") | GS1_TEXT),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gs1_udis(), st.sampled_from(["", "]d2", "]C1"]))
def test_any_gs1_udi_round_trips_through_the_raw_form(udi, prefix):
    parsed = parse_udi(prefix + gs1_raw(udi), today=TODAY)
    assert parsed == udi


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gs1_udis())
def test_any_gs1_udi_without_parentheses_in_its_text_round_trips_through_the_printed_form(udi):
    # Parentheses inside a lot would be read as identifiers in the printed form: labels
    # print such lots, but a scanner sends the raw form.
    if "(" in udi.lot + udi.serial or ")" in udi.lot + udi.serial:
        return
    assert parse_udi(udi.human_readable, today=TODAY) == udi


@st.composite
def hibc_labels(draw) -> tuple[str, dict]:
    lic = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + draw(
        st.text(alphabet=ALNUM, min_size=3, max_size=3)
    )
    product = (
        lic + draw(st.text(alphabet=ALNUM, min_size=1, max_size=18)) + str(draw(st.integers(0, 9)))
    )
    form = draw(st.sampled_from(["MMYY", "2", "3", "4", "5", "6"]))
    expiry = draw(st.none() | WINDOW)
    if expiry is not None and form == "MMYY":  # a month means its last day
        expiry = (expiry.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lot = draw(st.just("") | HIBC_TEXT)
    serial = draw(st.just("") | HIBC_TEXT)
    if expiry is not None and not (lot or serial):
        lot = "L1"
    label = {
        "lot": lot,
        "serial": serial,
        "expiry": expiry,
        "date_form": form,
        "production_date": draw(st.none() | st.dates(date(1990, 1, 1), date(2060, 12, 31))),
        "two_symbols": draw(st.booleans()),
    }
    return product, label


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hibc_labels())
def test_any_hibc_label_round_trips_in_one_symbol_or_two(label):
    product, data = label
    udi = parse_udi(hibc_encode(product, **data), today=TODAY)
    assert fields(udi) == (HIBCC, product, data["expiry"], data["lot"], data["serial"])
    assert udi.production_date == data["production_date"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_parsed_or_refused_with_a_message(text):
    try:
        parse_udi(text, today=TODAY)
    except UdiError as exc:
        assert exc.message
