"""Readiness of each booking, computed on read from the pure core's rules: the preparation, last
doses, physicians' acknowledgements, the site policy, the sign-in snapshot, the preparation
letter."""
