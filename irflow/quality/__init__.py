"""Quality dashboards: the department's volumes, success rates and adverse-event rates (with
Wilson 95 % intervals, against the site's thresholds and published references); its
timeliness (referral waits against the urgency targets, procedure to signed report,
cancellations, room utilisation); devices and safety (SRDL cases and their follow-up, IVC
filter retrieval, overdue devices, follow-up completion, checklist completion, overrides with
their reasons); for a period and the filters in the page's address, each figure with its
table, CSV/XLSX download and the list behind it (docs/quality.md)."""
