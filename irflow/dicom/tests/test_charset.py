"""Specific Character Set: strict decoding of identifiers, fitting responses to an AE's charset."""

import struct
from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dsutils import decode, encode

from irflow.dicom.charset import (
    DEFAULT_CHARSET,
    LATIN1,
    MSG_UNDECODABLE,
    MSG_UNSUPPORTED_CHARSET,
    UTF8,
    CharsetError,
    can_encode,
    decode_text,
    fit_text,
    parse_charset,
    read_charset,
    read_values,
    response_charset_value,
    transliterate,
)

PATIENT_NAME = 0x00100010
# PS3.5 Annex H example: Yamada^Tarou in romaji, kanji and hiragana, ISO 2022 IR 87.
YAMADA_BYTES = (
    b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B"
)
YAMADA = "Yamada^Tarou=山田^太郎=やまだ^たろう"


def wire(ds: Dataset) -> Dataset:
    """The dataset as a peer receives it: raw, undecoded elements."""
    encoded = encode(ds, False, True)
    assert encoded is not None
    return decode(BytesIO(encoded), False, True)


def raw_dataset(*elements: tuple[int, str, bytes]) -> Dataset:
    """Explicit VR little endian bytes built by hand, so invalid text can be sent."""
    out = b""
    for tag, vr, value in elements:
        if len(value) % 2:
            value += b" "
        out += struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode()
        out += struct.pack("<H", len(value)) + value
    return decode(BytesIO(out), False, True)


class TestParseCharset:
    def test_absent_is_strict_ascii(self):
        charset = parse_charset(None)
        assert charset.is_default
        assert charset.encodings == ("ascii",)

    @pytest.mark.parametrize(
        ("value", "encodings"),
        [
            ("ISO_IR 100", ("latin_1",)),
            ("ISO_IR 192", ("UTF8",)),
            (["", "ISO 2022 IR 87"], ("ascii", "iso2022_jp")),
            (["ISO 2022 IR 6", "ISO 2022 IR 100"], ("ascii", "latin_1")),
        ],
    )
    def test_supported_terms(self, value, encodings):
        assert parse_charset(value).encodings == encodings

    @pytest.mark.parametrize(
        "value", ["ISO_IR 999", "KOI8-R", ["ISO_IR 192", "ISO 2022 IR 87"], ["", "ISO_IR 100"]]
    )
    def test_unsupported_terms(self, value):
        with pytest.raises(CharsetError) as caught:
            parse_charset(value)
        assert caught.value.reason == MSG_UNSUPPORTED_CHARSET

    def test_fallback_applies_only_when_absent(self):
        ds = Dataset()
        assert read_charset(ds, fallback=LATIN1).terms == (LATIN1,)
        ds.SpecificCharacterSet = UTF8
        assert read_charset(ds, fallback=LATIN1).terms == (UTF8,)


