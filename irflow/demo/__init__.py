"""`irflow demo`: a synthetic department, deterministic for a seed and a date, made through the
services."""
