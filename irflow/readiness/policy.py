"""The site policy as the core sees it: the stored overrides and the site's time zone."""

from __future__ import annotations

from django.conf import settings

from irflow.clinical import SitePolicy
from irflow.readiness.logo import logo_data_uri
from irflow.readiness.models import LETTERHEAD_FIELDS, PolicySettings


def policy_settings() -> PolicySettings:
    """The one row of site policy; before the first change, the published defaults (an unsaved
    row: reading never writes — `policy_update` creates it)."""
    row = PolicySettings.objects.order_by("pk").first()
    return row if row is not None else PolicySettings(pk=1)


def letterhead() -> dict[str, str]:
    """The department as letters and reports print it (blank fields are left out), with its
    logo as a data: URL under "logo_uri" ("" when there is none)."""
    row = policy_settings()
    return {**{f: getattr(row, f) for f in LETTERHEAD_FIELDS}, "logo_uri": logo_data_uri(row)}


def site_policy(row: PolicySettings | None = None) -> SitePolicy:
    """The core's SitePolicy for this site (overrides validated again on every load)."""
    row = row or policy_settings()
    return SitePolicy.from_mapping(row.overrides or {}, timezone=settings.TIME_ZONE)


def site_policy_answer(sender: object, **kwargs: object) -> SitePolicy:
    """Answers `irflow.patients.signals.site_policy_wanted` with this site's policy."""
    return site_policy()
