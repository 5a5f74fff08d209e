"""Referrals from other services: the form with attachments, triage against urgency targets,
notifications to the referrer, waiting times."""
