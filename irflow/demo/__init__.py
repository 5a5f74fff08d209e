"""`irflow demo`: a synthetic department, deterministic for a seed and a date, made through the
services; years of finished work written in bulk for measurement (`--years`)."""
