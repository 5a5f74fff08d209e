"""The REST API (`/api/`): authentication, error format, and the routers of each app.

Every operation names the permission it needs (`x-permission` in the OpenAPI schema); the
service or selector it calls enforces it. Errors always have the shape
`{"detail": str, "code": str, "errors"?: {field: [messages]}}`.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from irflow.accounts.services import api_token_authenticate
from irflow.lib.errors import ServiceError

MSG_TOO_BIG = "The request is larger than the {limit} bytes allowed."
MSG_NOT_AUTHENTICATED = "Sign in, or send an API token as 'Authorization: Bearer <token>'."


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        # A session still waiting for its second factor is not signed in for the API.
        if user is not None and hasattr(user, "is_verified") and not _second_factor_ok(user):
            return None
        return user


def _second_factor_ok(user) -> bool:
    from django.conf import settings
    from django_otp import user_has_device

    from irflow.accounts.roles import Role

    if user.is_verified():
        return True
    if user_has_device(user):
        return False
    return not (
        settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS and (user.role == Role.ADMIN or user.is_superuser)
    )


api = NinjaAPI(
    title="irflow API",
    version="1",
    description="The REST API of irflow. Every operation lists the permission it needs as "
    "`x-permission`; errors carry `detail`, `code` and, for invalid input, `errors` by field.",
    auth=[TokenAuth(), Session()],
    urls_namespace="api",
)


def perm(action: str) -> dict:
    """OpenAPI extension naming the permission an operation needs (read by tests and docs)."""
    return {"x-permission": action}


def _field_of(loc: list) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    # ('body', 'payload', 'birth_date') -> 'birth_date'; ('query', 'q') -> 'q'
    return parts[-1] if len(parts) > 1 else (parts[0] if parts else "__all__")


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = list(err.get("loc", []))
        errors.setdefault(_field_of(loc), []).append(str(err.get("msg", "invalid")))
    summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    return api.create_response(
        request,
        {"detail": f"Invalid input — {summary}", "code": "validation_failed", "errors": errors},
        status=422,
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(
        request, {"detail": MSG_TOO_BIG.format(limit=limit), "code": "too_large"}, status=413
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": MSG_NOT_AUTHENTICATED, "code": "not_authenticated"}, status=401
    )


def _add_routers() -> None:
    """Mount every irflow app's `api.router` at its `API_PREFIX` (e.g. "/patients")."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("irflow.") and find_spec(f"{config.name}.api"):
            module = import_module(f"{config.name}.api")
            api.add_router(module.API_PREFIX, module.router, tags=module.API_TAGS)


_add_routers()
