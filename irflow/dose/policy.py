"""The site policy the dose rules run under.

The site's overrides live in one row that the readiness app owns (the administrator edits
them there, audited). Until that table exists — a fresh install before its migration — the
published values apply, in the site's time zone.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, transaction

from irflow.clinical import PolicyError, SitePolicy
from irflow.readiness.policy import site_policy as stored_policy

logger = logging.getLogger("irflow.dose")


def site_policy() -> SitePolicy:
    """The stored site policy, or the published defaults when none can be read."""
    try:
        # A savepoint: a missing table must not break the caller's transaction.
        with transaction.atomic():
            return stored_policy()
    except (DatabaseError, PolicyError):
        logger.warning("site policy unreadable; the published rule values apply", exc_info=True)
        return SitePolicy(timezone=settings.TIME_ZONE)
