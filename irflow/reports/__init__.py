"""Structured procedure reports drafted from the record: signature and co-signature, addenda,
worklists, the PDF, sending on."""
