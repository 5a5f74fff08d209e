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


@transaction.atomic
def reserve_numbers(name: str, count: int) -> range:
    """A block of `count` consecutive numbers (for bulk imports and demo data)."""
    counter, _ = IdentifierCounter.objects.select_for_update().get_or_create(name=name)
    first = counter.value + 1
    counter.value += count
    counter.save(update_fields=["value"])
    return range(first, first + count)


def accession_number(n: int) -> str:
    return f"IR{n:08d}"


def requested_procedure_id(n: int) -> str:
    return f"RP{n:08d}"


def sps_id(n: int) -> str:
    return f"SPS{n:08d}"


def study_uid(n: int) -> str:
    """`<root>.1.<n>`: unique under the site's root, at most 64 characters."""
    uid = f"{settings.IRFLOW_UID_ROOT}.1.{n}"
    if len(uid) > 64:
        raise ValueError("IRFLOW_UID_ROOT is too long for Study Instance UIDs (max 64 chars)")
    return uid


def new_accession_number() -> str:
    return accession_number(next_number("accession"))


def new_requested_procedure_id() -> str:
    return requested_procedure_id(next_number("requested_procedure"))


def new_sps_id() -> str:
    return sps_id(next_number("sps"))


def new_study_uid() -> str:
    return study_uid(next_number("study_uid"))
