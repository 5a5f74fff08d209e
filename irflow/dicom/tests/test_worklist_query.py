"""Parsing Modality Worklist C-FIND identifiers into filters and return keys."""

import struct
from datetime import date, datetime, time
from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dsutils import decode, encode

from irflow.dicom.charset import MSG_UNDECODABLE, MSG_UNSUPPORTED_CHARSET
from irflow.dicom.worklist import (
    MATCHING_KEYS,
    MSG_CONTROL_CHARACTER,
    MSG_INVALID_DATE,
    MSG_INVALID_RANGE,
    MSG_INVALID_TIME,
    MSG_INVALID_UID,
    MSG_MULTIPLE_VALUES,
    MSG_NOT_A_SEQUENCE,
    MSG_REVERSED_RANGE,
    MSG_SEQUENCE_ITEMS,
    RETURN_KEYS,
    STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS,
    STATUS_UNABLE_TO_PROCESS,
    Filter,
    InvalidQuery,
    MatchKind,
    parse_worklist_query,
    to_like_pattern,
)

SPS = "ScheduledProcedureStepSequence"
# The tests build invalid identifiers on purpose; pydicom warns when they are assembled.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.valuerep")


def wire(ds: Dataset) -> Dataset:
    """The identifier as the SCP receives it from pynetdicom: raw, undecoded elements."""
    encoded = encode(ds, False, True)
    assert encoded is not None
    return decode(BytesIO(encoded), False, True)


def identifier(sps: dict | None = None, **keys: object) -> Dataset:
    ds = Dataset()
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    if sps is not None:
        item = Dataset()
        for keyword, value in sps.items():
            setattr(item, keyword, value)
        ds.ScheduledProcedureStepSequence = [item]
    return ds


def only_filter(ds: Dataset, field: str) -> Filter:
    found = [f for f in parse_worklist_query(ds).filters if f.field == field]
    assert len(found) == 1, found
    return found[0]


def refused(ds: Dataset) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        parse_worklist_query(ds)
    return caught.value


@pytest.fixture(params=["python", "wire"])
def transport(request):
    """Run a test on a dataset built in Python and on the same dataset off the wire."""
    return wire if request.param == "wire" else (lambda ds: ds)


class TestSingleAndWildcard:
    def test_single_value(self, transport):
        f = only_filter(transport(identifier(PatientID="12345")), "patient_id")
        assert (f.kind, f.value, f.case_insensitive) == (MatchKind.SINGLE, "12345", False)

    def test_padding_is_not_part_of_the_value(self, transport):
        f = only_filter(transport(identifier(AccessionNumber=" A123   ")), "accession_number")
        assert f.value == "A123"

    @pytest.mark.parametrize("pattern", ["Sm*th", "?mith", "S*", "*son", "Sm?th*"])
    def test_wildcards(self, transport, pattern):
        f = only_filter(transport(identifier(PatientID=pattern)), "patient_id")
        assert (f.kind, f.value) == (MatchKind.WILDCARD, pattern)

    @pytest.mark.parametrize("value", ["", "*", "**"])
    def test_universal(self, transport, value):
        query = parse_worklist_query(transport(identifier(PatientID=value)))
        assert query.filters[0].kind is MatchKind.UNIVERSAL
        assert query.active_filters == ()
        assert [key.keyword for key in query.return_keys] == ["PatientID"]

    def test_wildcards_on_any_string_vr(self):
        f = only_filter(identifier({"Modality": "X?"}), "sps_modality")
        assert f.kind is MatchKind.WILDCARD

    def test_multiple_values_refused_outside_uid_lists(self):
        error = refused(identifier(PatientID=["A", "B"]))
        assert (error.reason, error.keyword) == (MSG_MULTIPLE_VALUES, "PatientID")

    def test_control_characters_refused(self):
        error = refused(identifier(PatientID="A\tB"))
        assert (error.reason, error.keyword) == (MSG_CONTROL_CHARACTER, "PatientID")


class TestPersonName:
    def test_case_insensitive_and_normalized(self, transport):
        f = only_filter(transport(identifier(PatientName="SMITH^John^^")), "patient_name")
        assert (f.kind, f.value, f.case_insensitive) == (MatchKind.SINGLE, "SMITH^John", True)
        assert f.match_value == "smith^john"

    def test_wildcard_like_pattern_is_folded(self):
        f = only_filter(identifier(PatientName="MÜL*"), "patient_name")
        assert f.like_pattern == "mül%"

    def test_component_groups_become_one_filter_each(self):
        query = parse_worklist_query(identifier(PatientName="Yamada^Tarou=山田^太郎"))
        assert [(f.pn_group, f.value) for f in query.filters] == [
            (0, "Yamada^Tarou"),
            (1, "山田^太郎"),
        ]

    def test_empty_groups_are_universal(self):
        query = parse_worklist_query(identifier(PatientName="=山田*"))
        assert [(f.pn_group, f.kind) for f in query.filters] == [(1, MatchKind.WILDCARD)]

    def test_performing_physician_in_sequence(self):
        f = only_filter(
            identifier({"ScheduledPerformingPhysicianName": "House*"}),
            "sps_performing_physician_name",
        )
        assert f.case_insensitive and f.keyword == f"{SPS}>ScheduledPerformingPhysicianName"


