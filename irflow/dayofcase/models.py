"""The board's change marks: one row per room and day (and one for the whole site) whose token
changes whenever anything the Today board shows for that room and day changes. The board and
its API answer a refresh with 304 while the tokens they were drawn from still hold (see
`irflow.dayofcase.versions`)."""

from __future__ import annotations

from django.db import models


class BoardVersion(models.Model):
    """The change mark of one room's day (`key` "2026-12-05/3": day and room id) or of the
    whole site ("site": rooms, the catalogue, the readiness policy, staff)."""

    key = models.CharField(max_length=40, unique=True)
    day = models.DateField(null=True, blank=True, db_index=True)
    token = models.BigIntegerField()
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Board version {self.key}: {self.token}"
