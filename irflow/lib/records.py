"""Rows that are saved once and then never changed or removed (a safety record, a snapshot)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from irflow.lib.errors import Conflict


class WrittenOnce(models.Model):
    """Saved once; a second save or a delete is refused with `immutable_message` (409)."""

    immutable_message: ClassVar[str] = "This record is kept as it was; it cannot change."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise Conflict(self.immutable_message, code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(self.immutable_message, code="immutable")
