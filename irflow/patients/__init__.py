"""Patients: identifiers, demographics, allergies, medications, labs, conditions; search, the
chart, merges."""
