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

# SQLite connections of every thread (a live server's, a worker's), kept between requests
# (CONN_MAX_AGE): an outage must reach them as PostgreSQL's terminated backends do.
_sqlite_connections: weakref.WeakSet = weakref.WeakSet()


def _track(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        _sqlite_connections.add(connection)


connection_created.connect(_track, dispatch_uid="irflow-testing-outage-track")


@contextlib.contextmanager
def database_away(alias: str = "default") -> Iterator[None]:
    conn = connections[alias]
    saved = dict(conn.settings_dict)
    # Every thread's connection shares these settings: they point nowhere first, and only
    # then are the open connections cut off. The other way round, a thread (a worker looping
    # every tenth of a second) could connect again in between, to the real database, and
    # keep that connection through the whole outage.
    if conn.vendor == "postgresql":
        conn.ensure_connection()  # to cut the others off with, once the settings point away
        conn.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
        # Other threads of this process (a live server, a worker) hold connections of their
        # own: cut them off, as a server going away does, so that they too must connect again.
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        conn.settings_dict["NAME"] = "/nonexistent-irflow-folder/irflow.db"
        # Other threads close theirs at their next request (or worker loop), as they would
        # a connection past its age, and must connect again: to nowhere.
        for other in list(_sqlite_connections):
            other.close_at = time.monotonic()
    conn.close()
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
