"""A report signed in the browser reaches the hospital as ORU^R01, through the real service
(`irflow up`: web, task worker) and a test MLLP receiver on loopback; with the receiver down,
the next signed report waits in the outbox and is delivered once the receiver is back — in
order, nothing lost. On the PostgreSQL pass the service runs on PostgreSQL."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from irflow.hl7.parse import parse
from irflow.testing.fixtures import PASSWORD
from irflow.testing.mllp_receiver import MllpReceiver
from irflow.testing.service import running_service
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e]

# Upper bounds for "it arrives": the worker polls its queue every second or so, and the
# retries here back off 1 s, then 2 s (IRFLOW_HL7_RETRY_*_S below).
ARRIVES_WITHIN_S = 60
IMPRESSION = "Retrievable infrarenal IVC filter placed without complication."

SETUP = """
import json
from datetime import date
from irflow.accounts.roles import Role
from irflow.hl7server.models import Destination
from irflow.patients.services import patient_create
from irflow.reports import services as reports
from irflow.testing.cases import booked, completed, fresh_room, past_weekday_at
from irflow.testing.fixtures import make_user

doctor = make_user("hl7doc", Role.PHYSICIAN)
patient = patient_create(
    actor=doctor, mrn="HL7E2E01", family_name="Ødegård", given_name="Siân",
    birth_date=date(1958, 7, 1), sex="F", weight_kg=70,
)
room = fresh_room("HL7")
drafts = []
for days_back in (10, 12):
    record = completed(
        doctor, booked(doctor, patient, room, start=past_weekday_at(9, days_back=days_back))
    )
    report = reports.report_start(actor=doctor, procedure_id=record.pk)
    reports.report_update(
        actor=doctor,
        report_id=report.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal", "ivc_diameter_mm": "21"},
        sections={"impression": "%(impression)s"},
    )
    drafts.append({"report": report.pk, "accession": record.order.accession_number})
Destination.objects.create(
    name="Hospital engine", host="127.0.0.1", port=%(port)d, receiving_application="EPIC",
    receiving_facility="GENHOSP", version="2.5.1", charset="8859/1", sends_results=True,
    ack_timeout_s=3, max_attempts=2,
)
print(json.dumps({"drafts": drafts, "patient": patient.pk}))
"""


@pytest.fixture(scope="module")
def receiver():
    with MllpReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(
        tmp_path_factory.mktemp("hl7-out"),
        "--no-dicom",
        demo_patients=1,
        env={
            "IRFLOW_HL7_RETRY_BASE_S": "1",
            "IRFLOW_HL7_RETRY_MAX_S": "2",
            "IRFLOW_HL7_CONNECT_TIMEOUT_S": "2",
        },
    ) as svc:
        yield svc


@pytest.fixture(scope="module")
def world(service, receiver) -> dict:
    done = service.irflow(
        "shell", "-c", SETUP % {"port": receiver.port, "impression": IMPRESSION}, timeout=300
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def sign_in(page, site: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("hl7doc")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")


def sign_report(page, site: str, report_id: int, shot: str = "") -> None:
    page.goto(f"{site}/reports/{report_id}/")
    page.get_by_role("button", name="Sign report").click()
    expect(page.get_by_text("Signed: the report is final.")).to_be_visible()
    if shot:
        screenshot(page, shot)


def outbox_state(service) -> list[dict]:
    done = service.irflow(
        "shell",
        "-c",
        "import json; from irflow.hl7server.models import OutboundMessage as M; "
        "print(json.dumps(list(M.objects.order_by('id').values("
        "'control_id', 'status', 'attempts', 'event'))))",
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_until(service, condition) -> list[dict]:
    deadline = time.monotonic() + ARRIVES_WITHIN_S
    while not condition(state := outbox_state(service)):
        assert time.monotonic() < deadline, state
        time.sleep(1)
    return state


def test_signed_reports_reach_the_receiver_and_wait_while_it_is_down(
    page, service, receiver, world
):
    first, second = world["drafts"]
    sign_in(page, service.url)
    sign_report(page, service.url, first["report"], shot="hl7-report-signed")

    receiver.wait_for(1, timeout=ARRIVES_WITHIN_S)
    msg = parse(receiver.raw[0])
    assert msg.header.message_type == "ORU^R01" and msg.header.charset == "8859/1"
    assert msg.header.receiving_application == "EPIC"
    pid = msg.first("PID")
    assert (pid.get(3), pid.get(5, 1), pid.get(5, 2)) == ("HL7E2E01", "Ødegård", "Siân")
    obr = msg.first("OBR")
    assert (obr.get(3), obr.get(18), obr.get(25)) == (first["accession"], first["accession"], "F")
    assert obr.get(4, 1) == "IVCF-IN" and obr.get(32, 1, 1) == "hl7doc"
    lines = [o.get(5) for o in msg.all("OBX") if o.get(2) == "TX"]
    assert IMPRESSION in lines

    wait_until(service, lambda state: [m["status"] for m in state] == ["sent"])

    # The hospital's engine goes down; the next report is signed all the same.
    receiver.stop()
    sign_report(page, service.url, second["report"])
    state = wait_until(service, lambda state: len(state) == 2 and state[1]["attempts"] >= 1)
    waiting = [m for m in state if m["status"] != "sent"]
    assert len(waiting) == 1 and waiting[0]["status"] in ("pending", "stuck")

    # Back on the same port: the waiting report arrives, once, after the first.
    receiver.start()
    receiver.wait_for(2, timeout=ARRIVES_WITHIN_S)
    again = parse(receiver.raw[1])
    assert again.first("OBR").get(3) == second["accession"]
    assert again.header.control_id == waiting[0]["control_id"]
    wait_until(service, lambda state: {m["status"] for m in state} == {"sent"})
    assert receiver.control_ids() == [m["control_id"] for m in outbox_state(service)]
