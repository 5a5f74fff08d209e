"""`irflow up` migrates only when a migration on disk is not recorded as applied, checked in
one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.runtime.startup import migrations_pending

pytestmark = pytest.mark.django_db


def test_an_up_to_date_database_needs_no_migrate_and_one_query_says_so():
    with CaptureQueriesContext(connection) as queries:
        assert migrations_pending() is False
    assert len(queries.captured_queries) == 1


def test_a_migration_not_recorded_as_applied_is_pending():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s",
            ["runtime", "0001_worker_heartbeat"],
        )
    assert migrations_pending() is True
