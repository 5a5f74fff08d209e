"""Applying received HL7 messages: patients, merges, identifiers, orders and referrals, the
real messages of ../shared/data/hl7 and synthetic ones. No socket here (the listener's tests
send them over MLLP): a message is stored as received, then applied, as the receiver does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.db import transaction

from irflow.catalogue.models import ProcedureType
from irflow.hl7.parse import HL7Error, parse
from irflow.hl7server.apply import INTERFACE_USERNAME, Applied, apply
from irflow.hl7server.models import CodeMapping, Inbound, InboundMessage, PlacerOrder
from irflow.orders.models import Order, OrderStatus
from irflow.patients.models import IdentifierKind, Patient, PatientIdentifier, PatientMerge
from irflow.referrals.models import Referral, ReferralStatus

pytestmark = pytest.mark.django_db

HL7_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "hl7"
shared = pytest.mark.skipif(
    not HL7_DIR.is_dir(), reason=f"shared HL7 messages not present at {HL7_DIR} (not in the repo)"
)

_counter = iter(range(1, 10_000))


def receive(raw: bytes | str) -> tuple[InboundMessage, Applied | HL7Error]:
    """Store the message as received, then apply it under a savepoint, as the receiver does."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    parsed = parse(data)
    header = parsed.header
    message = InboundMessage.objects.create(
        raw=data,
        sending_application=header.sending_application,
        sending_facility=header.sending_facility,
        control_id=header.control_id,
        message_type=header.message_type,
        version=header.version,
    )
    try:
        with transaction.atomic():
            result: Applied | HL7Error = apply(message, parsed)
    except HL7Error as exc:
        result = exc
    return message, result


def applied(raw: bytes | str) -> Applied:
    _, result = receive(raw)
    assert isinstance(result, Applied), f"{result.location}: {result.reason}"  # type: ignore[union-attr]
    return result


def refused(raw: bytes | str) -> HL7Error:
    _, result = receive(raw)
    assert isinstance(result, HL7Error), result
    return result


def msh(kind: str, *, version: str = "2.5.1", app: str = "HIS") -> str:
    return f"MSH|^~\\&|{app}|HOSP|IRFLOW|IR|20260101120000||{kind}|C{next(_counter)}|P|{version}"


def pid(
    mrn: str = "M1",
    authority: str = "",
    *,
    family: str = "Doe",
    given: str = "Jane",
    dob: str = "19600102",
    sex: str = "F",
    address: str = "",
    phone: str = "",
    extra_ids: str = "",
) -> str:
    ident = f"{mrn}^^^{authority}^MR{extra_ids}"
    return f"PID|1||{ident}||{family}^{given}||{dob}|{sex}|||{address}||{phone}"


def adt(trigger: str, *segments: str, version: str = "2.5.1") -> str:
    return "\r".join([msh(f"ADT^{trigger}", version=version), f"EVN|{trigger}", *segments]) + "\r"


def order(
    control: str = "NW",
    placer: str = "P1",
    code: str = "PICC^PICC line^L",
    *,
    patient: str | None = None,
    kind: str = "ORM^O01",
    version: str = "2.3.1",
    priority: str = "R",
    extra: tuple[str, ...] = (),
    obr_tail: str = "",
) -> str:
    segments = [
        msh(kind, version=version, app="EHR"),
        patient or pid(),
        f"ORC|{control}|{placer}^EHR|||||^^^20260110090000^^{priority}|||||1234^House^Greg",
        f"OBR|1|{placer}^EHR||{code}|||||||||Check line position{obr_tail}",
        *extra,
    ]
    return "\r".join(segments) + "\r"


def the_patient(value: str, issuer: str = "HOSP") -> Patient:
    return PatientIdentifier.objects.get(issuer=issuer, value=value).patient


# ---------------------------------------------------------------- the shared messages


