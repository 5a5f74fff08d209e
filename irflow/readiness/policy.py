"""The site policy as the core sees it: the stored overrides and the site's time zone."""

from __future__ import annotations

from django.conf import settings

from irflow.clinical import SitePolicy
from irflow.readiness.models import PolicySettings


def policy_settings() -> PolicySettings:
    """The one row of site policy (created with no overrides on first use)."""
    row = PolicySettings.objects.order_by("pk").first()
    if row is None:
        row, _ = PolicySettings.objects.get_or_create(pk=1)
    return row


def site_policy(row: PolicySettings | None = None) -> SitePolicy:
    """The core's SitePolicy for this site (overrides validated again on every load)."""
    row = row or policy_settings()
    return SitePolicy.from_mapping(row.overrides or {}, timezone=settings.TIME_ZONE)
