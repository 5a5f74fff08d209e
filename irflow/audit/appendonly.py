"""Append-only at the database: triggers refuse UPDATE and DELETE of audit rows (irflow's
access log, django-auditlog's change history) and DELETE of signed reports and addenda, so
that not even raw SQL or a stray tool can rewrite what happened (migrations audit 0002 and
reports 0004; the UPDATE of a signed report is refused since reports 0002).

One path may still delete rows: `irflow flush`, which empties the whole database (the test
suite runs it between tests). It runs inside `purging()`, which the DELETE triggers let pass:
on PostgreSQL a session setting (`irflow.purge`), on SQLite a function that irflow registers
on its own connections (any other SQLite client lacks the function, so its DELETE fails).
UPDATE of an audit row is refused always.

SQLite drops a table's triggers when a migration rebuilds the table (adding a NOT NULL column,
say): after every `migrate` the SQLite triggers are created again where missing
(`ensure_sqlite_triggers`, a post_migrate receiver).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

SQLITE_PURGE_FUNCTION = "irflow_purge_allowed"
PG_PURGE_SETTING = "irflow.purge"

_purge_everywhere = 0  # flush from another thread (live-server tests) counts too
_lock = threading.Lock()


def _purge_allowed() -> int:
    return 1 if _purge_everywhere > 0 else 0


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite connections learn whether a purge is under way."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_PURGE_FUNCTION, 0, _purge_allowed)


@contextmanager
def purging(using: str = "default") -> Iterator[None]:
    """Let the DELETE triggers pass while the whole database is emptied (`irflow flush`)."""
    global _purge_everywhere
    connection = connections[using]
    with _lock:
        _purge_everywhere += 1
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_PURGE_SETTING])
        yield
    finally:
        with _lock:
            _purge_everywhere -= 1
        if connection.vendor == "postgresql" and connection.connection is not None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', false)", [PG_PURGE_SETTING])
            except Exception:  # a broken connection is closed anyway and takes the setting
                connection.close()


def ensure_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: create again any SQLite trigger a table rebuild has dropped
    (only for the migrations that are applied: one undone stays undone)."""
    from importlib import import_module

    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for app, name in _PROTECTING:
            if (app, name) not in applied:
                continue
            module = import_module(f"irflow.{app}.migrations.{name}")
            for table, sql in module.SQLITE_BY_TABLE:
                if table in existing:
                    cursor.execute(sql)


# The migrations that protect tables this way (each module has SQLITE_BY_TABLE); apps above
# this one add theirs with `also_ensure`.
_PROTECTING: list[tuple[str, str]] = [("audit", "0002_audit_append_only")]


def also_ensure(app: str, migration: str) -> None:
    if (app, migration) not in _PROTECTING:
        _PROTECTING.append((app, migration))