@shared
def test_epic_order_with_an_unknown_code_goes_to_triage_with_its_text():
    result = applied((HL7_DIR / "orm-o01.hl7").read_bytes())
    patient = the_patient("20891312")  # no assigning authority: the hospital's MRN
    assert (patient.family_name, patient.given_name) == ("APPLESEED", "JOHN")
    assert patient.birth_date == date(1966, 12, 1) and patient.sex == "M"
    assert patient.phone == "(608)123-4567"
    assert patient.address.startswith("505 S. HAMILTON AVE")
    ssn = patient.identifiers.get(kind=IdentifierKind.NATIONAL)
    assert (ssn.issuer, ssn.value) == ("SSN", "123-45-7890")
    referral = Referral.objects.get(patient=patient)
    assert referral.status == ReferralStatus.RECEIVED  # the triage queue
    assert referral.requested_procedure_text == "X-RAY ANKLE 3+ VW"
    assert referral.procedure_type is None
    assert "73610" in referral.relevant_history and "987654" in referral.relevant_history
    assert referral.referrer.username == INTERFACE_USERNAME
    assert referral.referring_clinician == "JAMES A MATTHEWS"
    assert not Order.objects.exists()
    assert "triage" in result.outcome and result.patient_id == patient.pk
    assert PlacerOrder.objects.get(placer="EPIC", number="987654").referral == referral


@shared
def test_dcm4che_imaging_order_keeps_the_senders_dicom_keys():
    CodeMapping.objects.create(
        code="10637-7", coding_system="LN", procedure_type=ProcedureType.objects.get(code="PICC")
    )
    message, result = receive((HL7_DIR / "dcm4che" / "omi-o23-imaging-order.hl7").read_bytes())
    assert isinstance(result, Applied) and result.status == Inbound.APPLIED
    made = Order.objects.get()
    assert made.accession_number == "AccessionNumber"
    assert made.requested_procedure_id == "RequestedProcID"
    assert made.study_instance_uid == "1.2.392.200036.9125.0.198811291108.7"
    assert made.placer_order_number == "PlacerOrderNumberImagingServiceRequest"
    assert made.patient == the_patient("PID_1", "ADT1")
    assert made.priority == "routine"
    assert "RequestedProcedurePriority" in result.outcome  # not understood, said
    assert "ScheduledStationAET1" in result.outcome
    message.refresh_from_db()
    assert message.patient_id == made.patient_id


@shared
def test_dcm4che_order_laid_out_as_orm_with_zds_is_read_and_not_ordered_twice():
    CodeMapping.objects.create(
        code="10637-7", procedure_type=ProcedureType.objects.get(code="PICC")
    )
    applied((HL7_DIR / "dcm4che" / "orm-o01-general-order-with-zds.hl7").read_bytes())
    made = Order.objects.get()
    assert made.study_instance_uid == "1.2.392.200036.9125.0.198811291108.7"  # ZDS-1
    assert made.accession_number == "AccessionNumber"  # OBR-18
    again = applied((HL7_DIR / "dcm4che" / "omi-o23-imaging-order.hl7").read_bytes())
    assert again.status == Inbound.IGNORED and "not a second order" in again.outcome
    assert Order.objects.count() == 1


@shared
def test_dcm4che_patient_update_merge_and_their_order():
    a31 = applied((HL7_DIR / "dcm4che" / "adt-a31-update-person.hl7").read_bytes())
    lucy = the_patient("PID_1", "ADT1")
    assert (lucy.family_name, lucy.given_name, lucy.sex) == ("Smith", "Lucy", "F")
    assert lucy.address == "PatientAddress" and a31.patient_id == lucy.pk
    result = applied((HL7_DIR / "dcm4che" / "adt-a40-merge.hl7").read_bytes())
    assert "nothing to merge" in result.outcome  # OLD_PID_1 never reached irflow
    assert the_patient("NEW_PID_1", "ADT1").family_name == "New_Smith"


@shared
def test_adt_with_spaces_between_segments_has_no_readable_pid():
    error = refused((HL7_DIR / "adt-a01.hl7").read_bytes())
    assert (error.ack_code, error.location, error.error_code) == ("AE", "PID", "101")
    assert not Patient.objects.exists()


@shared
@pytest.mark.parametrize(
    "name",
    [
        "invalid-bad-phone.hl7",
        "siu-s12.hl7",
        "oru-r01-nist-1.hl7",
        "oru-r01-nist-2.hl7",
        "dcm4che/siu-s12-new-appointment.hl7",
        "dcm4che/oru-r01-sr.hl7",
    ],
)
def test_message_types_irflow_does_not_take_are_rejected(name):
    error = refused((HL7_DIR / name).read_bytes())
    assert (error.ack_code, error.location, error.error_code) == ("AR", "MSH-9", "200")
    assert not Patient.objects.exists()


