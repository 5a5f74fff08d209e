"""Registry export and the morbidity and mortality review: a documented dataset per procedure
family, exported de-identified (hashed patient key, age instead of birth date) as CSV and FHIR
after a validation report, and the list of cases with moderate or worse adverse events or
unplanned admissions, with its PDF agenda (docs/registry.md)."""
