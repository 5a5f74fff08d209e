"""Every rule shown in the UI or the API carries its source and confidence; unverified [U]
values appear as site defaults, never as facts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.clinical import rule
from irflow.patients.services import allergy_add, medication_add
from irflow.readiness.services import preparation_update
from irflow.readiness.tests.helpers import booking_for, lab, nearly_ready
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def rule_parts(value, path="$"):
    """Every dict in a JSON document that names a rule, with where it is."""
    if isinstance(value, dict):
        if "rule_id" in value:
            yield path, value
        for k, v in value.items():
            yield from rule_parts(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from rule_parts(v, f"{path}[{i}]")


def assert_sourced(document) -> int:
    count = 0
    for path, part in rule_parts(document):
        r = rule(part["rule_id"])
        assert part["source"] == r.source and part["source"], path
        assert part["confidence"] == r.confidence, path
        assert part["site_default"] is (r.confidence == "U"), path
        count += 1
    return count


@pytest.fixture
def rich_booking(attending, patient):
    """A booking whose evaluation has a medication plan, premedication and fasting."""
    booking = booking_for(attending, patient, "PCN")
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Apixaban 5 mg",
        drug="apixaban",
        frequency="bd",
        dose_times=["08:00", "20:00"],
    )
    allergy_add(
        actor=attending,
        patient_id=patient.pk,
        agent="Iohexol",
        category="iodinated_contrast",
        severity="moderate",
    )
    lab(attending, patient, "egfr", "38")
    preparation_update(actor=attending, booking_id=booking.pk, premedication="prednisone")
    return booking


def api(client, user):
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name="t")[1]
    return lambda method, url, **kw: client.generic(
        method, url, headers={"authorization": f"Bearer {token}"}, **kw
    )


def test_api_booking_readiness_names_source_and_confidence(client, nurse, rich_booking):
    call = api(client, nurse)
    body = call("GET", f"/api/readiness/bookings/{rich_booking.pk}").json()
    assert body["medication_plan"] and body["premedication"] and body["fasting"]
    assert assert_sourced(body) >= len(body["findings"]) + len(body["premedication"]) + 2
    unverified = [f for f in body["findings"] if f["confidence"] == "U"]
    assert unverified and all(f["site_default"] and not f["verified"] for f in unverified)


def test_api_evaluate_answers_with_sources(client, personas):
    call = api(client, personas["integration"])
    case = {
        "procedure": {"code": "BX-LIV", "bleeding_risk": "high"},
        "planned_start": "2026-03-02T09:00:00+00:00",
        "urgency": "routine",
        "labs": [{"analyte": "inr", "value": 1.9, "collected_at": "2026-03-01T08:00:00+00:00"}],
        "medications": [{"drug": "warfarin", "doses_per_day": 1, "dose_times": ["18:00"]}],
        "allergies": [{"agent": "iodinated_contrast", "severity": "mild"}],
        "contrast_route": "iv",
        "sedation": "moderate",
        "last_intake": [],
        "consent": "signed",
        "now": "2026-03-01T09:00:00+00:00",
    }
    response = call(
        "POST",
        "/api/readiness/evaluate",
        data=__import__("json").dumps(case),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "not_ready"
    (inr,) = [f for f in body["findings"] if f["rule_id"] == "sir-2019.inr.high-risk"]
    assert inr["status"] == "action_needed" and inr["inputs"]["inr"] == 1.9
    assert assert_sourced(body) > 5
    bad = {**case, "planned_start": "2026-03-02T09:00:00"}  # no time zone
    response = call(
        "POST",
        "/api/readiness/evaluate",
        data=__import__("json").dumps(bad),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "planned_start" in response.json()["errors"]


def test_api_rulesets_and_policy_carry_sources(client, personas):
    call = api(client, personas["qi_lead"])
    rulesets = call("GET", "/api/readiness/rulesets").json()
    assert {rs["id"] for rs in rulesets} >= {"sir-2019", "acr-nkf-2020", "asa-fasting"}
    for rs in rulesets:
        for r in rs["rules"]:
            assert r["source"] and r["confidence"] in "VSU"
            assert r["site_default"] is (r["confidence"] == "U")
            for value in r["values"].values():
                assert value["site_default"] is (r["confidence"] == "U")
    policy = call("GET", "/api/readiness/policy").json()
    assert policy["timezone"] == "Europe/London"
    for value in policy["values"]:
        assert value["source"] and value["confidence"] in "VSU"
    assert call("GET", "/api/readiness/rulesets/nope").status_code == 404


class RuleBlocks(HTMLParser):
    """Collects each `data-rule` block's text, source and confidence."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[dict] = []
        self.depth = 0
        self.field: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-rule" in attrs:
            self.blocks.append({"rule": attrs["data-rule"], "source": "", "confidence": ""})
            self.depth = 1
            return
        if self.depth:
            self.depth += 1
            if "data-source" in attrs:
                self.field = "source"
            elif "data-confidence" in attrs:
                self.field = "confidence"

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            self.field = None

    def handle_data(self, data):
        if self.depth and self.field:
            self.blocks[-1][self.field] += data


def blocks(html: str) -> list[dict]:
    parser = RuleBlocks()
    parser.feed(html)
    return parser.blocks


def assert_page_sourced(html: str) -> int:
    found = blocks(html)
    for b in found:
        r = rule(b["rule"])
        assert " ".join(b["source"].split()) == " ".join(r.source.split()), b["rule"]
        assert b["confidence"].startswith(f"[{r.confidence}]"), b["rule"]
        if r.confidence == "U":
            assert "Site default" in b["confidence"], b["rule"]
    # No rule id is printed anywhere without its block.
    shown = set(re.findall(r"<code>([a-z0-9-]+\.[a-z0-9.-]+)</code>", html))
    assert shown <= {b["rule"] for b in found}
    return len(found)


def test_readiness_page_shows_every_rule_with_source_and_confidence(client, nurse, rich_booking):
    login(client, nurse)
    response = client.get(reverse("readiness-booking", args=[rich_booking.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert assert_page_sourced(html) >= 8
    assert "sir-2019.hold.apixaban" in html and "Site default — not verified" in html
    assert 'data-readiness="not_ready"' in html and "Not ready" in html


def test_rules_and_policy_pages_show_sources(client, personas):
    login(client, personas["admin"])
    html = client.get(reverse("readiness-rules")).content.decode()
    assert assert_page_sourced(html) > 50
    assert "site default" in html
    html = client.get(reverse("readiness-policy")).content.decode()
    assert assert_page_sourced(html) > 20


def test_badge_and_panel_show_what_they_are_given(client, nurse, attending, patient):
    from django.template import Context, Template

    from irflow.readiness.selectors import readiness_detail

    booking = nearly_ready(attending, patient)
    view = readiness_detail(booking_id=booking.pk)
    badge = Template('{% include "readiness/_badge.html" %}').render(
        Context({"booking": booking, "readiness": view.snapshot})
    )
    assert 'class="readiness readiness-not_ready"' in badge and "Not ready" in badge
    assert "1 open" in badge
    panel = Template('{% include "readiness/_panel.html" %}').render(
        Context({"booking": booking, "readiness_view": view})
    )
    assert "sir-2019.inr.high-risk" in panel and assert_page_sourced(panel) == 1
    # Given nothing, they show nothing (and load nothing).
    assert Template('{% include "readiness/_badge.html" %}').render(Context({})).strip() == ""
    # Other apps' pages load the badge in place.
    login(client, nurse)
    html = client.get(reverse("readiness-badge", args=[booking.pk])).content.decode()
    assert 'data-readiness="not_ready"' in html
