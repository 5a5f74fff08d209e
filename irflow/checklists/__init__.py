"""The safety record of a booking: sign-in, time-out and sign-out, each kept as completed;
emergency overrides of the day's rules; flags for what a modality did out of order."""
