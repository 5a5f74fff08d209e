"""What the orders app tells other apps: a referral follows the status of its order."""

from django.dispatch import Signal

# Sent inside the transaction that changed the status, with `order`, `previous` (the old
# status) and `actor`. A receiver that raises aborts the change.
order_status_changed = Signal()
