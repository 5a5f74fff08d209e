"""Rows written in bulk, below the ORM: `executemany` on SQLite, `COPY` on PostgreSQL.

For the history generator (`irflow.demo.history`), which writes millions of rows: the ORM's
`bulk_create` costs tens of microseconds a row in Python, this a few. Ids are assigned here,
so that rows can point at each other before they are written: on PostgreSQL a block of the
table's sequence is reserved at a time (`setval`), on SQLite the writer holds the database's
write lock for its whole transaction and counts on from the table's highest id.

Rows are given as tuples in the order of the columns named; dates, times, decimals and JSON
are converted as Django would. Only for a database no one else writes to while the history is
made (a measurement database): triggers and constraints still check every row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models

BATCH = 5000
ID_BLOCK = 10_000


class Encoded(str):
    """A JSON value already encoded (a large constant, written as it is into every row)."""

    __slots__ = ()

    @classmethod
    def of(cls, value: Any) -> Encoded:
        return cls(json.dumps(value, ensure_ascii=False))


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, Encoded):
        return value
    return json.dumps(value, ensure_ascii=False)


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` goes to the driver (None: as it is)."""
    if isinstance(field, models.JSONField):
        return _json
    if connection.vendor != "sqlite":
        return None
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.DecimalField):
        return lambda v: None if v is None else str(v)
    return None


class Table:
    """One table's pending rows; `flush` writes them."""

    def __init__(self, model: type[models.Model], columns: Iterable[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = [model._meta.get_field(c) for c in columns]
        # Columns not named take the field's default (Django's defaults are not the
        # database's): every row gets the same value.
        named = {f.name for f in fields}
        self.defaults = tuple(
            f.get_default()
            for f in model._meta.concrete_fields
            if f.name not in named and not (f.null and not f.has_default())
        )
        fields += [
            f
            for f in model._meta.concrete_fields
            if f.name not in named and not (f.null and not f.has_default())
        ]
        self.columns = [f.column for f in fields]  # type: ignore[union-attr]
        self.converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f))]  # type: ignore[arg-type]
        self.rows: list[tuple] = []
        self.written = 0
        self._next = 0
        self._last = -1

    def new_id(self) -> int:
        if self._next > self._last:
            self._reserve()
        value = self._next
        self._next += 1
        return value

    def _reserve(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(s, nextval(s) + %s - 1) FROM pg_get_serial_sequence(%s, 'id') s",
                    [ID_BLOCK, self.name],
                )
                last = cursor.fetchone()[0]
                self._next, self._last = last - ID_BLOCK + 1, last
                return
            if self._last >= 0:  # SQLite: the write lock is held, count on
                self._last += ID_BLOCK
                return
            cursor.execute(f'SELECT coalesce(max("id"), 0) FROM "{self.name}"')  # noqa: S608
            highest = cursor.fetchone()[0]
            cursor.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = %s", [self.name]
            )
            highest = max(highest, cursor.fetchone()[0])
            self._next, self._last = highest + 1, highest + ID_BLOCK

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.defaults if self.defaults else row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows = self.rows
        if self.converters:
            converted = []
            for row in rows:
                values = list(row)
                for i, convert in self.converters:
                    values[i] = convert(values[i])
                converted.append(values)
            rows = converted  # type: ignore[assignment]
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(self.columns))
                raw = cursor.cursor
                # The SQLite driver's own executemany: Django's wrapper would rewrite each row.
                sqlite = getattr(raw, "connection", None) or connection.connection
                sqlite.executemany(
                    f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})',  # noqa: S608
                    rows,
                )
        self.written += len(self.rows)
        self.rows = []


class Writer:
    """The tables of one bulk load, flushed in dependency order (the order first used)."""

    def __init__(self) -> None:
        self.tables: dict[type[models.Model], Table] = {}

    def table(self, model: type[models.Model], columns: Iterable[str]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model, columns)
        return self.tables[model]

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()

    def counts(self) -> dict[str, int]:
        return {t.name: t.written for t in self.tables.values()}
