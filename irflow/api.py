"""The REST API (`/api/`): authentication, error format, and the routers of each app.

Every operation names the permission it needs (`x-permission` in the OpenAPI schema); the
service or selector it calls enforces it. Errors always have the shape
`{"detail": str, "code": str, "errors"?: {field: [messages]}}`, and the schema lists the ones
each operation can give (`error_statuses`, plus `perm(..., errors=...)`).

Input is checked here before any service sees it, beyond what pydantic does: bodies and nested
objects must be JSON objects, dates and times ISO 8601 text within plausible years (`Day`,
`Moment`), ids integers (never `true`), and no text may hold what a database cannot keep (NUL,
lone surrogates), a line break where one line is expected, or a control character; invisible
bidirectional and zero-width characters are removed (irflow.lib.text).
tests/e2e/test_api_fuzz.py holds the running service to all of this.
"""

from __future__ import annotations

import functools
from enum import Enum
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from irflow.accounts.selectors import second_factor_satisfied
from irflow.accounts.services import api_token_authenticate
from irflow.lib.apischema import ERROR_SCHEMA, error_response, error_statuses
from irflow.lib.errors import ServiceError, ValidationFailed
from irflow.lib.text import MULTILINE_MIN_LENGTH, TextRefused, clean_text

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MSG_TOO_BIG = "The request is larger than the {limit} bytes allowed."
MSG_NOT_AUTHENTICATED = "Sign in, or send an API token as 'Authorization: Bearer <token>'."
MSG_NOT_AN_OBJECT = "The request body must be a JSON object."
MSG_NUL = "Null characters are not allowed."
MSG_NOT_UNICODE = "This text is not valid Unicode (a lone surrogate)."
MSG_ID_NOT_INTEGER = "Give the id as a whole number (not true, false or a decimal)."
# Taken exactly as sent.
SECRET_FIELDS = ("password", "secret")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        # A read-only token is refused (403) any method that may write.
        write = request.method not in SAFE_METHODS
        user = api_token_authenticate(token, write=write)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        # A session still waiting for its second factor is not signed in for the API.
        if user is not None and hasattr(user, "is_verified") and not second_factor_satisfied(user):
            return None
        return user


class BodyNotAnObject(ValueError):
    pass


def _is_id(key: Any) -> bool:
    return isinstance(key, str) and (key == "id" or key.endswith(("_id", "_ids")))


def _non_integer_ids(data: Any, errors: dict[str, str], field: str = "") -> None:
    """Collect, by field, ids that JSON sent as something else than an integer: pydantic
    would read `true` as 1 and `1.0` as 1 (`"patient_id": true` was patient 1)."""
    if isinstance(data, dict):
        for key, item in data.items():
            if _is_id(key) and (isinstance(item, bool | float)):
                errors.setdefault(key, MSG_ID_NOT_INTEGER)
            elif _is_id(key) and isinstance(item, list):
                if any(isinstance(i, bool | float) for i in item):
                    errors.setdefault(key, MSG_ID_NOT_INTEGER)
            else:
                _non_integer_ids(item, errors, key if isinstance(key, str) else field)
    elif isinstance(data, list):
        for item in data:
            _non_integer_ids(item, errors, field)


class JsonObjectParser(Parser):
    """Every irflow body is a JSON object (Ninja's schemas would read a list as an empty one),
    and its ids are integers, never booleans or decimals."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise BodyNotAnObject(MSG_NOT_AN_OBJECT)
        errors: dict[str, str] = {}
        _non_integer_ids(data, errors)
        if errors:
            raise ValidationFailed(errors)
        return data


class IrflowAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, plus the error answers each operation can give (`Error`)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"]["schemas"]["Error"] = ERROR_SCHEMA
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                for status in sorted(error_statuses(method, operation)):
                    operation["responses"].setdefault(status, error_response(status))
        return schema


api = IrflowAPI(
    title="irflow API",
    version="1",
    description="The REST API of irflow. Every operation lists the permission it needs as "
    "`x-permission`; errors carry `detail`, `code` and, for invalid input, `errors` by field.",
    auth=[TokenAuth(), Session()],
    parser=JsonObjectParser(),
    urls_namespace="api",
)


def _is_free_text(info: FieldInfo) -> bool:
    """A field is free text (keeps line breaks and tabs) when marked `x-multiline` (in its
    `json_schema_extra`, so shown in the OpenAPI schema), or when it allows
    MULTILINE_MIN_LENGTH characters or more, or has no bound; names, codes and short reasons
    are single-line."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "x-multiline" in extra:
        return bool(extra["x-multiline"])
    bounds = [m.max_length for m in info.metadata if getattr(m, "max_length", None) is not None]
    return not bounds or min(bounds) >= MULTILINE_MIN_LENGTH


