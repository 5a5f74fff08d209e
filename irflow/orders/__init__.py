"""Orders: what will be done to whom, with the identifiers the modality and the EHR share
(accession number, requested procedure ID, Study Instance UID)."""
