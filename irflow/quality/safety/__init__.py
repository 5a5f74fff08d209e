"""The "Devices and safety" dashboard: SRDL cases and their skin follow-up, IVC filter
retrieval and overdue devices, follow-up task completion, and the safety process (checklists,
readiness and emergency overrides). `figures` counts them in the database, `drill` lists
what is behind a figure (access-logged), `tables` gives each chart's table and download.
docs/quality.md, "Devices and safety", defines every figure."""
