# Audit trails are read on the auditor's page (/audit/), which is permission-checked.
