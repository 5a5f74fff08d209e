"""The site policy as the core sees it: the stored overrides and the site's time zone."""

from __future__ import annotations

from django.conf import settings

from irflow.clinical import SitePolicy
from irflow.readiness.models import PolicySettings


def policy_settings() -> PolicySettings:
    """The one row of site policy; before the first change, the published defaults (an unsaved
    row: reading never writes — `policy_update` creates it)."""
    row = PolicySettings.objects.order_by("pk").first()
    return row if row is not None else PolicySettings(pk=1)


def site_policy(row: PolicySettings | None = None) -> SitePolicy:
    """The core's SitePolicy for this site (overrides validated again on every load)."""
    row = row or policy_settings()
    return SitePolicy.from_mapping(row.overrides or {}, timezone=settings.TIME_ZONE)


def site_policy_answer(sender: object, **kwargs: object) -> SitePolicy:
    """Answers `irflow.patients.signals.site_policy_wanted` with this site's policy."""
    return site_policy()
