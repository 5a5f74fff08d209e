"""What the running processes say about themselves: each task worker's heartbeat.

Not clinical data and not audited: a row per worker process, rewritten every few seconds
while it lives. `/health` reads them ("worker last seen"), and the workers' sweep uses them
to find tasks left RUNNING by a worker that is gone (`irflow.runtime.worker`).
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname} (pid {self.pid})"
