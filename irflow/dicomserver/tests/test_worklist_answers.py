"""Worklist answers over a real association: every attribute of every item, and what a query
costs in database queries whatever the number of items.

`data/worklist_answers.json` holds the expected answers for a fixed set of bookings (the
synthetic fill below, dates fixed): every key of the information model requested, in two
transfer syntaxes and two response character sets (UTF-8 for an AE irflow does not know,
ISO_IR 100 with transliteration for one configured so). They were recorded from the
listener's answers and checked by hand against the bookings; to record them again after a
deliberate change, run this module with IRFLOW_RECORD_WORKLIST_ANSWERS=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.db.backends.signals import connection_created
from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from irflow.catalogue.models import Room
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.synthetic import worklist_fill

pytestmark = pytest.mark.e2e

ANSWERS = Path(__file__).parent / "data" / "worklist_answers.json"
RECORD = os.environ.get("IRFLOW_RECORD_WORKLIST_ANSWERS") == "1"
FIRST_DAY = date(2026, 3, 26)
SYNTAXES = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    # Answered through pynetdicom's own encoding rather than irflow's.
    "big-endian": ExplicitVRBigEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
}
# (calling AE, transfer syntax, the query's character set)
CASES = {
    "unknown-ae-utf8-explicit": ("WLTEST", "explicit", "ISO_IR 192"),
    "latin1-ae-implicit": ("LATIN1AE", "implicit", ""),
}


def every_key(specs: tuple[KeySpec, ...] = TOP_KEYS) -> Dataset:
    """An identifier requesting every key irflow knows, plus one it does not (echoed empty)."""
    ds = Dataset()
    for spec in specs:
        if spec.vr == "SQ":
            ds.add_new(spec.tag, "SQ", [every_key(spec.items)] if spec.items else [])
        else:
            ds.add_new(spec.tag, spec.vr, None)
    return ds


def query(charset: str = "") -> Dataset:
    ds = every_key()
    ds.PatientComments = ""  # outside Table K.6-1: returned zero-length
    if charset:
        ds.SpecificCharacterSet = charset
    return ds


def ask(
    listener, calling: str, syntax: str, identifier: Dataset, maximum_pdu: int = 16382
) -> list[Dataset]:
    """One C-FIND on a new association in `syntax`; the pending answers' identifiers."""
    ae = AE(ae_title=calling)
    ae.maximum_pdu_size = maximum_pdu
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    ae.add_requested_context(ModalityWorklistInformationFind, [SYNTAXES[syntax]])
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    try:
        answers = list(assoc.send_c_find(identifier, ModalityWorklistInformationFind))
    finally:
        assoc.release()
    assert answers[-1][0].Status == 0x0000
    assert {status.Status for status, _ in answers[:-1]} <= {0xFF00, 0xFF01}
    return [ds for _, ds in answers[:-1]]


def fill(count: int = 30) -> None:
    worklist_fill(count=count, first_day=FIRST_DAY, seed=7, stations=3, slots_per_day=4)
    RemoteAE.objects.create(
        ae_title="LATIN1AE", host="127.0.0.1", charset="ISO_IR 100", room=Room.objects.first()
    )


def test_every_attribute_of_every_item(listener):
    fill()
    got = {
        name: [ds.to_json_dict() for ds in ask(listener, calling, syntax, query(charset))]
        for name, (calling, syntax, charset) in CASES.items()
    }
    if RECORD:
        ANSWERS.parent.mkdir(exist_ok=True)
        ANSWERS.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        pytest.skip(f"recorded {ANSWERS}")
    expected = json.loads(ANSWERS.read_text())
    for name in CASES:
        assert len(got[name]) == len(expected[name]), name
        for n, (answer, wanted) in enumerate(zip(got[name], expected[name], strict=True)):
            assert answer == wanted, f"{name}: item {n}"
    # A modality that takes small PDUs gets the same answers, in fragments; so does one
    # that speaks a transfer syntax irflow leaves to pynetdicom.
    utf8 = expected["unknown-ae-utf8-explicit"]
    small = ask(listener, "WLTEST", "explicit", query("ISO_IR 192"), maximum_pdu=512)
    assert [ds.to_json_dict() for ds in small] == utf8
    for syntax in ("big-endian", "deflated"):
        other = ask(listener, "WLTEST", syntax, query("ISO_IR 192"))
        assert [ds.to_json_dict() for ds in other] == utf8, syntax
    # The fill has what the comparison must cover: transliteration, allergies, alerts.
    latin1 = json.dumps(expected["latin1-ae-implicit"], ensure_ascii=False)
    assert "Lukasiewicz" in latin1 and "Łukasiewicz" not in latin1
    assert "Łukasiewicz" in json.dumps(expected["unknown-ae-utf8-explicit"], ensure_ascii=False)
    allergies, alerts = "00102110", "00102000"
    assert any(item[allergies].get("Value") for item in expected["latin1-ae-implicit"])
    assert any(item[alerts].get("Value") for item in expected["latin1-ae-implicit"])


@contextmanager
def queries_everywhere() -> Iterator[list[str]]:
    """Every SQL statement run on a database connection opened meanwhile, in any thread (the
    listener's association threads open their own)."""
    statements: list[str] = []
    lock = threading.Lock()

    def record(execute, sql, params, many, context):
        with lock:
            statements.append(sql)
        return execute(sql, params, many, context)

    def watch(sender, connection, **kwargs):
        if record not in connection.execute_wrappers:
            connection.execute_wrappers.append(record)

    connection_created.connect(watch)
    try:
        yield statements
    finally:
        connection_created.disconnect(watch)


def test_the_same_number_of_queries_for_3_items_as_for_30(listener):
    worklist_fill(count=3, first_day=FIRST_DAY, seed=1, stations=3, gone_fraction=0)
    with queries_everywhere() as few:
        assert len(ask(listener, "WLTEST", "explicit", query())) == 3
    worklist_fill(count=27, first_day=date(2026, 4, 20), seed=2, stations=3, gone_fraction=0)
    with queries_everywhere() as many:
        assert len(ask(listener, "WLTEST", "explicit", query())) == 30
    assert few, "the listener's queries are seen"
    assert len(many) == len(few), many


def test_an_answer_aborted_midway_ends_its_association(listener):
    """The peer aborts after the first of many answers (many more than the association holds
    queued): the answering thread stops and the association ends, within seconds."""
    worklist_fill(count=1200, first_day=FIRST_DAY, seed=3, stations=20, gone_fraction=0)

    def answering() -> list[Association]:
        return [t for t in threading.enumerate() if isinstance(t, Association) and t.is_acceptor]

    ae = AE(ae_title="WLTEST")
    ae.add_requested_context(ModalityWorklistInformationFind, [ExplicitVRLittleEndian])
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    answers = assoc.send_c_find(query(), ModalityWorklistInformationFind)
    status, _ = next(answers)
    assert status.Status == 0xFF00
    assoc.abort()
    deadline = time.monotonic() + 20
    while answering() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not answering()