class TestDates:
    def test_single_date(self, transport):
        f = only_filter(transport(identifier(PatientBirthDate="19700101")), "patient_birth_date")
        assert (f.kind, f.value) == (MatchKind.SINGLE, date(1970, 1, 1))

    @pytest.mark.parametrize(
        ("value", "start", "end"),
        [
            ("20250101-20250102", date(2025, 1, 1), date(2025, 1, 2)),
            ("-20250102", None, date(2025, 1, 2)),
            ("20250101-", date(2025, 1, 1), None),
            ("20250101 - 20250102 ", date(2025, 1, 1), date(2025, 1, 2)),
            ("2025.01.01-2025.01.02", date(2025, 1, 1), date(2025, 1, 2)),
        ],
    )
    def test_ranges(self, transport, value, start, end):
        ds = transport(identifier({"ScheduledProcedureStepStartDate": value}))
        f = only_filter(ds, "sps_start.date")
        assert (f.kind, f.start, f.end) == (MatchKind.RANGE, start, end)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("2025-13-45", MSG_INVALID_RANGE),
            ("20250101-20250102-20250103", MSG_INVALID_RANGE),
            ("-", MSG_INVALID_RANGE),
            ("20251345", MSG_INVALID_DATE),
            ("2025010", MSG_INVALID_DATE),
            ("20250230-", MSG_INVALID_DATE),
            ("yesterday", MSG_INVALID_DATE),
            ("20250105-20250101", MSG_REVERSED_RANGE),
        ],
    )
    def test_invalid(self, value, reason):
        error = refused(identifier({"ScheduledProcedureStepStartDate": value}))
        assert error.reason == reason
        assert error.keyword == f"{SPS}>ScheduledProcedureStepStartDate"
        assert error.status == STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS


class TestTimes:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1030", time(10, 30)),
            ("10", time(10)),
            ("103015", time(10, 30, 15)),
            ("103015.5", time(10, 30, 15, 500000)),
            ("103015.123456", time(10, 30, 15, 123456)),
            ("10:30:15", time(10, 30, 15)),
        ],
    )
    def test_single_time_by_meaning(self, value, expected):
        f = only_filter(identifier({"ScheduledProcedureStepStartTime": value}), "sps_start.time")
        assert (f.kind, f.value) == (MatchKind.SINGLE, expected)

    @pytest.mark.parametrize(
        ("value", "start", "end"),
        [
            ("1000-1200", time(10), time(12, 0, 59, 999999)),
            ("10-12", time(10), time(12, 59, 59, 999999)),
            ("-1200", None, time(12, 0, 59, 999999)),
            ("1000-", time(10), None),
            ("100000.25-100000.5", time(10, 0, 0, 250000), time(10, 0, 0, 599999)),
        ],
    )
    def test_ranges_include_the_upper_bound_precision(self, value, start, end):
        f = only_filter(identifier({"ScheduledProcedureStepStartTime": value}), "sps_start.time")
        assert (f.kind, f.start, f.end) == (MatchKind.RANGE, start, end)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("2500", MSG_INVALID_TIME),
            ("1060", MSG_INVALID_TIME),
            ("1030.5", MSG_INVALID_TIME),
            ("103", MSG_INVALID_TIME),
            ("1000-1200-1400", MSG_INVALID_RANGE),
            ("1200-1000", MSG_REVERSED_RANGE),
        ],
    )
    def test_invalid(self, value, reason):
        error = refused(identifier({"ScheduledProcedureStepStartTime": value}))
        assert (error.reason, error.keyword) == (reason, f"{SPS}>ScheduledProcedureStepStartTime")


