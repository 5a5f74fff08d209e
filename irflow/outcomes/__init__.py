"""Adverse events (graded SIR 2017, legacy SIR or CIRSE) and what follow-up calls and visits
found."""
