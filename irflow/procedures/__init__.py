"""The procedure record (times, access, sedation, contrast, team, devices with UDI, specimens,
outcome) and what the modality reported of it (MPPS steps)."""