@shared
def test_every_shared_message_is_answered():
    for path in sorted(HL7_DIR.rglob("*.hl7")):
        _, result = receive(path.read_bytes())
        assert isinstance(result, Applied | HL7Error), path


# ---------------------------------------------------------------- patients


def test_a04_registers_and_a08_changes_only_what_it_says():
    first = applied(adt("A04", pid(address="1 High St^^Leeds^^LS1 1AA", phone="0113 496 0000")))
    jane = the_patient("M1")
    assert first.patient_id == jane.pk
    assert (jane.address, jane.phone) == ("1 High St, Leeds, LS1 1AA", "0113 496 0000")
    # Empty fields leave the values; "" clears the phone; the name changes.
    applied(adt("A08", 'PID|1||M1^^^^MR||Roe^Jane||||||||""'))
    jane.refresh_from_db()
    assert (jane.family_name, jane.birth_date, jane.sex) == ("Roe", date(1960, 1, 2), "F")
    assert jane.address == "1 High St, Leeds, LS1 1AA" and jane.phone == ""
    assert Patient.objects.count() == 1
    same = applied(adt("A31", "PID|1||M1^^^^MR||Roe^Jane"))
    assert "nothing to change" in same.outcome


def test_assigning_authority_is_the_issuer_and_a_setting_maps_it(settings):
    applied(adt("A04", pid("X1", "LAB")))
    assert the_patient("X1", "LAB")
    settings.IRFLOW_HL7_ISSUERS = {"ADT1": "HOSP"}
    applied(adt("A04", pid("X2", "ADT1", family="Poe")))
    assert the_patient("X2", "HOSP").family_name == "Poe"


def test_national_numbers_are_added_but_never_identify():
    applied(adt("A04", pid("A1", extra_ids="~943 476 5919^^^^NH")))
    applied(adt("A04", pid("A2", family="Other", extra_ids="~943 476 5919^^^^NH")))
    assert Patient.objects.count() == 2
    nhs = PatientIdentifier.objects.get(value="943 476 5919")
    assert (nhs.kind, nhs.issuer, nhs.patient) == ("NI", "NH", the_patient("A1"))


@pytest.mark.parametrize(
    ("pid_segment", "location", "code"),
    [
        (pid(dob="1960"), "PID-7", "102"),
        (pid(dob="19601302"), "PID-7", "102"),
        (pid(dob=""), "PID-7", "101"),
        (pid(sex="Q"), "PID-8", "103"),
        (pid(phone="call the ward"), "PID-13", "102"),
        (pid(phone="0" * 60), "PID-13", "102"),  # refused by the patients service
        (pid(family=""), "PID-5", "101"),
        ("PID|1||^^^HOSP^MR||Doe^Jane||19600102|F", "PID-3", "101"),
    ],
)
def test_wrong_patient_content_is_an_ae_naming_the_field(pid_segment, location, code):
    error = refused(adt("A01", pid_segment))
    assert (error.ack_code, error.location, error.error_code) == ("AE", location, code)
    assert not Patient.objects.exists()


def test_an_ae_after_registering_leaves_nothing():
    applied(adt("A04", pid("GONE", family="Gone")))
    Patient.objects.filter(pk=the_patient("GONE").pk).update(is_active=False)
    # A40 registers the survivor, then the merge service refuses: nothing of it stays.
    error = refused(adt("A40", pid("NEW", family="Keep"), "MRG|GONE^^^^MR"))
    assert (error.ack_code, error.location) == ("AE", "MRG-1")
    assert "active" in error.reason
    assert not PatientIdentifier.objects.filter(value="NEW").exists()
    assert Patient.objects.count() == 1


def test_a40_merges_through_the_merge_service():
    applied(adt("A04", pid("OLD", family="Dup")))
    applied(adt("A04", pid("NEW", family="Keep")))
    old, new = the_patient("OLD"), the_patient("NEW")
    result = applied(
        adt("A40", pid("NEW", family="Keep"), "MRG|OLD^^^^MR||||||Dup^Jane", version="2.3.1")
    )
    old.refresh_from_db()
    assert not old.is_active and old.merged_into == new
    merge = PatientMerge.objects.get()
    assert "A40" in merge.reason and "OLD" in merge.reason
    assert the_patient("OLD") == new  # the identifier moved to the surviving record
    assert f"merged into patient {new.pk}" in result.outcome
    again = applied(adt("A40", pid("NEW", family="Keep"), "MRG|OLD^^^^MR"))
    assert "already merged" in again.outcome and PatientMerge.objects.count() == 1


