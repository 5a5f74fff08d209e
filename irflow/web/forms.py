"""Glue between Django forms and service errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils import formats

from irflow.lib.errors import Forbidden, NotFound, Refused, ServiceError, ValidationFailed
from irflow.lib.forms import TextForm


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


# ---------------------------------------------------------------- editing a versioned record

MSG_CHANGED_SINCE = "Changed by {who} at {when} since you opened it"


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@dataclass
class ChangedField:
    """One field another user changed while this user had the form open."""

    label: str
    theirs: str
    yours: str
    you_changed: bool


@dataclass
class EditConflict:
    """What the form shows after a VersionConflict: who, when, and the fields that differ."""

    who: str
    when: str
    fields: list[ChangedField]

    @property
    def heading(self) -> str:
        return MSG_CHANGED_SINCE.format(who=self.who, when=self.when)


class VersionedEditForm(TextForm):
    """The edit form of a record that carries a `version` (irflow.lib.versions).

    It sends back the version it was opened at and the values it showed (hidden fields), so
    that the service refuses a save over a newer version, and the view can show both values
    of every field changed since (`after_conflict`) instead of overwriting them."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    edited: tuple[str, ...] = ()  # the record's fields this form edits

    @classmethod
    def opening(cls, record: object, **kwargs: object) -> VersionedEditForm:
        """The form as a user opens it: the record's values, version and opened values."""
        values = {name: getattr(record, name) for name in cls.edited}
        return cls(
            initial={
                **values,
                "version": record.version,  # type: ignore[attr-defined]
                "opened": cls._dump(values),
            },
            **kwargs,  # type: ignore[arg-type]
        )

    @classmethod
    def _dump(cls, values: Mapping[str, object]) -> str:
        return json.dumps({name: _as_text(value) for name, value in values.items()})

    def _opened_values(self) -> dict[str, object] | None:
        try:
            raw = json.loads(self.cleaned_data.get("opened") or "null")
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        values: dict[str, object] = {}
        for name in self.edited:
            try:
                values[name] = self.fields[name].clean(raw.get(name, ""))
            except forms.ValidationError:
                values[name] = raw.get(name)
        return values

    def edits(self, record: object) -> dict[str, object]:
        """The values the user changed: those that differ from what the form showed when it
        was opened (from the record as it is, for a form sent without them)."""
        opened = self._opened_values()
        if opened is None:
            opened = {name: getattr(record, name) for name in self.edited}
        return {
            name: self.cleaned_data[name]
            for name in self.edited
            if self.cleaned_data[name] != opened[name]
        }

    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def after_conflict(
        self, current: object, changed_by: str, changed_at: datetime | None
    ) -> tuple[VersionedEditForm, EditConflict]:
        """After a refused save: a form at the current version that keeps what this user
        typed in the fields they changed and takes the other user's values in the rest, and
        the fields the other user changed, with both values."""
        from django.utils import timezone

        yours = self.edits(current)
        now = {name: getattr(current, name) for name in self.edited}
        opened = self._opened_values() or now
        data: dict[str, object] = {}
        for name in self.edited:
            if name in yours:
                data[name] = self.data.get(self.add_prefix(name), "")
            else:
                data[name] = _as_text(now[name])
        data["version"] = str(current.version)  # type: ignore[attr-defined]
        data["opened"] = self._dump(now)
        fresh = type(self)(data, prefix=self.prefix)
        rows = [
            ChangedField(
                label=str(self.fields[name].label or name.replace("_", " ").capitalize()),
                theirs=self._shown(name, now[name]),
                yours=self._shown(name, yours[name]) if name in yours else "",
                you_changed=name in yours,
            )
            for name in self.edited
            if now[name] != opened[name]
        ]
        when = timezone.localtime(changed_at).strftime("%H:%M") if changed_at else "—"
        return fresh, EditConflict(who=changed_by, when=when, fields=rows)

    def _shown(self, name: str, value: object) -> str:
        if value in (None, ""):
            return "—"
        field = self.fields[name]
        if isinstance(field, forms.ChoiceField):
            return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
        if isinstance(value, date):
            return formats.date_format(value)
        return str(value)
