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
    """post_migrate receiver: create again any SQLite trigger a table rebuild has dropped."""
    from importlib import import_module

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    existing = set(connection.introspection.table_names())
    modules = [
        import_module("irflow.audit.migrations.0002_audit_append_only"),
    ]
    for extra in _EXTRA_SQLITE:
        modules.append(import_module(extra))
    with connection.cursor() as cursor:
        for module in modules:
            for table, sql in module.SQLITE_BY_TABLE:
                if table in existing:
                    cursor.execute(sql)


# Migrations of apps above this one that protect their own tables the same way (named here so
# that the re-creation after a rebuild covers them; each module has SQLITE_BY_TABLE).
_EXTRA_SQLITE: list[str] = []


def also_ensure(module: str) -> None:
    if module not in _EXTRA_SQLITE:
        _EXTRA_SQLITE.append(module)
