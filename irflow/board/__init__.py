"""The multidisciplinary board: meetings, the agenda (and its PDF), attendees, decisions; an IR
treatment decision orders the procedure."""
