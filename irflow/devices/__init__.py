"""Devices left in patients (filters, drains, stents, lines) with their removal or exchange date,
so that none is forgotten."""
