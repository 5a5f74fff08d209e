"""What the patients app asks of the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent when a service needs the site's policy (e.g. the lab plausibility limits); the app that
# stores the policy answers with its `irflow.clinical.SitePolicy`.
site_policy_wanted = Signal()
