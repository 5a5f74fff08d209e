"""Glue between Django forms and service errors."""

from __future__ import annotations

from django import forms

from irflow.lib.errors import ServiceError, ValidationFailed


def add_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form: field messages beside fields, others on top."""
    if isinstance(exc, ValidationFailed):
        for field, messages in exc.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        form.add_error(None, exc.message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