@pytest.mark.parametrize("rule", ["accept", "reject"])
def test_an_a08_naming_a_merged_identifier_after_a40(settings, rule):
    settings.IRFLOW_HL7_MERGED_IDENTIFIER = rule
    applied(adt("A04", pid("OLD", family="Dup")))
    applied(adt("A04", pid("NEW", family="Keep")))
    applied(adt("A40", pid("NEW", family="Keep"), "MRG|OLD^^^^MR"))
    survivor = the_patient("NEW")
    _, result = receive(adt("A08", pid("OLD", family="Keep", phone="0113 000")))
    survivor.refresh_from_db()
    if rule == "accept":
        assert isinstance(result, Applied)
        assert "was merged into" in result.outcome and "surviving record" in result.outcome
        assert result.patient_id == survivor.pk and survivor.phone == "0113 000"
    else:
        assert isinstance(result, HL7Error)
        assert (result.ack_code, result.location) == ("AE", "PID-3")
        assert survivor.phone == ""


def test_a40_for_a_patient_irflow_does_not_know_registers_the_survivor():
    applied(adt("A04", pid("OLD", family="Dup")))
    applied(adt("A40", pid("NEW", family="Keep"), "MRG|OLD^^^^MR"))
    assert the_patient("OLD") == the_patient("NEW")
    assert Patient.objects.filter(is_active=True).count() == 1


def test_a47_changes_the_identifier_on_the_same_patient():
    applied(adt("A04", pid("WRONG")))
    jane = the_patient("WRONG")
    result = applied(adt("A47", pid("RIGHT"), "MRG|WRONG^^^^MR"))
    assert the_patient("RIGHT") == jane and result.patient_id == jane.pk
    assert not PatientIdentifier.objects.filter(value="WRONG").exists()
    error = refused(adt("A47", pid("OTHER"), "MRG|NOBODY^^^^MR"))
    assert (error.location, error.error_code) == ("MRG-1", "204")


def test_valid_events_irflow_does_not_act_on_are_ignored_in_words():
    result = applied(adt("A02", pid()))
    assert result.status == Inbound.IGNORED and "does not act on" in result.outcome
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("kind", "code"),
    [("ADT^Z99", "201"), ("ADT^A99", "201"), ("ORM^O02", "201"), ("XYZ^A01", "200")],
)
def test_unknown_types_and_triggers_are_rejected(kind, code):
    error = refused("\r".join([msh(kind), pid()]) + "\r")
    assert (error.ack_code, error.location, error.error_code) == ("AR", "MSH-9", code)


# ---------------------------------------------------------------- orders


def test_nw_with_a_catalogue_code_creates_the_order_once():
    first = applied(order(priority="S"))
    made = Order.objects.get()
    assert made.procedure_type.code == "PICC" and made.priority == "emergent"
    assert made.placer_order_number == "P1" and made.status == OrderStatus.ORDERED
    assert "Check line position" in made.clinical_indication
    assert "Greg House" in made.clinical_indication
    assert made.accession_number in first.outcome
    again = applied(order(priority="S"))
    assert again.status == Inbound.IGNORED and "not a second order" in again.outcome
    assert Order.objects.count() == 1


def test_the_senders_mapping_wins_over_any_senders():
    picc, other = ProcedureType.objects.filter(active=True).exclude(code="PICC")[:1].get(), None
    picc, other = ProcedureType.objects.get(code="PICC"), picc
    CodeMapping.objects.create(code="X1", procedure_type=other)
    CodeMapping.objects.create(sending_application="EHR", code="X1", procedure_type=picc)
    applied(order(code="X1^Line^LOCAL"))
    assert Order.objects.get().procedure_type == picc


