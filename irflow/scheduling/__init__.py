"""Bookings (scheduled procedure steps): rooms, times and teams, never double-booked; reschedule
and cancel; room day and week views; the slot finder. The order follows its bookings here."""
