"""Glue between Django forms and service errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from irflow.lib.errors import Forbidden, NotFound, Refused, ServiceError, ValidationFailed


def add_service_error(
    form: forms.Form, exc: ServiceError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on the form: field messages beside fields, others on top.

    `aliases` maps a service's field names to the form's (e.g. procedure_type → procedure_code)
    where the two differ."""
    if isinstance(exc, ValidationFailed):
        errors = {(aliases or {}).get(k, k): v for k, v in exc.errors.items()}
        for field, field_messages in errors.items():
            target = field if field in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
    elif isinstance(exc, Refused):
        # A rule refused: its message beside the fields it concerns, or on top.
        placed = False
        for field, field_messages in exc.errors.items():
            if field in form.fields:
                for message in field_messages:
                    form.add_error(field, message)
                placed = True
        if not placed:
            for message in exc.rules.values():
                form.add_error(None, message)
    else:
        form.add_error(None, exc.message)


def add_problems(
    form: forms.Form, problems: Mapping[str, str], aliases: Mapping[str, str] | None = None
) -> None:
    """From a form's clean(): show what the service would refuse (its own check, run on what
    the form could read) beside each field that has no message yet, so that the first submit
    shows every error instead of one layer at a time."""
    for name, message in problems.items():
        field = (aliases or {}).get(name, name)
        if field in form.fields and field not in form.errors:
            form.add_error(field, message)


@dataclass
class Outcome:
    """What became of a service call run under `refusals_shown`: the refusal, if any."""

    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        """The call went through: the service refused nothing."""
        return self.error is None


@contextmanager
def refusals_shown(
    *,
    form: forms.Form | None = None,
    request: HttpRequest | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Iterator[Outcome]:
    """Run a service call from a view and show the user why it was refused, if it was.

    NotFound and Forbidden go on to ServiceErrorMiddleware (the 404 and 403 pages). Any other
    ServiceError is caught and shown on `form` (field messages beside their fields, renamed by
    `aliases` as in `add_service_error`) or, given `request` instead, as an error message on
    the next page; given neither, it is only kept for the view to show as it likes.
    `outcome.ok` says whether the call went through, `outcome.error` holds the refusal.

        with refusals_shown(form=form) as outcome:
            services.recovery_discharge(actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, "Discharged.")
            return redirect(...)
        return _page(..., status=422)
    """
    if form is not None and request is not None:
        raise TypeError("refusals_shown: give a form or a request, not both")
    outcome = Outcome()
    try:
        yield outcome
    except (NotFound, Forbidden):
        raise
    except ServiceError as exc:
        outcome.error = exc
        if form is not None:
            add_service_error(form, exc, aliases)
        elif request is not None:
            messages.error(request, exc.message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
