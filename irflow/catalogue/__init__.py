"""Reference data: the procedure catalogue (category, SIR bleeding risk, duration, report template,
follow-up and completion requirements) and the rooms."""
