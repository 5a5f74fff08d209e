"""Typed values from content items: numbers, counts, date-times, offsets, code matching."""

from datetime import datetime, timedelta, timezone

import pytest

from irflow.dicom.rdsr import Code
from irflow.dicom.rdsr.codes import FLUOROSCOPY, canonical
from irflow.dicom.rdsr.reading import ValueReader, index_subtree, parse_offset
from irflow.dicom.rdsr.tree import ContentItem
from irflow.dicom.rdsr.units import COUNT, TIME_S

SECONDS = Code("s", "UCUM", "s")


def num(text: str | None, unit: Code | None = SECONDS, code: str = "113730") -> ContentItem:
    return ContentItem("CONTAINS", "NUM", Code(code, "DCM", "Total Fluoro Time"), text, unit, [])


@pytest.mark.parametrize(
    ("text", "offset", "warned"),
    [
        ("+0100", timedelta(hours=1), False),
        ("-0430", -timedelta(hours=4, minutes=30), False),
        ("UTC-04:00", -timedelta(hours=4), True),
        ("CET", None, True),
        (None, None, False),
    ],
)
def test_timezone_offset(text, offset, warned):
    parsed, warning = parse_offset(text)

    assert parsed == offset
    assert (warning is not None) is warned


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", datetime(2025, 1, 1)),
        ("202503141230", datetime(2025, 3, 14, 12, 30)),
        ("20250314123005.25", datetime(2025, 3, 14, 12, 30, 5, 250000)),
        (
            "20250314123005+0200",
            datetime(2025, 3, 14, 12, 30, 5, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_dicom_datetime(text, expected):
    assert ValueReader().parse_dt(text, what="x") == expected


@pytest.mark.parametrize("text", ["2025-03-14", "20251314", "yesterday"])
def test_bad_datetime_is_none_with_a_warning(text):
    reader = ValueReader()

    assert reader.parse_dt(text, what="DateTime Started") is None
    assert reader.warnings and "DateTime Started" in reader.warnings[0]


def test_header_date_and_time_combine_with_the_header_offset():
    reader = ValueReader(timedelta(hours=1))

    combined = reader.combine("20250314", "093000.5", what="Study")

    assert combined == datetime(2025, 3, 14, 9, 30, 0, 500000, tzinfo=timezone(timedelta(hours=1)))
    assert reader.combine(None, "0930", what="Study") is None


def test_number_edge_cases():
    reader = ValueReader()

    assert reader.number(None, TIME_S) is None
    assert reader.number(num(None), TIME_S) is None
    assert reader.number(num("12.5\\13"), TIME_S) == 12.5
    assert reader.number(num("abc"), TIME_S) is None
    assert reader.number(num("nan"), TIME_S) is None
    assert len(reader.warnings) == 2


def test_value_of_the_wrong_type_is_ignored_with_a_warning():
    reader = ValueReader()
    text_item = ContentItem(
        "CONTAINS", "TEXT", Code("113730", "DCM", "Total Fluoro Time"), "28", None, []
    )

    assert reader.number(text_item, TIME_S) is None
    assert reader.warnings == [
        '"Total Fluoro Time" (DCM 113730) is a TEXT item, not NUM; value ignored'
    ]


def test_fractional_count_is_rounded_with_a_warning():
    reader = ValueReader()

    assert reader.integer(num("60.00", Code("1", "UCUM", "1"))) == 60
    assert reader.warnings == []
    assert reader.integer(num("7.6", Code("{pulses}", "UCUM", "pulses")), COUNT) == 8
    assert len(reader.warnings) == 1


def test_srt_and_sct_codes_share_a_key_and_meanings_are_ignored():
    assert canonical("P5-06000", "SRT") == canonical("44491008", "SCT") == FLUOROSCOPY
    assert canonical("P5-06000", "SNM3") == FLUOROSCOPY
    assert canonical("113722", "DCM") != canonical("113722", "99PHI-IXR-XPER")


def test_index_prefers_the_nearest_level():
    deep = num("1")
    shallow = num("2")
    container = ContentItem(
        "CONTAINS",
        "CONTAINER",
        Code("113706", "DCM", "Event"),
        None,
        None,
        [
            ContentItem("CONTAINS", "CONTAINER", Code("99", "99X", "Private"), None, None, [deep]),
            shallow,
        ],
    )

    assert index_subtree(container)[("113730", "DCM")] is shallow
