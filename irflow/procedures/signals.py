"""What the procedures app tells other apps (training makes the trainees' logbook entries)."""

from django.dispatch import Signal

# Sent inside the transaction of procedure_record_complete, once the record is completed, with
# `record` and `actor`.
procedure_completed = Signal()
