"""Reading ADT and order messages into plain data: the real messages of ../shared/data/hl7
(not copied here) and synthetic edge cases. Pure: no database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from irflow.hl7.fields import EventUse, FieldUse
from irflow.hl7.inbound import (
    EVENTS,
    FIELDS,
    merge_data,
    order_data,
    patient_data,
    read_date,
    require_procedure,
)
from irflow.hl7.parse import HL7Error, parse

HL7_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "hl7"
shared = pytest.mark.skipif(
    not HL7_DIR.is_dir(), reason=f"shared HL7 messages not present at {HL7_DIR} (not in the repo)"
)


def read(name: str):
    return parse((HL7_DIR / name).read_bytes())


def message(*segments: str, kind: str = "ADT^A08", version: str = "2.5.1"):
    header = f"MSH|^~\\&|HIS|HOSP|IRFLOW|IR|20260101120000||{kind}|1|P|{version}"
    return parse(("\r".join([header, *segments]) + "\r").encode())


# ---------------------------------------------------------------- the shared messages


@shared
def test_epic_orm_v23():
    msg = read("orm-o01.hl7")
    patient = patient_data(msg)
    mrn, ssn = patient.identifiers
    assert (mrn.value, mrn.authority, mrn.type_code, mrn.national) == ("20891312", "", "EPI", False)
    assert (ssn.value, ssn.location, ssn.national) == ("123-45-7890", "PID-19", True)
    assert (patient.family_name, patient.given_name) == ("APPLESEED", "JOHN")
    assert patient.birth_date == date(1966, 12, 1) and patient.sex == "M"
    assert patient.phone == "(608)123-4567"  # 2.3: the number as text in PID-13.1
    assert patient.address == "505 S. HAMILTON AVE, MADISON WI, 53505, US"
    order = order_data(msg)
    assert (order.control, order.placer_number, order.placer_namespace) == ("NW", "987654", "EPIC")
    assert order.filler_number == "76543"
    assert (order.code, order.code_text, order.code_system) == ("73610", "X-RAY ANKLE 3+ VW", "")
    assert order.ordering_provider == "JAMES A MATTHEWS"  # ORC-12
    assert order.requested_start == datetime(2014, 4, 18, 17, 0, 14)  # ORC-7.4
    assert order.priority == "" and order.study_instance_uid == ""


@shared
def test_dcm4che_omi_o23_carries_the_dicom_keys_in_ipc():
    msg = read("dcm4che/omi-o23-imaging-order.hl7")
    assert msg.header.message_type == "OMI^O23"
    order = order_data(msg)
    assert order.placer_number == "PlacerOrderNumberImagingServiceRequest"
    assert (order.code, order.code_text, order.code_system) == (
        "10637-7",
        "Microscopic Observation",
        "LN",
    )
    assert order.accession_number == "AccessionNumber"
    assert order.requested_procedure_id == "RequestedProcID"
    assert order.study_instance_uid == "1.2.392.200036.9125.0.198811291108.7"
    assert order.sps_id == "ScheduledProcStepID" and order.modality == "CT"
    assert order.station_aets == ["ScheduledStationAET1", "ScheduledStationAET2"]
    assert order.requested_start == datetime(2000, 8, 16, 15, 10)  # TQ1-7
    # ORC-7.6 says "RequestedProcedurePriority": not a priority code, kept to be said.
    assert (order.priority, order.priority_sent) == ("", "RequestedProcedurePriority")
    patient = patient_data(msg)
    assert patient.identifiers[0].authority == "ADT1"
    assert (patient.family_name, patient.given_name) == ("Smith", "Lucy")


@shared
def test_dcm4che_order_that_says_omi_but_is_an_orm_with_zds():
    msg = read("dcm4che/orm-o01-general-order-with-zds.hl7")
    assert msg.header.message_type == "OMI^O23" and msg.first("IPC") is None
    order = order_data(msg)
    assert order.study_instance_uid == "1.2.392.200036.9125.0.198811291108.7"  # ZDS-1
    assert order.accession_number == "AccessionNumber"  # OBR-18
    assert order.requested_procedure_id == "RequestedProcID"  # OBR-19
    assert order.sps_id == "ScheduledProcStepID"  # OBR-20
    assert order.modality == "CT"  # OBR-24
    assert order.station_aets == []


@shared
def test_dcm4che_merge_and_update():
    merge = merge_data(read("dcm4che/adt-a40-merge.hl7"))
    assert (merge.identifier.value, merge.identifier.authority) == ("OLD_PID_1", "ADT1")
    assert merge.name == "Lucy Old_Smith"
    assert patient_data(read("dcm4che/adt-a40-merge.hl7")).identifiers[0].value == "NEW_PID_1"
    update = patient_data(read("dcm4che/adt-a31-update-person.hl7"))
    assert update.address == "PatientAddress" and update.phone is None


@shared
def test_nist_authority_with_an_oid_and_a_v25_phone():
    patient = patient_data(read("oru-r01-nist-1.hl7"))
    (ident,) = patient.identifiers
    assert (ident.value, ident.authority, ident.type_code) == ("9817566735", "MPI", "MR")
    assert patient.phone == "303 5548889"  # PID-13.6 area, .7 local
    assert patient.birth_date == date(2007, 5, 26)


@shared
def test_adt_with_spaces_between_segments_has_no_pid():
    msg = read("adt-a01.hl7")
    with pytest.raises(HL7Error) as exc:
        patient_data(msg)
    assert (exc.value.location, exc.value.error_code, exc.value.ack_code) == ("PID", "101", "AE")


@shared
def test_the_bad_phone_message_has_no_patient_identifier():
    with pytest.raises(HL7Error) as exc:
        patient_data(read("invalid-bad-phone.hl7"))
    assert (exc.value.location, exc.value.error_code) == ("PID-3", "101")


@shared
def test_every_shared_message_reads_or_names_what_is_missing():
    for path in sorted(HL7_DIR.rglob("*.hl7")):
        msg = parse(path.read_bytes())
        for reader in (patient_data, merge_data, order_data):
            try:
                reader(msg)
            except HL7Error as exc:
                assert exc.location and exc.error_code in ("101", "102", "103"), path


# ---------------------------------------------------------------- patients


def test_empty_leaves_and_two_double_quotes_clear():
    patient = patient_data(message('PID|1||M1^^^HOSP^MR||""^Jane||""||||||""'))
    assert patient.family_name == "" and patient.given_name == "Jane"
    assert patient.birth_date is None and patient.birth_date_cleared
    assert patient.sex is None and patient.address is None
    assert patient.phone == ""
    assert patient.key == "M1^^^HOSP"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19600102", date(1960, 1, 2)),
        ("196001021230", date(1960, 1, 2)),
        ("19600102123045.123+0100", date(1960, 1, 2)),
    ],
)
def test_birth_dates(value, expected):
    assert read_date(value, "PID-7") == expected


@pytest.mark.parametrize("value", ["1960", "196001", "19601302", "1960-01-02", "yesterday"])
def test_partial_or_bad_birth_dates_are_an_ae_naming_pid7(value):
    with pytest.raises(HL7Error) as exc:
        patient_data(message(f"PID|1||M1||Doe^Jane||{value}|F"))
    assert (exc.value.location, exc.value.error_code, exc.value.ack_code) == ("PID-7", "102", "AE")


@pytest.mark.parametrize(
    ("sent", "sex"), [("F", "F"), ("m", "M"), ("O", "O"), ("U", "U"), ("A", "O"), ("N", "U")]
)
def test_sex_codes(sent, sex):
    assert patient_data(message(f"PID|1||M1||Doe^Jane||19600102|{sent}")).sex == sex


def test_unknown_sex_is_an_ae_naming_pid8():
    with pytest.raises(HL7Error) as exc:
        patient_data(message("PID|1||M1||Doe^Jane||19600102|Z"))
    assert (exc.value.location, exc.value.error_code) == ("PID-8", "103")


def test_identifiers_national_numbers_and_authorities():
    patient = patient_data(
        message(
            "PID|1||M1^^^HOSP&1.2.3&ISO^MR~943 476 5919^^^NHS^NH~P9^^^&2.16.1&ISO^PI"
            "||Doe^Jane||19600102|F|||||||||||AB123456C"
        )
    )
    mrn, nhs, by_oid, ssn = patient.identifiers
    assert (mrn.authority, mrn.national) == ("HOSP", False)
    assert (nhs.value, nhs.authority, nhs.national) == ("943 476 5919", "NHS", True)
    assert by_oid.authority == "2.16.1"  # no namespace: the universal ID
    assert (ssn.value, ssn.location, ssn.national) == ("AB123456C", "PID-19", True)


def test_phones_first_telephone_of_pid13_else_pid14_email_skipped():
    patient = patient_data(
        message(
            "PID|1||M1||Doe^Jane||19600102|F|||||^NET^Internet^jane@example.org"
            "~^PRN^PH^^44^113^4960000^12|^WPN^PH^^^020^7946000"
        )
    )
    assert patient.phone == "+44 113 4960000 x12"
    work = patient_data(message("PID|1||M1||Doe^Jane||19600102|F||||||^WPN^PH^^^020^7946000"))
    assert work.phone == "020 7946000"


def test_a_phone_with_letters_is_an_ae_naming_the_field():
    with pytest.raises(HL7Error) as exc:
        patient_data(message("PID|1||M1||Doe^Jane||19600102|F|||||ring the ward"))
    assert (exc.value.location, exc.value.error_code) == ("PID-13", "102")


def test_address_components_in_one_line_and_escapes_decoded():
    patient = patient_data(
        message("PID|1||M1||M\\XFC\\ller^J\\S\\rg||19600102|F|||Flat 2^1 High St^Leeds^^LS1^GB")
    )
    assert patient.address == "Flat 2, 1 High St, Leeds, LS1, GB"
    assert patient.family_name == "Müller" and patient.given_name == "J^rg"


def test_no_pid_or_no_identifier_is_an_ae():
    with pytest.raises(HL7Error) as exc:
        patient_data(message("EVN|A08"))
    assert (exc.value.location, exc.value.error_code) == ("PID", "101")
    with pytest.raises(HL7Error) as exc:
        patient_data(message('PID|1||""||Doe^Jane'))
    assert exc.value.location == "PID-3"


def test_mrg_is_required_with_an_identifier():
    with pytest.raises(HL7Error) as exc:
        merge_data(message("PID|1||M1"))
    assert exc.value.location == "MRG"
    with pytest.raises(HL7Error) as exc:
        merge_data(message("PID|1||M1", "MRG|"))
    assert (exc.value.location, exc.value.error_code) == ("MRG-1", "101")
    merge = merge_data(message("PID|1||M1", "MRG|OLD^^^HOSP^MR||||||Doe^Jane"))
    assert (merge.identifier.value, merge.identifier.authority, merge.name) == (
        "OLD",
        "HOSP",
        "Jane Doe",
    )


# ---------------------------------------------------------------- orders


def orm(orc: str, obr: str = "OBR|1|P1||PICC^PICC line^L", *more: str):
    return message("PID|1||M1||Doe^Jane||19600102|F", orc, obr, *more, kind="ORM^O01")


def obr(**values: str) -> str:
    """An OBR with these fields (OBR-n as `f<n>`)."""
    fields = ["OBR", "1", "P1", "", "PICC"] + [""] * 27
    for name, value in values.items():
        fields[int(name[1:])] = value
    return "|".join(fields).rstrip("|")


@pytest.mark.parametrize(
    ("segments", "priority"),
    [
        (("ORC|NW|P1|||||^^^^^S",), "emergent"),
        (("ORC|NW|P1", "OBR|1|P1||PICC", "TQ1|||||||||A^ASAP^HL70485"), "urgent"),
        (("ORC|NW|P1", obr(f27="^^^^^R")), "routine"),
        (("ORC|NW|P1",), ""),
    ],
)
def test_priority_from_orc7_tq1_9_or_obr27(segments, priority):
    assert order_data(orm(*segments)).priority == priority


def test_requested_start_from_tq1_first():
    order = order_data(
        orm("ORC|NW|P1|||||^^^202601100900", "OBR|1|P1||PICC", "TQ1|||||||202602010800")
    )
    assert order.requested_start == datetime(2026, 2, 1, 8, 0)
    with pytest.raises(HL7Error) as exc:
        order_data(orm("ORC|NW|P1|||||^^^2026"))
    assert (exc.value.location, exc.value.error_code) == ("ORC-7.4", "102")


def test_placer_number_from_obr2_when_orc2_is_empty():
    order = order_data(orm("ORC|NW", "OBR|1|P7^EHR|F7|PICC"))
    assert (order.placer_number, order.placer_namespace, order.filler_number) == ("P7", "EHR", "F7")


def test_reason_from_obr31_else_obr13_and_provider_from_obr16():
    order = order_data(
        orm("ORC|NW|P1", obr(f13="Line check", f16="9^Ng^Amy^^^Dr", f31="R1^Sepsis"))
    )
    assert order.reason == "Sepsis" and order.ordering_provider == "Dr Amy Ng"
    assert order_data(orm("ORC|NW|P1", obr(f13="Line check"))).reason == "Line check"


def test_missing_or_wrong_order_values_are_aes_naming_the_field():
    cases = [
        (message("PID|1||M1", kind="ORM^O01"), "ORC", "101"),
        (orm("ORC||P1"), "ORC-1", "101"),
        (orm("ORC|NW", "OBR|1||"), "ORC-2", "101"),
        (orm("ORC|NW|P1", "OBR|1|P1||PICC", "ZDS|1.2.x.3^100^Application^DICOM"), "ZDS-1", "102"),
        (orm("ORC|NW|P1", "OBR|1|P1||PICC", "IPC|A|R|" + "1." * 40 + "1"), "IPC-3", "102"),
    ]
    for msg, location, code in cases:
        with pytest.raises(HL7Error) as exc:
            order_data(msg)
        assert (exc.value.location, exc.value.error_code) == (location, code)
    with pytest.raises(HL7Error) as exc:
        require_procedure(order_data(orm("ORC|NW|P1", "OBR|1|P1||")))
    assert (exc.value.location, exc.value.error_code) == ("OBR-4", "101")


# ---------------------------------------------------------------- what the docs say


def test_events_and_fields_describe_the_code():
    assert all(isinstance(e, EventUse) and e.message_type and e.irflow for e in EVENTS)
    assert all(isinstance(f, FieldUse) and f.field and f.meaning and f.irflow for f in FIELDS)
    named = " ".join(f.field for f in FIELDS)
    for location in ("PID-3", "PID-7", "PID-8", "PID-11", "PID-13", "PID-19", "MRG-1"):
        assert location in named
    for location in ("ORC-1", "ORC-2", "OBR-4", "TQ1-9", "IPC-1", "IPC-3", "ZDS-1", "IPC-9"):
        assert location in named
    types = " ".join(e.message_type for e in EVENTS)
    for kind in ("ADT^A01", "ADT^A08", "ADT^A40", "ADT^A47", "ORM^O01", "OMI^O23", "OMG^O19"):
        assert kind in types
