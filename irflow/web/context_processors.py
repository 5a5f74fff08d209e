from django.conf import settings
from django.utils.functional import SimpleLazyObject

from irflow.accounts.permissions import can
from irflow.accounts.selectors import second_factor_satisfied
from irflow.web.navigation import navigation_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.IRFLOW_SITE_NAME,
        "navigation": navigation_for(user, request.path) if user is not None else [],
        "idle_timeout_s": settings.IRFLOW_IDLE_TIMEOUT_S,
        "session_user": SimpleLazyObject(lambda: _session_user(user)),
        # The header's patient search, for those who may see patients.
        "header_search": user is not None and can(user, "patient.view"),
    }


def _session_user(user) -> str:
    """Who the page's work belongs to: a user signed in with the second factor given."""
    if user is not None and user.is_authenticated and second_factor_satisfied(user):
        return user.get_username()
    return ""
