"""Quality dashboards: the department's volumes, success rates and adverse-event rates (with
Wilson 95 % intervals, against the site's thresholds and published references), and its
timeliness (referral waits against the urgency targets, procedure to signed report,
cancellations, room utilisation), for a period and the filters in the page's address, each
figure with its table, CSV/XLSX download and the list of cases behind it (docs/quality.md)."""
