"""The REST API (`/api/`): authentication, error format, and the routers of each app.

Every operation names the permission it needs (`x-permission` in the OpenAPI schema); the
service or selector it calls enforces it. Errors always have the shape
`{"detail": str, "code": str, "errors"?: {field: [messages]}}`, and the schema lists the ones
each operation can give (`error_statuses`, plus `perm(..., errors=...)`).

Input is checked here before any service sees it, beyond what pydantic does: bodies and nested
objects must be JSON objects, dates and times ISO 8601 text within plausible years (`Day`,
`Moment`), and no text may hold what a database cannot keep (NUL, lone surrogates).
tests/e2e/test_api_fuzz.py holds the running service to all of this.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.schema import DjangoGetter
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, BaseModel, BeforeValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from irflow.accounts.selectors import second_factor_satisfied
from irflow.accounts.services import api_token_authenticate
from irflow.lib.errors import ServiceError, ValidationFailed

MSG_TOO_BIG = "The request is larger than the {limit} bytes allowed."
MSG_NOT_AUTHENTICATED = "Sign in, or send an API token as 'Authorization: Bearer <token>'."
MSG_NOT_AN_OBJECT = "The request body must be a JSON object."
MSG_NUL = "Null characters are not allowed."
MSG_NOT_UNICODE = "This text is not valid Unicode (a lone surrogate)."


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
        if user is not None and hasattr(user, "is_verified") and not second_factor_satisfied(user):
            return None
        return user


# A wall-clock time in the site's time zone ("07:30:00"). Pydantic would publish `format: time`,
# which is RFC 3339's full-time and requires an offset; irflow's times of day have none.
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "Time of day in the site's time zone, HH:MM[:SS], without offset.",
            "examples": ["08:00"],
        }
    ),
]

# Dates and times that people and machines send. Python's dates end at years 1 and 9999, so a
# day or an hour added to (or a time zone applied to) the extremes overflows; PostgreSQL takes
# UTC offsets up to ±15:59 only. Nothing irflow records happens outside these bounds.
FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_UTC_OFFSET = timedelta(hours=14)
MSG_YEAR = f"Give a date between {FIRST_YEAR} and {LAST_YEAR}."
MSG_UTC_OFFSET = "The UTC offset must be between -14:00 and +14:00."
MSG_DAY_FORMAT = "Give the date as YYYY-MM-DD."
MSG_MOMENT_FORMAT = "Give the date and time as YYYY-MM-DDTHH:MM:SS with its UTC offset."
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> Any:
    # Pydantic would also read a number as seconds since 1970 (a birth date of 0 is 1970-01-01).
    if isinstance(value, date) or (isinstance(value, str) and ISO_DAY.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", MSG_DAY_FORMAT)


def _iso_moment(value: Any) -> Any:
    if isinstance(value, datetime) or (
        isinstance(value, str) and len(value) > 10 and ISO_DAY.match(value)
    ):
        return value
    raise PydanticCustomError("datetime_format", MSG_MOMENT_FORMAT)


def _plausible[T: date](value: T) -> T:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError("date_out_of_range", MSG_YEAR)
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise PydanticCustomError("utc_offset_out_of_range", MSG_UTC_OFFSET)
    return value


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_plausible),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"A date between {FIRST_YEAR} and {LAST_YEAR}.",
        }
    ),
]
Moment = Annotated[
    datetime,
    BeforeValidator(_iso_moment),
    AfterValidator(_plausible),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"A date and time between {FIRST_YEAR} and {LAST_YEAR}, with its UTC "
            "offset (±14:00 at most).",
        }
    ),
]

SAFE_METHODS = {"get", "head", "options"}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "code": {"type": "string", "description": "What went wrong, for programs."},
        "errors": {
            "type": "object",
            "description": "Messages by field, for invalid input.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "rules": {
            "type": "object",
            "description": "The day-of-case rules that refused a move (409), each with what "
            "is missing: see docs/day-of-case.md.",
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["detail", "code"],
}
ERROR_DESCRIPTIONS = {
    400: "The request body could not be read (malformed JSON or form data).",
    401: "Not signed in, or no valid API token.",
    403: "The user's role does not allow this (or, with a browser session, no CSRF token).",
    404: "No such record, or not one this user may see.",
    409: "The record's state does not allow this now (the message names it).",
    413: "The request is too large.",
    422: "Invalid input: `errors` names each field with its messages.",
}


def error_statuses(method: str, operation: dict) -> set[int]:
    """The error answers an operation can give, from its shape (see ERROR_DESCRIPTIONS).

    Every operation checks the token (401) and, unless any signed-in user may call it, the
    role (403); one with path parameters looks a record up (404); one with input validates it
    (422); one with a body parses it (400) and bounds its size (413); writes meet state (409).
    """
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses: set[int] = set()
    if operation.get("security"):
        statuses.add(401)
    if operation.get("x-permission") != "authenticated" or method not in SAFE_METHODS:
        statuses.add(403)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or has_body:
        statuses.add(422)
    if has_body:
        statuses |= {400, 413}
    if method not in SAFE_METHODS:
        statuses.add(409)
    return statuses


class NestedIn(Schema):
    """An object inside a request body. Ninja's Schema reads any value as an object (it is
    made to read model instances), so `"patient": [null]` was "no patient facts"."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # Runs inside Ninja's own validator, which has wrapped the value already.
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(raw, dict | BaseModel):
            raise PydanticCustomError("model_type", "Input should be an object")
        return value


class BodyNotAnObject(ValueError):
    pass


class JsonObjectParser(Parser):
    """Every irflow body is a JSON object; Ninja's schemas would read a list as an empty one."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise BodyNotAnObject(MSG_NOT_AN_OBJECT)
        return data


def error_response(status: int) -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": ERROR_DESCRIPTIONS[status], "content": content}


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


def _bad_text(value: Any, field: str, errors: dict[str, str]) -> None:
    """Collect, by field, text no database keeps: NUL characters, lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            errors.setdefault(field, MSG_NUL)
        else:
            try:
                value.encode()
            except UnicodeEncodeError:
                errors.setdefault(field, MSG_NOT_UNICODE)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _bad_text(getattr(value, name), name, errors)
    elif isinstance(value, dict):
        for key, item in value.items():
            _bad_text(key, field, errors)
            _bad_text(item, key if isinstance(key, str) else field, errors)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _bad_text(item, field, errors)


def _refuse_bad_text(view):
    """Refuse input that JSON and pydantic accept but the databases do not (PostgreSQL
    rejects NUL in text and JSON; neither encodes a lone surrogate), before any write."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        errors: dict[str, str] = {}
        for name, value in kwargs.items():
            _bad_text(value, name, errors)
        if errors:
            raise ValidationFailed(errors)
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(_refuse_bad_text)


def perm(action: str, *, errors: tuple[int, ...] = ()) -> dict:
    """OpenAPI extension naming the permission an operation needs (read by tests and docs).

    `errors` are error answers beyond those the operation's shape implies (`error_statuses`),
    e.g. 404 when a record named in the body is not found.
    """
    extra: dict[str, Any] = {"x-permission": action}
    if errors:
        extra["responses"] = {status: error_response(status) for status in errors}
    return extra


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
