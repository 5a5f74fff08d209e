"""The reference matcher, and the database translation of filters held to it.

`where_clause` below is the mechanical translation the Django SCP makes into ORM lookups; it
runs here against SQLite, with `matches` as the oracle.
"""

import sqlite3
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from irflow.dicom.worklist import (
    Code,
    Filter,
    MatchKind,
    WorklistItem,
    WorklistQuery,
    fold_case,
    matches,
    parse_worklist_query,
    pn_group,
    resolve,
)
from irflow.dicom.worklist.matching import filter_matches

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.valuerep")

ITEMS = (
    WorklistItem(
        patient_name="MÜLLER^Jörg",
        patient_id="P1",
        patient_birth_date=date(1960, 5, 17),
        patient_sex="M",
        accession_number="A100",
        requested_procedure_id="RP1",
        requested_procedure_code=Code("IR0042", "99IRFLOW", "TIPS"),
        study_instance_uid="1.2.826.0.1.1",
        sps_id="S1",
        sps_status="SCHEDULED",
        sps_station_ae_title="ANGIO1",
        sps_modality="XA",
        sps_start=datetime(2025, 7, 5, 10, 0),
        sps_performing_physician_name="House^Gregory",
    ),
    WorklistItem(
        patient_name="Muller^Anna",
        patient_id="P2",
        patient_birth_date=date(1985, 1, 2),
        patient_sex="F",
        accession_number="A_101",
        study_instance_uid="1.2.826.0.1.2",
        sps_id="S2",
        sps_status="SCHEDULED",
        sps_station_ae_title="ANGIO1",
        sps_modality="XA",
        sps_start=datetime(2025, 7, 5, 23, 30),
    ),
    WorklistItem(
        patient_name="Yamada^Tarou=山田^太郎=やまだ^たろう",
        patient_id="P3",
        accession_number="A%102",
        study_instance_uid="1.2.826.0.1.3",
        sps_id="S3",
        sps_status="ARRIVED",
        sps_station_ae_title="CT1",
        sps_modality="CT",
        sps_start=datetime(2025, 7, 6, 3, 15),
    ),
    WorklistItem(
        patient_name="smith^john",
        patient_id="p1",
        sps_id="S4",
        sps_station_ae_title="US1",
        sps_modality="US",
        sps_start=datetime(2025, 7, 7, 18, 0, 30),
        requested_procedure_code=Code("IR0007", "99IRFLOW", "Drain"),
    ),
    WorklistItem(patient_name="SMITH^JOHN^^", patient_id="P5", sps_modality="XA"),
    WorklistItem(patient_id="P6", sps_station_ae_title="ANGIO2", sps_modality="XA"),
)


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


def matched(ds: Dataset) -> set[str]:
    query = parse_worklist_query(ds)
    return {item.patient_id for item in ITEMS if matches(query, item)}


class TestMatches:
    def test_single_value_is_case_sensitive(self):
        assert matched(identifier(PatientID="P1")) == {"P1"}

    def test_pn_is_case_insensitive(self):
        assert matched(identifier(PatientName="Smith^John")) == {"p1", "P5"}

    def test_pn_wildcard_is_case_insensitive_beyond_ascii(self):
        assert matched(identifier(PatientName="müller*")) == {"P1"}

    def test_question_mark_is_one_character(self):
        assert matched(identifier(PatientName="M?ller*")) == {"P1", "P2"}

    def test_ideographic_group(self):
        assert matched(identifier(PatientName="=山田*")) == {"P3"}
        assert matched(identifier(PatientName="Yamada^Tarou")) == {"P3"}

    def test_percent_and_underscore_are_literal(self):
        assert matched(identifier(AccessionNumber="A_1*")) == {"P2"}
        assert matched(identifier(AccessionNumber="A%*")) == {"P3"}

    def test_unknown_values_never_match(self):
        assert "P6" not in matched(identifier(PatientName="*a*"))
        assert "P6" in matched(identifier(PatientName="*"))

    def test_sequence_keys(self):
        ds = identifier({"Modality": "XA", "ScheduledStationAETitle": "ANGIO1"})
        assert matched(ds) == {"P1", "P2"}

    def test_date_range_inclusive(self):
        ds = identifier({"ScheduledProcedureStepStartDate": "20250705-20250706"})
        assert matched(ds) == {"P1", "P2", "P3"}

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("-20250705", {"P1", "P2"}), ("20250706-", {"P3", "p1"}), ("20250707", {"p1"})],
    )
    def test_open_date_ranges(self, value, expected):
        assert matched(identifier({"ScheduledProcedureStepStartDate": value})) == expected

    def test_combined_range_runs_overnight(self):
        ds = identifier(
            {
                "ScheduledProcedureStepStartDate": "20250705-20250706",
                "ScheduledProcedureStepStartTime": "2200-0600",
            }
        )
        assert matched(ds) == {"P2", "P3"}

    def test_time_range_alone_applies_to_every_day(self):
        ds = identifier({"ScheduledProcedureStepStartTime": "0900-1800"})
        assert matched(ds) == {"P1", "p1"}

    def test_upper_time_bound_includes_its_minute(self):
        ds = identifier({"ScheduledProcedureStepStartTime": "1700-1800"})
        assert matched(ds) == {"p1"}

    def test_single_time_is_exact(self):
        assert matched(identifier({"ScheduledProcedureStepStartTime": "1000"})) == {"P1"}
        assert matched(identifier({"ScheduledProcedureStepStartTime": "1800"})) == set()

    def test_birth_date(self):
        assert matched(identifier(PatientBirthDate="19600517")) == {"P1"}

    def test_uid_list(self):
        ds = identifier(StudyInstanceUID=["1.2.826.0.1.1", "1.2.826.0.1.3", "9.9"])
        assert matched(ds) == {"P1", "P3"}

    def test_code_sequence(self):
        code = Dataset()
        code.CodeValue = "IR0042"
        ds = Dataset()
        ds.RequestedProcedureCodeSequence = [code]
        assert matched(ds) == {"P1"}

    def test_everything_matches_an_empty_query(self):
        assert matched(identifier(PatientName="", PatientID="")) == {i.patient_id for i in ITEMS}


