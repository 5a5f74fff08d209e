"""What the scheduling app tells other apps (the referrer hears of a new date)."""

from django.dispatch import Signal

# Sent inside the transaction of booking_reschedule, with `booking`, `previous_start` and
# `actor`.
booking_rescheduled = Signal()
