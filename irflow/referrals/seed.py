"""The default urgency targets (site-configurable), put into a new database by a data
migration and back into a test database after a flush. Only adds what is missing."""

from __future__ import annotations

from irflow.referrals.models import DEFAULT_TARGETS


def urgency_targets_seed(model) -> None:
    """`model` is UrgencyTarget, or a migration's historical version of it."""
    for urgency, (triage, procedure) in {str(k): v for k, v in DEFAULT_TARGETS.items()}.items():
        model.objects.get_or_create(
            urgency=urgency,
            defaults={"triage_within_hours": triage, "procedure_within_hours": procedure},
        )
