from django.conf import settings

from irflow.web.navigation import navigation_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.IRFLOW_SITE_NAME,
        "navigation": navigation_for(user, request.path) if user is not None else [],
        "idle_timeout_s": settings.IRFLOW_IDLE_TIMEOUT_S,
    }