def test_the_senders_identifiers_are_kept_unless_they_clash():
    ipc = "IPC|ACC1|RP1|1.2.3.4|SPS1|XA||||ANGIO1~ANGIO2"
    first = applied(order(kind="OMI^O23", version="2.5.1", extra=(ipc,)))
    made = Order.objects.get()
    assert (made.accession_number, made.requested_procedure_id) == ("ACC1", "RP1")
    assert made.study_instance_uid == "1.2.3.4"
    assert "ANGIO1, ANGIO2" in first.outcome
    second = applied(order(placer="P2", kind="OMI^O23", version="2.5.1", extra=(ipc,)))
    other = Order.objects.exclude(pk=made.pk).get()
    assert other.accession_number != "ACC1" and other.study_instance_uid != "1.2.3.4"
    assert "taken" in second.outcome


def test_a_bad_study_uid_is_an_ae_and_nothing_is_written():
    error = refused(order(extra=("ZDS|not-a-uid^100^Application^DICOM",)))
    assert (error.location, error.error_code) == ("ZDS-1", "102")
    assert not Patient.objects.exists() and not Order.objects.exists()


def test_ca_cancels_and_xo_changes_the_order():
    applied(order())
    changed = applied(order("XO", priority="A"))
    made = Order.objects.get()
    assert made.priority == "urgent" and "priority" in changed.outcome
    cancelled = applied(order("CA"))
    made.refresh_from_db()
    assert made.status == OrderStatus.CANCELLED and "CA" in made.cancel_reason
    assert "cancelled" in cancelled.outcome
    assert applied(order("CA")).status == Inbound.IGNORED  # already cancelled


def test_ca_for_an_order_irflow_never_had_is_an_ae():
    error = refused(order("CA", placer="NOPE"))
    assert (error.ack_code, error.location, error.error_code) == ("AE", "ORC-2", "204")


def test_other_order_controls_are_ignored_in_words():
    result = applied(order("HD"))
    assert result.status == Inbound.IGNORED and "ORC-1 HD" in result.outcome


def test_unknown_code_referral_is_cancelled_and_changed_by_the_placer():
    applied(order(code="ZZ9^Embolise something^L"))
    referral = Referral.objects.get()
    assert referral.requested_procedure_text == "Embolise something"
    assert referral.urgency == "routine" and referral.status == ReferralStatus.RECEIVED
    changed = applied(order("XO", code="ZZ9^Embolise something else^L"))
    assert "Added to referral" in changed.outcome
    assert "something else" in referral.events.last().note
    applied(order("CA"))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED


def test_an_order_without_a_procedure_or_placer_number_is_an_ae():
    error = refused(order(code=""))
    assert (error.location, error.error_code) == ("OBR-4", "101")
    no_placer = order().replace("ORC|NW|P1^EHR|", "ORC|NW||").replace("OBR|1|P1^EHR|", "OBR|1||")
    error = refused(no_placer)
    assert (error.location, error.error_code) == ("ORC-2", "101")


def test_a47_onto_another_patients_identifier_is_an_ae():
    applied(adt("A04", pid("ONE")))
    applied(adt("A04", pid("TWO", family="Two")))
    error = refused(adt("A47", pid("TWO"), "MRG|ONE^^^^MR"))
    assert (error.location, error.error_code) == ("PID-3", "205")
    assert the_patient("ONE") != the_patient("TWO")


def test_an_identifier_longer_than_irflow_keeps_is_an_ae():
    error = refused(adt("A04", pid("9" * 65)))
    assert (error.location, error.error_code) == ("PID-3", "102")


def test_xo_with_an_unknown_code_says_the_procedure_is_unchanged():
    applied(order())
    result = applied(order("XO", code="ZZ1^Something new^L", priority="S"))
    made = Order.objects.get()
    assert made.procedure_type.code == "PICC" and made.priority == "emergent"
    assert "procedure is unchanged" in result.outcome


def test_a_message_naming_the_survivor_too_is_not_refused_after_a_merge(settings):
    settings.IRFLOW_HL7_MERGED_IDENTIFIER = "reject"
    applied(adt("A04", pid("OLD", family="Dup")))
    applied(adt("A04", pid("NEW", family="Keep")))
    applied(adt("A40", pid("NEW", family="Keep"), "MRG|OLD^^^^MR"))
    result = applied(adt("A08", pid("NEW", family="Keep", extra_ids="~OLD^^^^MR", phone="0113")))
    assert "merged" not in result.outcome and the_patient("NEW").phone == "0113"