def _is_barcode(info: FieldInfo) -> bool:
    """A field marked `x-barcode` takes what a scanner types, the GS1 group separator included."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return bool(extra.get("x-barcode"))


def _clean(
    value: Any, field: str, errors: dict[str, str], multiline: bool = False, barcode: bool = False
) -> Any:
    """`value` with its text as irflow keeps it (irflow.lib.text), collecting by field what
    is refused: text no database keeps (NUL, lone surrogates), line breaks in single-line
    fields, control characters. Invisible bidirectional and zero-width characters go."""
    if isinstance(value, Enum):  # one of its choices: validated already
        return value
    if isinstance(value, str):
        if "\x00" in value:
            errors.setdefault(field, MSG_NUL)
            return value
        try:
            value.encode()
        except UnicodeEncodeError:
            errors.setdefault(field, MSG_NOT_UNICODE)
            return value
        if any(word in field for word in SECRET_FIELDS):
            return value
        try:
            return clean_text(value, multiline=multiline, barcode=barcode)
        except TextRefused as exc:
            errors.setdefault(field, exc.message)
            return value
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            cleaned = _clean(item, name, errors, _is_free_text(info), _is_barcode(info))
            if cleaned is not item and cleaned != item:
                value.__dict__[name] = cleaned  # no validation on assignment: it was validated
        return value
    if isinstance(value, dict):
        return {
            _clean(key, field, errors): _clean(
                item, key if isinstance(key, str) else field, errors, multiline
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [_clean(item, field, errors, multiline) for item in value]
        return type(value)(items)
    return value


def _refuse_bad_text(view):
    """Refuse input that JSON and pydantic accept but irflow does not keep (PostgreSQL
    rejects NUL in text and JSON; neither encodes a lone surrogate; see irflow.lib.text for
    line breaks, control and invisible characters), before any write."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        errors: dict[str, str] = {}
        kwargs = {name: _clean(value, name, errors) for name, value in kwargs.items()}
        if errors:
            raise ValidationFailed(errors)
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(_refuse_bad_text)


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


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja raises these itself, e.g. 400 for a body that is not JSON.
    if isinstance(exc.__cause__, ValidationFailed):  # the body's ids (JsonObjectParser)
        return _service_error(request, exc.__cause__)
    code = "bad_request" if exc.status_code == 400 else "http_error"
    detail = str(exc.__cause__) if isinstance(exc.__cause__, BodyNotAnObject) else str(exc)
    return api.create_response(request, {"detail": detail, "code": code}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, {"detail": str(exc) or "Not found.", "code": "not_found"}, status=404
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
    """Mount every irflow app's `api.router` at its `API_PREFIX` (e.g. "/patients"), or each
    of its `ROUTERS` at theirs (the day-of-case layer serves paths under several apps')."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("irflow.") and find_spec(f"{config.name}.api"):
            module = import_module(f"{config.name}.api")
            # An app serves one prefix (API_PREFIX, router), or several (ROUTERS).
            routers = getattr(module, "ROUTERS", None) or [
                (module.API_PREFIX, module.router, module.API_TAGS)
            ]
            for prefix, router, tags in routers:
                api.add_router(prefix, router, tags=tags)


_add_routers()
