"""What the scheduling app tells other apps (the referrer hears of a new date; interfaces
send the booking on)."""

from django.dispatch import Signal

# Sent inside the transaction of booking_reschedule, with `booking`, `previous_start` and
# `actor`.
booking_rescheduled = Signal()

# Sent inside the transaction of booking_create, once the booking and its team are saved,
# with `booking` and `actor`.
booking_created = Signal()

# Sent inside the transaction of booking_cancel, with `booking` (cancelled) and `actor`.
booking_cancelled = Signal()
