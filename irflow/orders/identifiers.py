"""Identifiers irflow issues, consistent across HL7, the worklist, MPPS, RDSR and FHIR.

Accession number, requested procedure ID and scheduled procedure step ID are DICOM SH
(≤ 16 characters); Study Instance UIDs sit under the site's UID root (IRFLOW_UID_ROOT).
Counters live in the database and are taken under a row lock, so two processes never
issue the same number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction


class IdentifierCounter(models.Model):
    name = models.CharField(max_length=30, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        app_label = "orders"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


@transaction.atomic
def next_number(name: str) -> int:
    counter, _ = IdentifierCounter.objects.select_for_update().get_or_create(name=name)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def new_accession_number() -> str:
    return f"IR{next_number('accession'):08d}"


def new_requested_procedure_id() -> str:
    return f"RP{next_number('requested_procedure'):08d}"


def new_sps_id() -> str:
    return f"SPS{next_number('sps'):08d}"


def new_study_uid() -> str:
    """`<root>.1.<n>`: unique under the site's root, at most 64 characters."""
    uid = f"{settings.IRFLOW_UID_ROOT}.1.{next_number('study_uid')}"
    if len(uid) > 64:
        raise ValueError("IRFLOW_UID_ROOT is too long for Study Instance UIDs (max 64 chars)")
    return uid
