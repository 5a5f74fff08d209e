"""Reference data that data migrations put into a new database (procedure catalogue, urgency
targets). One function per kind, used by the migration and wherever the data must be put
back (test databases after a flush). Each only adds what is missing."""

from __future__ import annotations


def seed_reference_data(get_model=None) -> None:
    """Add missing reference rows. `get_model` is a migration's `apps.get_model`."""
    if get_model is None:
        from django.apps import apps

        get_model = apps.get_model
    from irflow.catalogue.seed import catalogue_seed

    catalogue_seed(get_model("catalogue", "ProcedureType"))
    urgency_targets_seed(get_model("referrals", "UrgencyTarget"))


def urgency_targets_seed(model) -> None:
    from irflow.referrals.models import DEFAULT_TARGETS

    for urgency, (triage, procedure) in {str(k): v for k, v in DEFAULT_TARGETS.items()}.items():
        model.objects.get_or_create(
            urgency=urgency,
            defaults={"triage_within_hours": triage, "procedure_within_hours": procedure},
        )
