"""Recovery after the procedure: pain scores, observations, discharge instructions and the
discharge record."""
