"""Recognising which database constraint refused a write, by name (or, for a unique key, by
its columns) — never by a word in the message. PostgreSQL says it in the error's diagnostics;
SQLite in its message ("UNIQUE constraint failed: t.a, t.b", "CHECK constraint failed: name",
or the name a trigger raises)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_PG_KEY = re.compile(r"Key \(([^)]*)\)=")


def _diag(exc: IntegrityError):
    return getattr(exc.__cause__, "diag", None)


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint (or the trigger's raised name) that refused the write."""
    diag = _diag(exc)
    if diag is not None and diag.constraint_name:
        return str(diag.constraint_name)
    text = str(exc)
    check = _SQLITE_CHECK.search(text)
    if check:
        return check.group(1)
    if re.fullmatch(r"\w+", text.strip()):  # a trigger's RAISE(ABORT, 'name')
        return text.strip()
    return None


def unique_columns(exc: IntegrityError) -> frozenset[str] | None:
    """The columns of the unique key the write would have duplicated, if that is why."""
    diag = _diag(exc)
    if diag is not None:
        key = _PG_KEY.search(diag.message_detail or "")
        return frozenset(c.strip() for c in key.group(1).split(",")) if key else None
    match = _SQLITE_UNIQUE.search(str(exc))
    if not match:
        return None
    return frozenset(part.strip().rsplit(".", 1)[-1] for part in match.group(1).split(","))


def violates(
    exc: IntegrityError,
    *,
    constraints: Iterable[str] = (),
    unique: Iterable[Iterable[str]] = (),
) -> bool:
    """Whether `exc` is one of the named `constraints`, or a duplicate of one of the `unique`
    keys (each given by its columns, e.g. ("booking_id", "rule"))."""
    name = constraint_name(exc)
    if name is not None and name in set(constraints):
        return True
    columns = unique_columns(exc)
    return columns is not None and any(columns == frozenset(key) for key in unique)
