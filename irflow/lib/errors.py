"""Errors that services raise and every entry point turns into a message a user can act on.

A service never returns half a result: it raises one of these before writing anything. The
web views show `errors` beside the fields, the API answers 4xx with the same structure, the
DICOM and HL7 handlers turn them into failure statuses and error segments.
"""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    """Base class: `message` for people, `code` for programs and tests."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code}


class ValidationFailed(ServiceError):
    """One or more fields are wrong; `errors` maps each field to its messages."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, errors: Mapping[str, list[str] | str], message: str | None = None) -> None:
        self.errors = {k: ([v] if isinstance(v, str) else list(v)) for k, v in errors.items()}
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        super().__init__(message or f"Invalid input — {summary}")

    def as_dict(self) -> dict:
        return {**super().as_dict(), "errors": self.errors}


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class Refused(Conflict):
    """A rule that protects the patient refused a move; `rules` names each rule that refused
    with its message, `errors` the fields of the record those rules concern."""

    code = "rule_refused"

    def __init__(
        self, rules: Mapping[str, str], *, fields: Mapping[str, str] | None = None
    ) -> None:
        self.rules = dict(rules)
        self.errors = {k: [v] for k, v in (fields or {}).items()}
        super().__init__(" ".join(self.rules.values()))

    def as_dict(self) -> dict:
        data = {**super().as_dict(), "rules": self.rules}
        if self.errors:
            data["errors"] = self.errors
        return data


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class InvalidTransition(ServiceError):
    """A state machine refused a transition; the message names both states."""

    status_code = 409
    code = "invalid_transition"


def from_django_validation(exc) -> ValidationFailed:
    """Turn a django.core.exceptions.ValidationError into ValidationFailed, keeping field names."""
    if hasattr(exc, "message_dict"):
        return ValidationFailed({k: list(v) for k, v in exc.message_dict.items()})
    return ValidationFailed({"__all__": list(exc.messages)})
