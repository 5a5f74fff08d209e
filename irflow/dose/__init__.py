"""Radiation dose: dose reports received and read (RDSR), linked to their procedure, alerts and
skin follow-up, dose review and exports."""
