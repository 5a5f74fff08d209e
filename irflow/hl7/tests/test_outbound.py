"""The messages irflow sends, built from plain data and read back with irflow's own reader
(and python-hl7 underneath): the fields the issue names, escapes, character sets, the PDF."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest

from irflow.hl7 import outbound as o
from irflow.hl7.fields import EventUse, FieldUse
from irflow.hl7.parse import parse

NOW = datetime(2026, 3, 2, 14, 30, 0, tzinfo=UTC)
SIGNER = o.Person("GMC123", "Khan", "Aisha")
PATIENT = o.PatientData(
    identifiers=[o.Identifier("H123", "HOSP"), o.Identifier("943 476 5919", "NHS", "NI")],
    family_name="Łukasiewicz-Müller",
    given_name="Jörg",
    birth_date=date(1961, 4, 5),
    sex="M",
    address="1 Hill Road|Flat ^2",
    phone="+44 20 7946 0000",
)
ORDER = o.OrderData(
    placer_order_number="PL-77",
    accession_number="A000123",
    requested_procedure_id="RP000123",
    study_instance_uid="1.2.826.0.1.3680043.10.1293.1.2.3",
    procedure_code="IVCF-IN",
    procedure_text="IVC filter placement",
    priority="urgent",
    status="scheduled",
    modality="XA",
)
REPORT = o.ReportData(
    text="Impression:\nInfrarenal filter, 21 mm.\nNo complication & no contrast reaction.",
    signed_by=SIGNER,
    signed_at=NOW,
    procedure_at=NOW - timedelta(hours=3),
)
BOOKING = o.BookingData(
    sps_id="SPS0042",
    start=datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    end=datetime(2026, 3, 9, 10, 30, tzinfo=UTC),
    room_code="ANGIO1",
    room_name="Angio suite 1",
    modality="XA",
    station_ae_title="ANGIO1_XA",
    operator=SIGNER,
)


def target(version: str = "2.5.1", charset: str = "UNICODE UTF-8") -> o.Target:
    return o.Target(
        version=version,
        charset=charset,
        receiving_application="EPIC",
        receiving_facility="GENHOSP",
        sending_facility="IR dept",
    )


def read(built: o.Built, charset: str = "UNICODE UTF-8"):
    assert built.text.endswith("\r") and "\n" not in built.text
    return parse(o.encode(built.text, charset))


def oru(**kwargs):
    args = {"target": target(), "control_id": "IRF1", "now": NOW, "patient": PATIENT}
    args |= {"order": ORDER, "report": REPORT} | kwargs
    return o.oru_r01(**args)


def test_oru_r01_for_a_signed_report_carries_the_fields_the_issue_names():
    msg = read(oru())
    h = msg.header
    assert (h.message_type, h.structure, h.version, h.control_id) == (
        "ORU^R01",
        "ORU_R01",
        "2.5.1",
        "IRF1",
    )
    assert (h.sending_application, h.receiving_application, h.receiving_facility) == (
        "IRFLOW",
        "EPIC",
        "GENHOSP",
    )
    assert h.charset == "UNICODE UTF-8"
    assert [s.name for s in msg.segments][:5] == ["MSH", "PID", "PV1", "ORC", "OBR"]
    pid = msg.first("PID")
    assert pid.get(3, 1) == "H123" and pid.get(3, 4) == "HOSP" and pid.get(3, 5) == "MR"
    assert pid.get(3, 1, repetition=1) == "943 476 5919" and pid.get(3, 5, repetition=1) == "NI"
    assert (pid.get(5, 1), pid.get(5, 2), pid.get(7), pid.get(8)) == (
        "Łukasiewicz-Müller",
        "Jörg",
        "19610405",
        "M",
    )
    orc, obr = msg.first("ORC"), msg.first("OBR")
    assert (orc.get(1), orc.get(2), orc.get(3), orc.get(5)) == ("RE", "PL-77", "A000123", "CM")
    assert (obr.get(2), obr.get(3), obr.get(3, 2)) == ("PL-77", "A000123", "IRFLOW")
    assert (obr.get(4, 1), obr.get(4, 2), obr.get(4, 3)) == (
        "IVCF-IN",
        "IVC filter placement",
        "99IRFLOW",
    )
    assert obr.get(7) == "20260302113000+0000"
    assert (obr.get(18), obr.get(19)) == ("A000123", "RP000123")
    assert obr.get(22) == "20260302143000+0000"
    assert obr.get(25) == "F"
    assert (obr.get(32, 1, 1), obr.get(32, 1, 2), obr.get(32, 1, 3)) == ("GMC123", "Khan", "Aisha")
    obx = msg.all("OBX")
    # 2.5.1: the Study Instance UID as the first OBX, then one TX row per line of the report.
    assert (obx[0].get(2), obx[0].get(3), obx[0].get(5)) == (
        "ST",
        "113014",
        ORDER.study_instance_uid,
    )
    text = [row for row in obx if row.get(2) == "TX"]
    assert [row.get(5) for row in text] == REPORT.text.split("\n")
    assert {row.get(3) for row in text} == {"47048-4"} and {row.get(11) for row in text} == {"F"}
    assert [row.get(1) for row in obx] == [str(n) for n in range(1, len(obx) + 1)]
    assert msg.first("ZDS") is None


def test_an_addendum_resends_the_whole_report_as_corrected():
    addendum = o.Addendum("Histology: benign.\nNo change.", SIGNER, NOW + timedelta(days=2))
    report = o.ReportData(**{**REPORT.__dict__, "addenda": [addendum]})
    msg = read(oru(report=report))
    obr = msg.first("OBR")
    assert obr.get(25) == "C"
    assert obr.get(22) == "20260304143000+0000"  # the addendum's signature
    rows = [row for row in msg.all("OBX") if row.get(2) == "TX"]
    assert {row.get(11) for row in rows} == {"C"}
    assert [row.get(5) for row in rows if row.get(4) == "1"] == REPORT.text.split("\n")
    added = [row.get(5) for row in rows if row.get(4) == "2"]
    assert added[0].startswith("Addendum signed by Aisha Khan on 2026-03-04")
    assert added[1:] == ["Histology: benign.", "No change."]


def test_the_pdf_travels_as_base64_ed_when_the_destination_wants_it():
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    report = o.ReportData(**{**REPORT.__dict__, "pdf": pdf})
    ed = [row for row in read(oru(report=report)).all("OBX") if row.get(2) == "ED"]
    assert len(ed) == 1
    row = ed[0]
    assert (row.get(5, 2), row.get(5, 3), row.get(5, 4)) == ("application", "pdf", "Base64")
    assert base64.b64decode(row.get(5, 5)) == pdf
    assert not [r for r in read(oru()).all("OBX") if r.get(2) == "ED"]


def test_version_2_3_1_carries_the_study_uid_in_zds():
    msg = read(oru(target=target("2.3.1")))
    assert msg.header.version == "2.3.1" and msg.header.message_type == "ORU^R01"
    assert msg.header.structure == ""
    zds = msg.first("ZDS")
    assert zds is not None
    assert (zds.get(1, 1), zds.get(1, 2), zds.get(1, 3), zds.get(1, 4)) == (
        ORDER.study_instance_uid,
        "100",
        "Application",
        "DICOM",
    )
    assert not [r for r in msg.all("OBX") if r.get(2) == "ST"]


def test_delimiters_and_new_lines_in_values_are_escaped_and_read_back():
    msg = read(oru())
    pid = msg.first("PID")
    assert pid.get(11) == "1 Hill Road|Flat ^2"
    assert "\\F\\" in pid.raw(11) and "\\S\\" in pid.raw(11)
    assert o.escape("a|b^c~d\\e&f\ng") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\.br\\g"
    assert parse(o.encode(oru().text, "UNICODE UTF-8")).all("OBX")[-1].get(5) == (
        "No complication & no contrast reaction."
    )


@pytest.mark.parametrize(
    ("charset", "family", "given"),
    [
        ("UNICODE UTF-8", "Łukasiewicz-Müller", "Jörg"),
        ("8859/1", "Lukasiewicz-Müller", "Jörg"),  # Ł is not in Latin-1: transliterated
        ("ASCII", "Lukasiewicz-Muller", "Jorg"),
    ],
)
def test_names_are_fitted_to_the_destination_character_set(charset, family, given):
    built = oru(target=target(charset=charset))
    raw = o.encode(built.text, charset)
    msg = parse(raw)
    assert msg.header.charset == charset
    assert (msg.first("PID").get(5, 1), msg.first("PID").get(5, 2)) == (family, given)
    raw.decode({"ASCII": "ascii", "8859/1": "latin-1"}.get(charset, "utf-8"))  # strict


def test_report_typography_is_written_as_a_typist_would_where_the_set_lacks_it():
    text = "Stenosis – “tight”, ≥ 70 % at 37°C; 5×5 mm…"
    assert o.fit(text, "ASCII") == 'Stenosis - "tight", >= 70 % at 37 degC; 5x5 mm...'
    assert o.fit(text, "8859/1") == 'Stenosis - "tight", >= 70 % at 37°C; 5×5 mm...'
    assert o.fit(text, "UNICODE UTF-8") == text


def test_a_character_with_no_transliteration_becomes_a_question_mark():
    assert o.fit("Ivan Иванов", "ASCII") == "Ivan ??????"
    assert o.fit("Ивано́в", "UNICODE UTF-8") == "Ивано́в"
    with pytest.raises(o.MessageError, match="EBCDIC"):
        o.fit("x", "EBCDIC")


def test_siu_s12_s13_s15_for_a_booking_moved_and_cancelled():
    common = {"target": target(), "now": NOW, "patient": PATIENT, "order": ORDER}
    new = read(o.siu(control_id="S1", event="booked", booking=BOOKING, **common))
    assert new.header.message_type == "SIU^S12" and new.header.structure == "SIU_S12"
    assert [s.name for s in new.segments] == [
        "MSH",
        "SCH",
        "PID",
        "PV1",
        "RGS",
        "AIS",
        "AIL",
        "AIP",
    ]
    sch = new.first("SCH")
    assert (sch.get(1), sch.get(2), sch.get(2, 2)) == ("PL-77", "SPS0042", "IRFLOW")
    assert (sch.get(9), sch.get(10), sch.get(25)) == ("90", "min", "Booked")
    assert (sch.get(11, 3), sch.get(11, 4), sch.get(11, 5)) == (
        "90",
        "20260309090000+0000",
        "20260309103000+0000",
    )
    assert (sch.get(26), sch.get(27)) == ("PL-77", "A000123")
    ais, ail, aip = new.first("AIS"), new.first("AIL"), new.first("AIP")
    assert (ais.get(3), ais.get(4), ais.get(7), ais.get(8)) == (
        "IVCF-IN",
        "20260309090000+0000",
        "90",
        "min",
    )
    assert (ail.get(3, 2), ail.get(3, 9), ail.get(6)) == (
        "ANGIO1",
        "Angio suite 1",
        "20260309090000+0000",
    )
    assert (aip.get(3, 1), aip.get(3, 2), aip.get(4)) == ("GMC123", "Khan", "OP")
    moved = o.BookingData(**{**BOOKING.__dict__, "reason_code": "equipment"})
    s13 = read(o.siu(control_id="S2", event="rescheduled", booking=moved, **common))
    assert s13.header.trigger == "S13" and s13.first("SCH").get(6) == "equipment"
    gone = o.BookingData(
        **{**BOOKING.__dict__, "reason_code": "patient_unwell", "reason_text": "Patient unwell"}
    )
    s15 = read(o.siu(control_id="S3", event="cancelled", booking=gone, **common))
    sch = s15.first("SCH")
    assert s15.header.trigger == "S15" and sch.get(25) == "Cancelled"
    assert (sch.get(6, 1), sch.get(6, 2)) == ("patient_unwell", "Patient unwell")
    # 2.3.1 has no SCH-26/27.
    old = read(
        o.siu(
            control_id="S4", event="booked", booking=BOOKING, **common | {"target": target("2.3.1")}
        )
    )
    assert old.first("SCH").get(26) == "" and old.header.structure == ""


def test_order_status_is_omi_o23_with_tq1_and_ipc_on_2_5_1():
    msg = read(
        o.order_status(
            target=target(), control_id="O1", now=NOW, patient=PATIENT, order=ORDER, booking=BOOKING
        )
    )
    assert msg.header.message_type == "OMI^O23" and msg.header.structure == "OMI_O23"
    assert [s.name for s in msg.segments] == ["MSH", "PID", "PV1", "ORC", "TQ1", "OBR", "IPC"]
    orc = msg.first("ORC")
    assert (orc.get(1), orc.get(2), orc.get(3), orc.get(5)) == ("SC", "PL-77", "A000123", "SC")
    tq1 = msg.first("TQ1")
    assert (tq1.get(7), tq1.get(9)) == ("20260309090000+0000", "A")
    ipc = msg.first("IPC")
    assert [ipc.get(n) for n in (1, 2, 3, 4, 5, 9)] == [
        "A000123",
        "RP000123",
        ORDER.study_instance_uid,
        "SPS0042",
        "XA",
        "ANGIO1_XA",
    ]
    assert msg.first("ZDS") is None


def test_order_status_is_orm_o01_with_zds_on_2_3_1():
    cancelled = o.OrderData(**{**ORDER.__dict__, "status": "cancelled"})
    msg = read(
        o.order_status(
            target=target("2.3.1", "8859/1"),
            control_id="O2",
            now=NOW,
            patient=PATIENT,
            order=cancelled,
        ),
        "8859/1",
    )
    assert msg.header.message_type == "ORM^O01"
    assert [s.name for s in msg.segments] == ["MSH", "PID", "PV1", "ORC", "OBR", "ZDS"]
    orc = msg.first("ORC")
    assert (orc.get(1), orc.get(5)) == ("OC", "CA")
    assert msg.first("ZDS").get(1) == ORDER.study_instance_uid


def test_the_first_message_about_an_order_irflow_created_asks_for_a_number():
    own = o.OrderData(**{**ORDER.__dict__, "placer_order_number": ""})
    args = {"target": target(), "now": NOW, "patient": PATIENT, "order": own}
    first = read(o.order_status(control_id="O3", first=True, **args))
    later = read(o.order_status(control_id="O4", **args))
    assert (first.first("ORC").get(1), first.first("ORC").get(2)) == ("SN", "")
    assert later.first("ORC").get(1) == "SC"
    placed = read(o.order_status(control_id="O5", first=True, **args | {"order": ORDER}))
    assert placed.first("ORC").get(1) == "SC"  # the hospital placed it: never SN, never NW


def test_unknown_versions_and_events_are_refused():
    with pytest.raises(o.MessageError, match=r"2\.4"):
        oru(target=target("2.4"))
    with pytest.raises(o.MessageError, match="arrived"):
        o.siu(
            target=target(),
            control_id="X",
            now=NOW,
            event="arrived",
            patient=PATIENT,
            order=ORDER,
            booking=BOOKING,
        )


def test_events_and_fields_describe_what_is_written():
    assert all(isinstance(e, EventUse) for e in o.EVENTS)
    assert all(isinstance(f, FieldUse) for f in o.FIELDS)
    types = {e.message_type for e in o.EVENTS}
    assert types == {"ORU^R01", "ORM^O01", "OMI^O23", "SIU^S12", "SIU^S13", "SIU^S15"}
    documented = {(f.messages, f.field) for f in o.FIELDS}
    for needed in ("OBR-25", "OBR-32", "OBR-22", "OBR-18", "OBR-19", "OBR-4", "OBR-7"):
        assert ("ORU^R01", needed) in documented
    # Every field the ORU writes with a value is described.
    msg = read(oru())
    written = {
        f"{s.name}-{n}"
        for s in msg.segments
        if s.name in ("ORC", "OBR")
        for n in range(1, 40)
        if s.raw(n)
    }
    oru_fields = {f.field for f in o.FIELDS if f.messages == "ORU^R01"}
    assert written - {"OBR-1"} <= oru_fields
