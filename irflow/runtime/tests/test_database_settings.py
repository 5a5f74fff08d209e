"""DATABASE_URL for PostgreSQL behind a transaction-mode pooler (docs/operations.md)."""

from __future__ import annotations

from irflow.settings import database_from_url

URL = "postgres://irflow:secret@pgbouncer.example:6432/irflow"


def test_server_side_cursors_stay_on_without_a_pooler(monkeypatch):
    monkeypatch.delenv("IRFLOW_DB_TRANSACTION_POOLING", raising=False)
    assert database_from_url(URL)["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_a_transaction_pooler_turns_server_side_cursors_off(monkeypatch):
    monkeypatch.setenv("IRFLOW_DB_TRANSACTION_POOLING", "true")
    database = database_from_url(URL)
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert (database["HOST"], database["PORT"]) == ("pgbouncer.example", "6432")
