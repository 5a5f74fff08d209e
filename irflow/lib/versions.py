"""No lost updates: records that people edit carry a `version`, and every write of one takes a
row lock and saves only the fields it changes.

A service that edits such a record:

    obj = locked(Patient, patient_id)              # SELECT … FOR UPDATE (inside atomic)
    check_version(obj, expected_version)          # VersionConflict (412) when stale
    save_changes(obj, changes)                    # UPDATE only these fields, version + 1

`expected_version` comes from the API's `If-Match` header or the hidden `version` field of
a web form; without it the write still keeps another writer's change to a different field
(the row lock serialises the two, and `update_fields` writes only this writer's fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from irflow.lib.errors import ServiceError, from_django_validation

MSG_STALE = (
    "This record was changed by {who} at {when} since you opened it (it is now version "
    "{current}, you had version {expected}). Nothing was saved: look at the changes, then "
    "save again."
)


class Versioned(models.Model):
    """Abstract: a record people edit. `version` starts at 1 and grows by one on every save of
    an existing row (also a save with `update_fields`, which then writes the version too).

    The new version is computed from the one read, so the row must be read under its lock
    (`locked`, or select_for_update) for the count to hold under concurrent writers."""

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Grows by one on every change (ETag, If-Match)."
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


def locked[M: models.Model](
    model: type[M], pk: int, *, queryset: models.QuerySet[M] | None = None
) -> M:
    """The row `pk` of `model`, locked until the transaction ends (call inside atomic)."""
    qs = queryset if queryset is not None else model._default_manager.all()
    return qs.select_for_update(of=("self",)).get(pk=pk)


def last_change(obj: models.Model) -> tuple[str, datetime | None]:
    """Who last changed `obj` and when, from its history ("someone", None when unknown)."""
    from auditlog.models import LogEntry

    entry = (
        LogEntry.objects.get_for_object(obj)
        .select_related("actor")
        .order_by("-timestamp", "-pk")
        .first()
    )
    if entry is None:
        return "someone", None
    if entry.actor is not None:
        return str(entry.actor), entry.timestamp
    return entry.actor_email or "someone", entry.timestamp


class VersionConflict(ServiceError):
    """The caller edited an older version than the one stored: nothing was written.

    `current` is the record as it is now, so a form can show both values."""

    status_code = 412
    code = "version_mismatch"

    def __init__(self, obj: models.Model, *, expected: int) -> None:
        self.current = obj
        self.current_version: int = obj.version  # type: ignore[attr-defined]
        self.expected_version = expected
        self.changed_by, self.changed_at = last_change(obj)
        when = self.changed_at
        from django.utils import timezone

        shown = timezone.localtime(when).strftime("%H:%M") if when else "an unknown time"
        super().__init__(
            MSG_STALE.format(
                who=self.changed_by,
                when=shown,
                current=self.current_version,
                expected=expected,
            )
        )

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "current_version": self.current_version,
            "your_version": self.expected_version,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


def check_version(obj: models.Model, expected: int | None) -> None:
    """Refuse (VersionConflict) when `expected` is given and is not `obj`'s version."""
    if expected is not None and expected != obj.version:  # type: ignore[attr-defined]
        raise VersionConflict(obj, expected=expected)


def save_changes[M: models.Model](
    obj: M,
    changes: Mapping[str, Any],
    *,
    also: Iterable[str] = (),
    exclude: list[str] | None = None,
    clean: bool = True,
) -> M:
    """Set `changes` on the locked `obj`, validate, and UPDATE only those fields (plus `also`,
    auto_now fields and the version). A change that sets the values already stored writes
    nothing and keeps the version."""
    changed = [f for f, v in changes.items() if getattr(obj, f) != v]
    for field, value in changes.items():
        setattr(obj, field, value)
    fields = {*changed, *also}
    if not fields:
        return obj
    if clean:
        try:
            obj.full_clean(exclude=exclude)
        except ValidationError as exc:
            raise from_django_validation(exc) from exc
    fields.update(auto_now_fields(obj))
    obj.save(update_fields=sorted(fields))  # Versioned.save adds the version
    return obj


def auto_now_fields(obj: models.Model) -> set[str]:
    """The fields Django sets on every save (`auto_now`): an `update_fields` save names them."""
    return {f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)}


def save_fields(obj: models.Model, *fields: str) -> None:
    """Save only `fields` of the (locked) `obj`, with its auto_now fields and version."""
    obj.save(update_fields=sorted({*fields, *auto_now_fields(obj)}))


def parse_if_match(header: str | None) -> int | str | None:
    """The version an `If-Match` header asks for: None when absent, "*" for any, else an int.

    Accepts `"7"`, `W/"7"` and a comma-separated list (the first tag counts). Raises
    ValueError for a tag that names no version."""
    if header is None or not header.strip():
        return None
    first = header.split(",")[0].strip()
    if first == "*":
        return "*"
    if first.startswith("W/"):
        first = first[2:]
    tag = first.strip().strip('"')
    if not tag.isdigit():
        raise ValueError(first)
    return int(tag)


def etag(obj: models.Model) -> str:
    """The strong entity tag of `obj`'s version: `"7"`."""
    return f'"{obj.version}"'  # type: ignore[attr-defined]


def add_version_column(app_label: str, model_name: str) -> Any:
    """A migration operation that adds `Versioned.version` to an existing table, every row at
    version 1. On SQLite the column is added in place (ALTER TABLE … ADD COLUMN): Django would
    rebuild the table for a NOT NULL column, and a rebuilt table loses its triggers (the
    overlap triggers of bookings, the immutability triggers of reports)."""
    from django.db import migrations

    def field() -> models.PositiveIntegerField:
        f = Versioned._meta.get_field("version").clone()
        f.set_attributes_from_name("version")
        return f

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f'ALTER TABLE {table} ADD COLUMN "version" integer unsigned DEFAULT 1 NOT NULL '
                'CHECK ("version" >= 0)'
            )
        else:
            schema_editor.add_field(model, field())

    def backward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "version"')
        else:
            schema_editor.remove_field(model, field())

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forward, backward)],
        state_operations=[
            migrations.AddField(model_name=model_name.lower(), name="version", field=field())
        ],
    )
