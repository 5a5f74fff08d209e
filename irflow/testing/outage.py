"""Take the database away from this process for a while, for real: the default connection
is closed and pointed where nothing answers (a SQLite file in a folder that does not exist,
a PostgreSQL port nobody listens on), so the driver itself refuses to connect."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections

from irflow.testing.service import free_port


@contextlib.contextmanager
def database_away(alias: str = "default") -> Iterator[None]:
    conn = connections[alias]
    saved = dict(conn.settings_dict)
    if conn.vendor == "postgresql":
        # Other threads of this process (a live server) hold connections of their own: cut
        # them off, as a server going away does, so that they too must connect again.
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent-irflow-folder/irflow.db"
    else:
        conn.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