class TestDecode:
    def test_latin1_identifier(self):
        ds = raw_dataset(
            (0x00080005, "CS", b"ISO_IR 100"), (PATIENT_NAME, "PN", b"M\xfcller^J\xf6rg")
        )
        assert read_values(ds, PATIENT_NAME, read_charset(ds)) == ["Müller^Jörg"]

    def test_utf8_identifier(self):
        name = "Müller^Jörg".encode()
        ds = raw_dataset((0x00080005, "CS", b"ISO_IR 192"), (PATIENT_NAME, "PN", name))
        assert read_values(ds, PATIENT_NAME, read_charset(ds)) == ["Müller^Jörg"]

    def test_iso_2022_japanese(self):
        ds = raw_dataset(
            (0x00080005, "CS", b"\\ISO 2022 IR 87"), (PATIENT_NAME, "PN", YAMADA_BYTES)
        )
        assert read_values(ds, PATIENT_NAME, read_charset(ds)) == [YAMADA]

    def test_invalid_utf8_is_refused_not_replaced(self):
        ds = raw_dataset((0x00080005, "CS", b"ISO_IR 192"), (PATIENT_NAME, "PN", b"M\xfcller"))
        with pytest.raises(CharsetError) as caught:
            read_values(ds, PATIENT_NAME, read_charset(ds))
        assert caught.value.reason == MSG_UNDECODABLE

    def test_eight_bit_text_without_charset_is_refused(self):
        ds = raw_dataset((PATIENT_NAME, "PN", b"M\xfcller"))
        with pytest.raises(CharsetError):
            read_values(ds, PATIENT_NAME, read_charset(ds))

    def test_eight_bit_text_decoded_with_the_ae_fallback(self):
        ds = raw_dataset((PATIENT_NAME, "PN", b"M\xfcller"))
        assert read_values(ds, PATIENT_NAME, read_charset(ds, fallback=LATIN1)) == ["Müller"]

    def test_unknown_escape_sequence_is_refused(self):
        charset = parse_charset(["", "ISO 2022 IR 87"])
        with pytest.raises(CharsetError):
            decode_text(b"A\x1b$(Zxx", charset, vr="PN")

    def test_escape_to_undeclared_charset_is_refused(self):
        charset = parse_charset(["", "ISO 2022 IR 100"])
        with pytest.raises(CharsetError):
            decode_text(b"\x1b$B;3ED\x1b(B", charset, vr="PN")

    def test_ascii_vrs_ignore_the_charset(self):
        charset = parse_charset(LATIN1)
        with pytest.raises(CharsetError):
            decode_text(b"X\xc4", charset, vr="CS")

    def test_multiple_values_are_split(self):
        ds = raw_dataset((0x0020000D, "UI", b"1.2.3\\1.2.4"))
        assert read_values(ds, 0x0020000D, parse_charset(None)) == ["1.2.3", "1.2.4"]

    def test_absent_and_empty(self):
        ds = raw_dataset((PATIENT_NAME, "PN", b""))
        assert read_values(ds, PATIENT_NAME, parse_charset(None)) == []
        assert read_values(ds, 0x00100020, parse_charset(None)) is None


class TestFitText:
    @pytest.mark.parametrize("charset", [LATIN1, UTF8])
    def test_representable_text_is_unchanged(self, charset):
        assert fit_text("Müller^Jörg", charset, vr="PN") == ("Müller^Jörg", False)

    def test_polish_name_transliterated_for_latin1(self):
        assert fit_text("Łukasz^Wójcik", LATIN1, vr="PN") == ("Lukasz^Wójcik", True)

    def test_polish_name_kept_in_latin2(self):
        assert fit_text("Łukasz", "ISO_IR 101", vr="PN") == ("Łukasz", False)

    def test_ascii_gets_plain_letters(self):
        assert fit_text("Müller^Jörg", DEFAULT_CHARSET, vr="PN") == ("Muller^Jorg", True)

    def test_untransliterable_becomes_question_mark(self):
        assert fit_text("Ωmega", LATIN1) == ("?mega", True)

    def test_ideographic_groups_dropped_when_unrepresentable(self):
        assert fit_text(YAMADA, LATIN1, vr="PN") == ("Yamada^Tarou", True)

    def test_ascii_vrs_untouched(self):
        assert fit_text("1.2.3", LATIN1, vr="UI") == ("1.2.3", False)

    def test_transliterate_letters_without_decomposition(self):
        assert transliterate("Øre Ærø Straße") == "Ore AEro Strasse"

    def test_can_encode(self):
        assert can_encode("Jörg", LATIN1)
        assert not can_encode("Łukasz", LATIN1)

    def test_response_charset_value(self):
        assert response_charset_value(DEFAULT_CHARSET) is None
        assert response_charset_value(LATIN1) == LATIN1
        with pytest.raises(CharsetError):
            response_charset_value("ISO 2022 IR 87")


@pytest.mark.parametrize(
    ("charset", "encoded"),
    [(LATIN1, b"M\xfcller^J\xf6rg"), (UTF8, "Müller^Jörg".encode())],
)
def test_round_trip_through_the_wire(charset, encoded):
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.PatientName = fit_text("Müller^Jörg", charset, vr="PN")[0]
    bytes_ = encode(ds, False, True)
    assert bytes_ is not None and encoded in bytes_
    received = wire(ds)
    assert read_values(received, PATIENT_NAME, read_charset(received)) == ["Müller^Jörg"]
    assert str(received.PatientName) == "Müller^Jörg"
