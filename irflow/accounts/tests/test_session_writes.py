"""A page view writes the session row only when the session changes: the last activity is
stored at most once a minute, and the idle timeout still signs out."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.accounts.middleware import ACTIVITY_GRANULARITY_S, MSG_IDLE
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def _set_last_seen(client, value: int) -> None:
    session = client.session
    session["last_seen"] = value
    session.save()


def test_a_page_view_with_an_unchanged_session_does_not_write_it(client, attending):
    login(client, attending)
    assert client.get("/").status_code == 200  # stores the first activity
    for url in ("/", "/patients/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert _session_writes(queries.captured_queries) == [], url


def test_activity_is_stored_again_once_a_minute_has_passed(client, attending):
    login(client, attending)
    client.get("/")
    earlier = int(time.time()) - ACTIVITY_GRANULARITY_S - 1
    _set_last_seen(client, earlier)
    with CaptureQueriesContext(connection) as queries:
        client.get("/patients/")
    assert len(_session_writes(queries.captured_queries)) == 1
    assert client.session["last_seen"] > earlier


def test_a_session_idle_for_the_timeout_is_still_signed_out(client, settings, attending):
    login(client, attending)
    client.get("/")
    # Active a moment ago (not stored: within the minute), idle before that.
    _set_last_seen(client, int(time.time()) - settings.IRFLOW_IDLE_TIMEOUT_S - 1)
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert MSG_IDLE.format(minutes=15) in client.get(response.url).content.decode()
    assert client.get("/").status_code == 302
