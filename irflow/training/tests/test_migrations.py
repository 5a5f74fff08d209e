"""The data migration that brings a database's first-shipped EBIR programme up to its cited
source, and leaves a site's own edits alone."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from irflow.training.models import Programme, Requirement
from irflow.training.seed import EBIR

migration = import_module("irflow.training.migrations.0002_ebir_source")


def first_shipped(**changes) -> Programme:
    Programme.objects.filter(code="ebir").delete()
    programme = Programme.objects.create(
        code="ebir",
        name=EBIR["name"],
        source="CIRSE, European Board of Interventional Radiology: eligibility criteria.",
        source_url=migration.FIRST_SHIPPED_SOURCE_URL,
        confidence="U",
        **changes,
    )
    for position, label in enumerate(migration.RENAMED):
        Requirement.objects.create(
            programme=programme, label=label, role="first_operator", minimum=1, position=position
        )
    return programme


@pytest.mark.django_db
def test_the_first_shipped_programme_cites_the_entry_criteria():
    programme = first_shipped()
    migration.cite_entry_criteria(apps, None)
    programme.refresh_from_db()
    assert (programme.source_url, programme.confidence) == (EBIR["source_url"], "V")
    assert programme.source == EBIR["source"]
    labels = list(programme.requirements.order_by("position").values_list("label", flat=True))
    assert labels == list(migration.RENAMED.values())


@pytest.mark.django_db
def test_a_programme_the_site_changed_is_left_as_it_is():
    programme = first_shipped()
    Programme.objects.filter(pk=programme.pk).update(source_url="https://example.org/ours")
    migration.cite_entry_criteria(apps, None)
    programme.refresh_from_db()
    assert (programme.source_url, programme.confidence) == ("https://example.org/ours", "U")
    assert set(programme.requirements.values_list("label", flat=True)) == set(migration.RENAMED)
