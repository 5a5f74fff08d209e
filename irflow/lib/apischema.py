"""The API's shared vocabulary, for every app's `api.py`: dates and times as people and
machines send them (`Day`, `Moment`, `LocalTime`), objects nested in a body (`NestedIn`), the
error format and the error answers each operation can give, and the permission each operation
names (`perm`). `irflow.api` assembles the apps' routers on it; the apps never import that."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, BaseModel, BeforeValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

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
        "current_version": {
            "type": "integer",
            "description": "412: the record's version now (its ETag).",
        },
        "your_version": {"type": "integer", "description": "412: the version If-Match named."},
        "changed_by": {"type": "string", "description": "412: who made the last change."},
        "changed_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "412: when the last change was made.",
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
    412: "If-Match named an older version than the record's: nothing was written; the body "
    "names the current version and who changed it when.",
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


def error_response(status: int) -> dict:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": ERROR_DESCRIPTIONS[status], "content": content}


def perm(
    action: str,
    *,
    errors: tuple[int, ...] = (),
    etag: str | None = None,
    if_match: bool = False,
) -> dict:
    """OpenAPI extension naming the permission an operation needs (read by tests and docs).

    `errors` are error answers beyond those the operation's shape implies (`error_statuses`),
    e.g. 404 when a record named in the body is not found. `etag` says what the answer's
    `ETag` header is the version of; `if_match` marks a write that honours `If-Match` (412).
    """
    extra: dict[str, Any] = {"x-permission": action}
    responses: dict[Any, Any] = {status: error_response(status) for status in errors}
    if etag or if_match:
        header = {"description": f'Strong entity tag: {etag or "the record version"}, e.g. "7".'}
        responses[200] = {"headers": {"ETag": {"schema": {"type": "string"}, **header}}}
    if if_match:
        responses[412] = error_response(412)
        extra["x-if-match"] = True
    if responses:
        extra["responses"] = responses
    return extra


MSG_IF_MATCH = 'Give the version as the ETag sent it, e.g. "7" (or *).'


def if_match_version(request: Any) -> int | None:
    """The version the request's `If-Match` header names (None when absent or `*`)."""
    from irflow.lib.errors import ValidationFailed
    from irflow.lib.versions import parse_if_match

    try:
        wanted = parse_if_match(request.headers.get("If-Match"))
    except ValueError as exc:
        raise ValidationFailed({"If-Match": MSG_IF_MATCH}) from exc
    return None if wanted == "*" else wanted  # type: ignore[return-value]