class TestCombinedStartDateTime:
    def combined(self, day: str, clock: str) -> Filter:
        ds = identifier(
            {"ScheduledProcedureStepStartDate": day, "ScheduledProcedureStepStartTime": clock}
        )
        return only_filter(ds, "sps_start")

    def test_both_ranges_are_one_period(self, transport):
        f = self.combined("20250705-20250707", "1000-1800")
        assert (f.start, f.end) == (
            datetime(2025, 7, 5, 10),
            datetime(2025, 7, 7, 18, 0, 59, 999999),
        )

    def test_overnight_period(self):
        f = self.combined("20250705-20250706", "2200-0600")
        assert (f.start, f.end) == (
            datetime(2025, 7, 5, 22),
            datetime(2025, 7, 6, 6, 0, 59, 999999),
        )

    def test_single_date_with_time_range(self):
        f = self.combined("20250705", "0800-1200")
        assert (f.start, f.end) == (
            datetime(2025, 7, 5, 8),
            datetime(2025, 7, 5, 12, 0, 59, 999999),
        )

    @pytest.mark.parametrize(
        ("day", "clock", "start", "end"),
        [
            ("20250705-", "1000-", datetime(2025, 7, 5, 10), None),
            ("-20250707", "-1800", None, datetime(2025, 7, 7, 18, 0, 59, 999999)),
            (
                "20250705-20250707",
                "-1800",
                datetime(2025, 7, 5),
                datetime(2025, 7, 7, 18, 0, 59, 999999),
            ),
            (
                "20250705-20250707",
                "1000-",
                datetime(2025, 7, 5, 10),
                datetime.combine(date(2025, 7, 7), time.max),
            ),
        ],
    )
    def test_open_ends(self, day, clock, start, end):
        f = self.combined(day, clock)
        assert (f.kind, f.start, f.end) == (MatchKind.RANGE, start, end)

    def test_reversed_on_a_single_day_refused(self):
        ds = identifier(
            {
                "ScheduledProcedureStepStartDate": "20250705",
                "ScheduledProcedureStepStartTime": "1800-1000",
            }
        )
        assert refused(ds).reason == MSG_REVERSED_RANGE

    def test_time_universal_keeps_the_date_filter(self):
        ds = identifier(
            {"ScheduledProcedureStepStartDate": "20250705", "ScheduledProcedureStepStartTime": ""}
        )
        fields = {f.field: f.kind for f in parse_worklist_query(ds).filters}
        assert fields == {"sps_start.date": MatchKind.SINGLE, "sps_start.time": MatchKind.UNIVERSAL}

    def test_date_range_with_single_time_stays_separate(self):
        ds = identifier(
            {
                "ScheduledProcedureStepStartDate": "20250705-20250707",
                "ScheduledProcedureStepStartTime": "1030",
            }
        )
        fields = {f.field: f.kind for f in parse_worklist_query(ds).filters}
        assert fields == {"sps_start.date": MatchKind.RANGE, "sps_start.time": MatchKind.SINGLE}


class TestUids:
    def test_list(self, transport):
        ds = transport(identifier(StudyInstanceUID=["1.2.3", "1.2.4"]))
        f = only_filter(ds, "study_instance_uid")
        assert (f.kind, f.values) == (MatchKind.LIST, ("1.2.3", "1.2.4"))

    def test_single(self, transport):
        f = only_filter(transport(identifier(StudyInstanceUID="1.2.3")), "study_instance_uid")
        assert (f.kind, f.value) == (MatchKind.SINGLE, "1.2.3")

    @pytest.mark.parametrize("value", ["1.2.abc", "1.2.*", "1..2", "1." + "2" * 70])
    def test_invalid(self, value):
        error = refused(identifier(StudyInstanceUID=value))
        assert (error.reason, error.keyword) == (MSG_INVALID_UID, "StudyInstanceUID")


