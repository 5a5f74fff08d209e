"""The recall search: every patient who received a product or lot, across procedures, with
the device's status today (in situ, removed, used and not left in), as a page and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from irflow.dayofcase import services as day
from irflow.demo.generator import demo_create
from irflow.devices import selectors, services
from irflow.devices.models import DeviceInSitu
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.patients.services import patient_create
from irflow.procedures.models import DeviceUsed
from irflow.procedures.services import device_add
from irflow.procedures.udi import hibc_encode
from irflow.testing.cases import booked, checklist, documented, fresh_room, past_weekday_at
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db

FILTER_LOT42 = "(01)00884838035683(17)491231(10)LOT42(21)SN{n}"
FILTER_LOT43 = "(01)00884838035683(17)491231(10)LOT43(21)SN{n}"
SHEATH_LOT42 = "(01)05012345678900(17)491231(10)LOT42"  # another product, the same lot name


def _patient(attending, n: int):
    return patient_create(
        actor=attending,
        mrn=f"R000000{n}",
        family_name=f"Recall{n}",
        given_name="Pat",
        birth_date=date(1950 + n, 1, 1),
        sex="F",
    )


def _procedure(attending, patient, udis: list[tuple[str, bool]], days_back: int):
    booking = booked(
        attending, patient, fresh_room(), start=past_weekday_at(9, days_back=days_back)
    )
    record = documented(attending, booking)
    day.case_record_update(
        actor=attending, procedure_id=record.pk, group="access", values={"access_sites": ["none"]}
    )
    for udi, implanted in udis:
        device_add(
            actor=attending,
            procedure_id=record.pk,
            udi=udi,
            device_type="IVC filter" if implanted else "Sheath",
            implanted=implanted,
            in_situ_kind="ivc_filter" if implanted else "",
        )
    checklist(attending, booking, "sign_out")
    return day.case_complete(actor=attending, procedure_id=record.pk)


@pytest.fixture
def world(attending):
    a, b, c = (_patient(attending, n) for n in (1, 2, 3))
    first = _procedure(attending, a, [(FILTER_LOT42.format(n=1), True)], days_back=30)
    second = _procedure(
        attending, b, [(FILTER_LOT42.format(n=2), True), (SHEATH_LOT42, False)], days_back=20
    )
    third = _procedure(attending, c, [(FILTER_LOT43.format(n=3), True)], days_back=10)
    removed = DeviceInSitu.objects.get(placed_by_procedure=second)
    services.device_remove(
        actor=attending, device_id=removed.pk, removed_on=date.today(), reason="elsewhere"
    )
    return {"a": a, "b": b, "c": c, "first": first, "second": second, "third": third}


def found(actor, **query) -> list[tuple[str, str, str]]:
    return [
        (line.device.record.patient.family_name, line.device.lot, line.status)
        for line in selectors.device_recall(actor=actor, **query)
    ]


def test_a_lot_finds_its_patients_across_procedures_with_the_status(attending, world):
    assert found(attending, lot="LOT42") == [
        ("Recall2", "LOT42", "not_left_in"),  # the sheath: another product, the same lot
        ("Recall2", "LOT42", "removed"),
        ("Recall1", "LOT42", "in_situ"),
    ]
    assert found(attending, product="00884838035683", lot="lot42") == [
        ("Recall2", "LOT42", "removed"),
        ("Recall1", "LOT42", "in_situ"),
    ]
    # A GTIN-13 as printed under the barcode (no leading zero) finds the same product.
    assert [p for p, _, _ in found(attending, product="0884838035683")] == [
        "Recall3",
        "Recall2",
        "Recall1",
    ]
    assert found(attending, lot="LOT44") == []


def test_a_hibc_product_is_found_with_or_without_its_plus(attending):
    patient = _patient(attending, 4)
    label = hibc_encode("H123STENT80", lot="HL1")
    _procedure(attending, patient, [(label, False)], days_back=5)
    assert found(attending, product="+H123STENT80") == [("Recall4", "HL1", "not_left_in")]
    assert found(attending, product="h123stent80", lot="HL1") == [("Recall4", "HL1", "not_left_in")]


def test_struck_out_devices_are_left_out(attending, world):
    sheath = world["second"].devices.get(device_type="Sheath")
    sheath.entered_in_error = True
    sheath.save()
    assert [s for _, _, s in found(attending, lot="LOT42")] == ["removed", "in_situ"]


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("attending", True),
        ("nurse", True),
        ("qi_lead", True),
        ("trainee", False),
        ("technologist", False),
        ("scheduler", False),
        ("referrer", False),
    ],
)
def test_who_may_search_a_recall(personas, persona, allowed):
    if allowed:
        assert selectors.device_recall(actor=personas[persona], lot="LOT42") == []
    else:
        with pytest.raises(Forbidden):
            selectors.device_recall(actor=personas[persona], lot="LOT42")


def test_an_empty_search_says_what_to_give(attending):
    with pytest.raises(ValidationFailed) as exc:
        selectors.device_recall(actor=attending, product=" ", lot="")
    assert exc.value.errors["product"] == [selectors.MSG_RECALL_EMPTY]


def test_the_recall_page_lists_and_exports_csv(client, personas, world):
    login(client, personas["qi_lead"])
    page = client.get("/devices/recall/", {"lot": "LOT42"}).content.decode()
    assert "2 patients, 3 devices" in page
    assert f"/procedures/bookings/{world['first'].booking_id}/" in page
    assert "Removed" in page and "In situ" in page and "Export CSV" in page
    export = client.get("/devices/recall/", {"lot": "LOT42", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert 'filename="recall-LOT42.csv"' in export["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [(r["family_name"], r["status"], r["lot"]) for r in rows] == [
        ("Recall2", "Used, not left in", "LOT42"),
        ("Recall2", "Removed", "LOT42"),
        ("Recall1", "In situ", "LOT42"),
    ]
    assert rows[2]["record_url"].endswith(f"/procedures/bookings/{world['first'].booking_id}/")
    empty = client.get("/devices/recall/", {"product": " "})
    assert empty.status_code == 200 and "searched" not in empty.content.decode()
    login(client, personas["scheduler"])
    assert client.get("/devices/recall/").status_code == 403


def test_the_demo_scans_its_devices_and_a_lot_is_found_in_several_patients(personas):
    demo_create(patients=40, seed=5, today=timezone.localdate())
    scanned = DeviceUsed.objects.exclude(udi="")
    assert scanned.exists() and not DeviceUsed.objects.filter(udi="").exists()
    assert set(scanned.values_list("udi_issuer", flat=True)) >= {"GS1"}
    lot = max(
        set(scanned.values_list("lot", flat=True)),
        key=lambda x: scanned.filter(lot=x).values("record__patient").distinct().count(),
    )
    lines = selectors.device_recall(actor=personas["qi_lead"], lot=lot)
    assert all(line.device.lot == lot for line in lines)
    assert len({line.device.record.patient_id for line in lines}) >= 2
