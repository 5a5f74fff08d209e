"""The access log (every read of patient data) and the auditor's search of it and of the change
history."""