class TestSequencesAndReturnKeys:
    def test_sps_keys_are_matched_item_by_item(self, transport):
        ds = transport(
            identifier({"Modality": "XA", "ScheduledStationAETitle": "ANGIO1"}, PatientName="")
        )
        query = parse_worklist_query(ds)
        assert {f.field: f.value for f in query.active_filters} == {
            "sps_modality": "XA",
            "sps_station_ae_title": "ANGIO1",
        }
        sps = next(key for key in query.return_keys if key.keyword == SPS)
        assert [key.keyword for key in sps.item_keys] == [
            f"{SPS}>Modality",
            f"{SPS}>ScheduledStationAETitle",
        ]

    @pytest.mark.parametrize("item", [None, Dataset()], ids=["no item", "empty item"])
    def test_whole_sequence_requested(self, item):
        ds = Dataset()
        ds.ScheduledProcedureStepSequence = [] if item is None else [item]
        (key,) = parse_worklist_query(wire(ds)).return_keys
        assert key.is_sequence and key.item_keys == ()

    def test_more_than_one_item_refused(self):
        ds = identifier({"Modality": "XA"})
        ds.ScheduledProcedureStepSequence.append(Dataset())
        error = refused(ds)
        assert (error.reason, error.keyword) == (MSG_SEQUENCE_ITEMS, SPS)

    def test_sequence_key_sent_as_text_refused(self):
        ds = Dataset()
        ds.add_new(0x00400100, "LO", "XA")
        assert refused(ds).reason == MSG_NOT_A_SEQUENCE

    def test_requested_procedure_code_matching(self):
        ds = Dataset()
        code = Dataset()
        code.CodeValue = "IR0042"
        code.CodingSchemeDesignator = ""
        ds.RequestedProcedureCodeSequence = [code]
        query = parse_worklist_query(ds)
        assert [(f.field, f.value) for f in query.active_filters] == [
            ("requested_procedure_code.value", "IR0042")
        ]

    def test_unsupported_matching_keys_are_ignored_but_returned(self, transport):
        ds = identifier(
            {"ScheduledProcedureStepDescription": "Angio*"},
            RequestedProcedureDescription="TIPS",
            PatientComments="anything",
        )
        ds.add_new(0x00091010, "LO", "private")
        query = parse_worklist_query(transport(ds))
        assert query.active_filters == ()
        assert set(query.unsupported_keys) == {
            "RequestedProcedureDescription",
            "PatientComments",
            "(0009,1010)",
            f"{SPS}>ScheduledProcedureStepDescription",
        }
        assert {key.keyword for key in query.return_keys} >= {
            "RequestedProcedureDescription",
            "PatientComments",
            "(0009,1010)",
        }

    def test_protocol_code_values_are_not_matched(self):
        code = Dataset()
        code.CodeValue = "P1"
        ds = identifier({"ScheduledProtocolCodeSequence": [code]})
        query = parse_worklist_query(ds)
        assert query.active_filters == ()
        assert query.unsupported_keys == (f"{SPS}>ScheduledProtocolCodeSequence>CodeValue",)

    def test_charset_and_timezone_are_never_keys(self):
        ds = identifier(PatientID="", SpecificCharacterSet="ISO_IR 100")
        ds.TimezoneOffsetFromUTC = "+0100"
        query = parse_worklist_query(ds)
        assert [key.keyword for key in query.return_keys] == ["PatientID"]
        assert query.charset == ("ISO_IR 100",)


class TestCharacterSets:
    def test_latin1_query_off_the_wire(self):
        ds = wire(identifier(SpecificCharacterSet="ISO_IR 100", PatientName="Müller*"))
        assert only_filter(ds, "patient_name").value == "Müller*"

    def test_utf8_query_off_the_wire(self):
        ds = wire(identifier(SpecificCharacterSet="ISO_IR 192", PatientName="Łukasz*"))
        assert only_filter(ds, "patient_name").value == "Łukasz*"

    def test_ae_fallback_when_charset_omitted(self):
        raw = struct.pack("<HH", 0x0010, 0x0010) + b"PN" + struct.pack("<H", 6) + b"M\xfcl*  "
        ds = decode(BytesIO(raw), False, True)
        query = parse_worklist_query(ds, fallback_charset="ISO_IR 100")
        assert query.filters[0].value == "Mül*"

    def test_undecodable_bytes_refused(self):
        raw = (
            struct.pack("<HH", 0x0008, 0x0005)
            + b"CS"
            + struct.pack("<H", 10)
            + b"ISO_IR 192"
            + struct.pack("<HH", 0x0010, 0x0010)
            + b"PN"
            + struct.pack("<H", 6)
            + b"M\xfcl*  "
        )
        error = refused(decode(BytesIO(raw), False, True))
        assert (error.reason, error.keyword, error.tag) == (
            MSG_UNDECODABLE,
            "PatientName",
            0x00100010,
        )
        assert error.status == STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS

    def test_unsupported_charset_is_unable_to_process(self):
        error = refused(identifier(SpecificCharacterSet="ISO_IR 999", PatientID=""))
        assert (error.reason, error.keyword) == (MSG_UNSUPPORTED_CHARSET, "SpecificCharacterSet")
        assert error.status == STATUS_UNABLE_TO_PROCESS


def test_error_comment_fits_an_lo():
    error = refused(identifier({"ScheduledProcedureStepStartDate": "2025-13-45"}))
    assert error.error_comment == f"ScheduledProcedureStepStartDate: {MSG_INVALID_RANGE}"
    assert len(error.error_comment) <= 64


@pytest.mark.parametrize(
    ("pattern", "like"),
    [
        ("Sm*th", "Sm%th"),
        ("?mith", "_mith"),
        ("50%_off*", "50\\%\\_off%"),
        ("back\\slash", "back\\\\slash"),
        ("plain", "plain"),
    ],
)
def test_to_like_pattern(pattern, like):
    assert to_like_pattern(pattern) == like


def test_conformance_key_lists():
    assert "PatientName" in MATCHING_KEYS
    assert f"{SPS}>ScheduledStationAETitle" in MATCHING_KEYS
    assert f"{SPS}>ScheduledProcedureStepStartDate" in MATCHING_KEYS
    assert "RequestedProcedureDescription" not in MATCHING_KEYS
    assert "RequestedProcedureDescription" in RETURN_KEYS
    assert "RequestedProcedureCodeSequence>CodeMeaning" in RETURN_KEYS
    assert "PatientTransportArrangements" not in RETURN_KEYS
