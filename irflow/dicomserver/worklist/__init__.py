"""The Modality Worklist served from bookings: queries run in the database, not over rows."""