# The translation a database SCP performs. PN columns hold fold_case(pn_group(name, n)) so a
# plain index serves case-insensitive matching; zero-length values are stored as NULL.
FIELDS = (
    "patient_id",
    "patient_birth_date",
    "patient_sex",
    "accession_number",
    "referring_physician_name",
    "requested_procedure_id",
    "requested_procedure_code.value",
    "requested_procedure_code.scheme",
    "study_instance_uid",
    "sps_id",
    "sps_status",
    "sps_station_ae_title",
    "sps_station_name",
    "sps_modality",
    "sps_start",
    "sps_start.date",
    "sps_start.time",
)
PN_FIELDS = ("patient_name", "sps_performing_physician_name", "referring_physician_name")


def column(f: Filter) -> str:
    name = f.field.replace(".", "__")
    return f"{name}__g{f.pn_group}" if f.case_insensitive else name


def sql_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, time):
        return value.isoformat("microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value if value not in (None, "") else None


def where_clause(query: WorklistQuery) -> tuple[str, list[object]]:
    clauses, params = ["1"], []
    for f in query.active_filters:
        col = column(f)
        if f.kind is MatchKind.SINGLE:
            clauses.append(f"{col} = ?")
            params.append(f.match_value if f.case_insensitive else sql_value(f.value))
        elif f.kind is MatchKind.WILDCARD:
            clauses.append(f"{col} LIKE ? ESCAPE '\\'")
            params.append(f.like_pattern)
        elif f.kind is MatchKind.LIST:
            clauses.append(f"{col} IN ({', '.join('?' * len(f.values))})")
            params.extend(f.values)
        elif f.kind is MatchKind.RANGE:
            if f.start is not None:
                clauses.append(f"{col} >= ?")
                params.append(sql_value(f.start))
            if f.end is not None:
                clauses.append(f"{col} <= ?")
                params.append(sql_value(f.end))
    return " AND ".join(clauses), params


@pytest.fixture(scope="module")
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA case_sensitive_like = ON")
    assert conn.execute("SELECT 'a' LIKE 'A'").fetchone()[0] == 0
    pn_columns = [f"{field}__g{n}" for field in PN_FIELDS for n in range(3)]
    columns = [field.replace(".", "__") for field in FIELDS] + pn_columns
    conn.execute(f"CREATE TABLE items (key TEXT, {', '.join(columns)})")
    for item in ITEMS:
        row = [sql_value(resolve(item, field)) for field in FIELDS]
        for field in PN_FIELDS:
            name = str(resolve(item, field) or "")
            row += [sql_value(fold_case(pn_group(name, n))) for n in range(3)]
        marks = ", ".join("?" * (len(row) + 1))
        # Only placeholders are interpolated; the values are bound parameters.
        conn.execute(f"INSERT INTO items VALUES ({marks})", [item.patient_id, *row])  # noqa: S608
    return conn


QUERIES = [
    identifier(PatientID="P1"),
    identifier(PatientID="p*"),
    identifier(PatientName="Smith^John"),
    identifier(PatientName="müller*"),
    identifier(PatientName="M?ller*"),
    identifier(PatientName="*a*"),
    identifier(PatientName="=山田*"),
    identifier(PatientName="Yamada^Tarou=山田^太郎"),
    identifier(AccessionNumber="A_1*"),
    identifier(AccessionNumber="A%*"),
    identifier(AccessionNumber="A?10?"),
    identifier(PatientBirthDate="-19700101"),
    identifier(StudyInstanceUID=["1.2.826.0.1.1", "1.2.826.0.1.3"]),
    identifier(StudyInstanceUID="1.2.826.0.1.2"),
    identifier({"Modality": "XA"}),
    identifier({"Modality": "XA", "ScheduledStationAETitle": "ANGIO1"}),
    identifier({"ScheduledStationAETitle": "ANGIO*", "ScheduledProcedureStepStatus": ""}),
    identifier({"ScheduledProcedureStepStartDate": "20250705-20250706"}),
    identifier({"ScheduledProcedureStepStartDate": "20250706-"}),
    identifier({"ScheduledProcedureStepStartDate": "20250705"}),
    identifier({"ScheduledProcedureStepStartTime": "0900-1800"}),
    identifier({"ScheduledProcedureStepStartTime": "1000"}),
    identifier({"ScheduledProcedureStepStartTime": "-0400"}),
    identifier(
        {
            "ScheduledProcedureStepStartDate": "20250705-20250706",
            "ScheduledProcedureStepStartTime": "2200-0600",
        }
    ),
    identifier(
        {
            "ScheduledProcedureStepStartDate": "20250707",
            "ScheduledProcedureStepStartTime": "1800-1800",
        }
    ),
    identifier({"ScheduledProcedureStepID": "S?", "ScheduledPerformingPhysicianName": "house*"}),
    identifier(PatientSex="F"),
    identifier(PatientName="", PatientID=""),
]


@pytest.mark.parametrize("ds", QUERIES, ids=lambda ds: repr(ds.to_json_dict())[:60])
def test_database_translation_agrees_with_matches(db, ds):
    query = parse_worklist_query(ds)
    sql, params = where_clause(query)
    # Column names come from the fixed field list; the values are bound parameters.
    rows = db.execute(f"SELECT key FROM items WHERE {sql}", params).fetchall()  # noqa: S608
    assert {key for (key,) in rows} == {i.patient_id for i in ITEMS if matches(query, i)}


def test_translation_covers_every_matching_field():
    fields = {
        column(f).rsplit("__g", 1)[0].replace("__", ".")
        for q in QUERIES
        for f in parse_worklist_query(q).filters
    }
    assert fields <= set(FIELDS) | set(PN_FIELDS)


LIKE_DB = sqlite3.connect(":memory:", check_same_thread=False)
LIKE_DB.execute("PRAGMA case_sensitive_like = ON")
LIKE_DB.create_function("pn_fold", 1, lambda v: fold_case(pn_group(v, 0)) or None)
TEXT = st.text(alphabet="aAbBzüÜ%_^ *?\\=", max_size=8)


@given(pattern=TEXT, value=TEXT)
def test_like_pattern_agrees_with_matches(pattern, value):
    f = Filter("patient_id", "PatientID", MatchKind.WILDCARD, value=pattern)
    expected = filter_matches(f, WorklistItem(patient_id=value))
    (got,) = LIKE_DB.execute(
        "SELECT ? LIKE ? ESCAPE '\\'", (value or None, f.like_pattern)
    ).fetchone()
    assert bool(got) == expected


@given(pattern=TEXT, value=TEXT)
def test_case_insensitive_like_agrees_with_matches(pattern, value):
    f = Filter(
        "patient_name", "PatientName", MatchKind.WILDCARD, value=pattern, case_insensitive=True
    )
    expected = filter_matches(f, WorklistItem(patient_name=value))
    (got,) = LIKE_DB.execute(
        "SELECT pn_fold(?) LIKE ? ESCAPE '\\'", (value, f.like_pattern)
    ).fetchone()
    assert bool(got) == expected


@given(
    pattern=st.text(alphabet="aAbBzZ%_*?", max_size=8),
    value=st.text(alphabet="aAbBzZ%_", max_size=8),
)
def test_ascii_case_insensitive_like_with_sql_lower(pattern, value):
    f = Filter(
        "patient_name", "PatientName", MatchKind.WILDCARD, value=pattern, case_insensitive=True
    )
    expected = filter_matches(f, WorklistItem(patient_name=value))
    (got,) = LIKE_DB.execute(
        "SELECT lower(?) LIKE ? ESCAPE '\\'", (value or None, f.like_pattern)
    ).fetchone()
    assert bool(got) == expected
