"""Take the database away from this process for a while, for real: the default connection
is closed and pointed where nothing answers (a SQLite file in a folder that does not exist,
a PostgreSQL port nobody listens on), so the driver itself refuses to connect."""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator

from django.db import connections
from django.db.backends.signals import connection_created

from irflow.testing.service import free_port

# The connections of every thread (a live server's, a worker's), kept between requests
# (CONN_MAX_AGE): an outage must reach them all, SQLite's as PostgreSQL's terminated backends.
_connections: weakref.WeakSet = weakref.WeakSet()


def _track(sender, connection, **kwargs) -> None:
    _connections.add(connection)


connection_created.connect(_track, dispatch_uid="irflow-testing-outage-track")


@contextlib.contextmanager
def database_away(alias: str = "default") -> Iterator[None]:
    conn = connections[alias]
    # The settings every thread's connection connects with: usually one dict they all share,
    # but a thread that connected after the settings were read again holds another. They
    # all point nowhere first, and only then are the open connections cut off; the other way
    # round, a thread (a worker looping every tenth of a second) could connect again in
    # between, to the real database, and keep that connection through the whole outage.
    others = [c for c in list(_connections) if c.alias == alias and c is not conn]
    shared = {id(d): d for d in (conn.settings_dict, *(c.settings_dict for c in others))}
    saved = {key: dict(settings_dict) for key, settings_dict in shared.items()}
    if conn.vendor == "postgresql":
        conn.ensure_connection()  # to cut the others off with, once the settings point away
        away = {"HOST": "127.0.0.1", "PORT": str(free_port())}
    else:
        away = {"NAME": "/nonexistent-irflow-folder/irflow.db"}
    for settings_dict in shared.values():
        settings_dict.update(away)
    if conn.vendor == "postgresql":
        # Other threads of this process (a live server, a worker) hold connections of their
        # own: cut them off, as a server going away does, so that they too must connect again.
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        # Other threads close theirs at their next request (or worker loop), as they would
        # a connection past its age, and must connect again: to nowhere.
        for other in others:
            other.close_at = time.monotonic()
    conn.close()
    try:
        yield
    finally:
        conn.close()
        for key, settings_dict in shared.items():
            settings_dict.clear()
            settings_dict.update(saved[key])
