"""The patient timeline: referrals, board decisions, bookings, procedures, reports and addenda,
dose alerts, adverse events, devices in situ and follow-up, newest first, each kind shown to
those who may see it. The chart loads it in place from here (the record apps are below the
patients app, which imports none of them)."""
