"""Waiting times match values computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.referrals import selectors
from irflow.referrals.models import Referral, UrgencyTarget
from irflow.referrals.waiting import format_hours, percentile, summarise

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([2, 4, 10, 30], 50) == 7.0  # (4 + 10) / 2
    assert percentile([2, 4, 10, 30], 90) == pytest.approx(24.0)  # rank 2.7: 10 + 0.7 × 20
    summary = summarise([30, 2, 10, 4], target_hours=24)
    assert (summary.count, summary.median_hours, summary.p90_hours) == (4, 7.0, 24.0)
    assert summary.within_target_pct == 75.0  # 2, 4 and 10 h are within 24 h; 30 is not
    assert format_hours(0.5) == "30 min" and format_hours(5) == "5 h"
    assert format_hours(504) == "21 days"


@pytest.mark.django_db
def test_waiting_times_per_urgency_against_the_site_targets(client, make_referral, personas):
    received = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)

    def referral(urgency: str, triage_h: float | None, procedure_h: float | None, **extra):
        r = make_referral(urgency=urgency)
        Referral.objects.filter(pk=r.pk).update(
            received_at=extra.get("received_at", received),
            triaged_at=received + timedelta(hours=triage_h) if triage_h is not None else None,
            procedure_at=received + timedelta(hours=procedure_h) if procedure_h else None,
            status=extra.get("status", "done" if procedure_h else "declined"),
        )

    # Urgent (site defaults: triage 24 h, procedure 72 h).
    referral("urgent", 2, 48)
    referral("urgent", 4, 96)
    referral("urgent", 10, None)
    referral("urgent", 30, None)
    # Routine: triage 10 h and 100 h; one still waiting for triage 80 h after receipt.
    referral("routine", 10, None)
    referral("routine", 100, None)
    referral("routine", None, None, status="received", received_at=NOW - timedelta(hours=80))
    # Outside the period: not counted.
    referral("urgent", 500, None, received_at=SINCE - timedelta(days=1))

    result = selectors.waiting_times(actor=personas["qi_lead"], since=SINCE, until=NOW, now=NOW)
    urgent_triage = result.figures["triage"]["urgent"]
    assert (urgent_triage.count, urgent_triage.median_hours, urgent_triage.p90_hours) == (
        4,
        7.0,
        24.0,
    )
    assert (urgent_triage.within_target_pct, urgent_triage.target_hours) == (75.0, 24)
    urgent_procedure = result.figures["procedure"]["urgent"]
    # 48 h and 96 h: median 72; p90 at rank 0.9: 48 + 0.9 × 48 = 91.2; 48 ≤ 72 < 96.
    assert (
        urgent_procedure.count,
        urgent_procedure.median_hours,
        urgent_procedure.p90_hours,
        urgent_procedure.within_target_pct,
    ) == (2, 72.0, 91.2, 50.0)
    routine_triage = result.figures["triage"]["routine"]
    # 10 h and 100 h against 72 h: median 55, p90 10 + 0.9 × 90 = 91, half within.
    assert (
        routine_triage.count,
        routine_triage.median_hours,
        routine_triage.p90_hours,
        routine_triage.within_target_pct,
        routine_triage.waiting_over_target,
    ) == (2, 55.0, 91.0, 50.0, 1)
    emergent = result.figures["triage"]["emergent"]
    assert (emergent.count, emergent.median_hours, emergent.within_target_pct) == (0, None, None)

    # The site changes its routine triage target in the admin: the figures follow.
    UrgencyTarget.objects.filter(urgency="routine").update(triage_within_hours=120)
    again = selectors.waiting_times(actor=personas["qi_lead"], since=SINCE, until=NOW, now=NOW)
    assert again.figures["triage"]["routine"].within_target_pct == 100.0
    assert again.figures["triage"]["routine"].waiting_over_target == 0

    token = api_token_create(actor=SYSTEM, user_id=personas["qi_lead"].pk, name="t")[1]
    response = client.get(
        "/api/referrals/waiting-times",
        {"since": SINCE.isoformat(), "until": NOW.isoformat()},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json()["triage"]["urgent"] == {
        "count": 4,
        "median_hours": 7.0,
        "p90_hours": 24.0,
        "within_target_pct": 75.0,
        "target_hours": 24.0,
        "waiting_over_target": 0,
    }


@pytest.mark.django_db
def test_the_triage_queue_puts_the_most_urgent_and_most_overdue_first(make_referral, personas):
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def referral(urgency: str, hours_ago: float, **kwargs) -> Referral:
        r = make_referral(urgency=urgency, **kwargs)
        Referral.objects.filter(pk=r.pk).update(received_at=now - timedelta(hours=hours_ago))
        return r

    routine_old = referral("routine", 100)  # 28 h past its 72 h target
    routine_new = referral("routine", 1)
    urgent = referral("urgent", 2)
    emergent = referral("emergent", 0.5)
    emergent_late = referral("emergent", 3)  # 2 h past its 1 h target
    accepted = referral("routine", 5, code=None)
    from irflow.referrals.services import referral_accept

    referral_accept(actor=personas["attending"], referral_id=accepted.pk)
    queue = selectors.triage_queue(actor=personas["attending"], now=now)
    assert [i.referral.pk for i in queue.to_triage] == [
        emergent_late.pk,
        emergent.pk,
        urgent.pk,
        routine_old.pk,
        routine_new.pk,
    ]
    assert queue.breaches == 2
    assert queue.to_triage[0].against_target == "2 h over"
    assert queue.to_triage[1].against_target == "due in 30 min"
    assert [i.referral.pk for i in queue.to_order] == [accepted.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),  # overflowed converting to UTC
        ({"until": "9999-12-31T23:59:59-05:00"}, "until"),
        ({"since": "0277-03-16T19:46:55-19:23"}, "since"),  # PostgreSQL refused the offset
    ],
)
def test_waiting_times_refuse_moments_out_of_range_naming_the_field(
    client, personas, params, field
):
    # Found by the API fuzz test: these answered 500.
    token = api_token_create(actor=SYSTEM, user_id=personas["qi_lead"].pk, name="t")[1]
    response = client.get(
        "/api/referrals/waiting-times", params, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]
