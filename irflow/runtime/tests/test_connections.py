"""A server thread keeps its database connection between requests (SQLite too): it is opened,
and its PRAGMAs run, once, not once per request."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import RequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _get(app: WSGIHandler, path: str) -> int:
    """One request as the WSGI server makes it: request_started … response.close()."""
    statuses: list[str] = []
    body = app(RequestFactory().get(path).environ, lambda status, headers: statuses.append(status))
    b"".join(body)
    body.close()  # sends request_finished, where Django closes connections past their age
    return int(statuses[0].split()[0])


def _opened_during(requests) -> tuple[list[object], list[object]]:
    """(connections opened, raw connection after each request) while running `requests`."""
    opened: list[object] = []

    def count(sender, connection, **kwargs) -> None:
        opened.append(connection.connection)

    connection_created.connect(count)
    try:
        raw = []
        for request in requests:
            request()
            raw.append(connection.connection)
        return opened, raw
    finally:
        connection_created.disconnect(count)


def test_two_requests_on_one_thread_reuse_the_connection():
    app = WSGIHandler()
    connection.close()
    opened, raw = _opened_during([lambda: _get(app, "/health"), lambda: _get(app, "/health")])
    assert len(opened) == 1, "the second request opened a new connection"
    assert raw[0] is not None and raw[0] is raw[1]


def test_without_a_connection_age_each_request_opens_its_own(monkeypatch):
    """The control: the same requests with CONN_MAX_AGE 0 open one connection each."""
    app = WSGIHandler()
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    opened, raw = _opened_during([lambda: _get(app, "/health"), lambda: _get(app, "/health")])
    assert len(opened) == 2 and raw == [None, None]
