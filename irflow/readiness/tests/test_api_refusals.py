"""Input the API fuzz test found answering 500 on the evaluation API: now refused naming the
field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

CASE = {"procedure": {"code": "PICC", "bleeding_risk": "low"}, "urgency": "routine"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # Year 196 in London is LMT, -00:01:15: the answer's own times failed validation.
        ({"planned_start": "0196-02-24T00:00:00Z"}, "planned_start"),
        ({"planned_start": "0001-01-01T00:00:00Z"}, "planned_start"),  # overflowed
        ({"planned_start": "9999-12-31T23:59:59Z"}, "planned_start"),
        ({"planned_start": "2026-03-02T09:00:00+23:00"}, "planned_start"),
        ({"now": "0001-01-01T00:00:00Z"}, "now"),
        ({"last_intake": [{"kind": "clear", "at": "0001-01-01T00:00:00Z"}]}, "at"),
    ],
)
def test_evaluation_refuses_moments_out_of_range_naming_the_field(api_client, change, field):
    body = {**CASE, "planned_start": "2026-03-02T09:00:00Z", "sedation": "moderate", **change}
    assert_refused(api_client, body, field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # Ninja's schemas read a list as an object without fields: "no patient facts".
        ({"patient": [None, None]}, "patient"),
        ({"procedure": ["PICC"]}, "procedure"),
        ({"last_intake": ["clear"]}, "last_intake"),
        ({"labs": [7]}, "labs"),
    ],
)
def test_evaluation_refuses_a_value_that_is_not_an_object_where_one_is_expected(
    api_client, change, field
):
    assert_refused(api_client, {**CASE, "planned_start": "2026-03-02T09:00:00Z", **change}, field)


def assert_refused(api_client, body: dict, field: str) -> None:
    """422, and the error names exactly `field`."""
    response = api_client.post("/api/readiness/evaluate", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]
